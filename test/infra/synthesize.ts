import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks, type IApplyRule, NagRuleCompliance } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import {
  type CustomerAccount,
  readCustomerAccounts,
} from '../../infra/config/customer-accounts.ts';
import {
  type DeployConfig,
  deployedRegions,
  readDeployConfig,
} from '../../infra/config/deploy-config.ts';
import { composeLifeboat, type LifeboatStacks } from '../../infra/lifeboat-app.ts';
import { ROOT, SAMPLE_PLANS } from '../helpers.ts';

export interface SynthesizedLifeboat {
  app: App;
  config: DeployConfig;
  customers: CustomerAccount[];
  stacks: LifeboatStacks;
  assembly: CloudAssembly;
  /** CDK's validation report: every plugin's violations (cdk-nag's and CloudFormation's). */
  report: { pluginReports: { pluginName: string; violations: unknown[] }[] };
}

/** The feature flags `cdk.json` gives the CLI, so tests synthesize what `cdk synth` does. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return cdkJson.context;
}

/**
 * The whole deployment as `npx cdk synth` builds it from `config/deploy.yaml` and the sample
 * plans (the test fixtures' copies), with cdk-nag, but without bundling (no esbuild, no Docker,
 * no network) and without CDK's built-in CloudFormation validation (its engine costs seconds to
 * start; `cdk synth` runs it). A finding nobody acknowledged makes the synth throw. Synthesize
 * once per test file.
 */
export function synthesizeLifeboat(
  options: {
    /** @default config/deploy.yaml */
    config?: DeployConfig;
    /** @default the sample plans */
    plansDir?: string;
  } = {},
): SynthesizedLifeboat {
  const app = new App({
    builtinCloudFormationValidation: false,
    context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] },
  });
  const config = options.config ?? readDeployConfig(join(ROOT, 'config', 'deploy.yaml'));
  const customers = readCustomerAccounts(options.plansDir ?? SAMPLE_PLANS, deployedRegions(config));
  const stacks = composeLifeboat(app, config, customers);
  const assembly = app.synth();
  const reportFile = join(assembly.directory, 'validation-report.json');
  const report = existsSync(reportFile)
    ? (JSON.parse(readFileSync(reportFile, 'utf8')) as SynthesizedLifeboat['report'])
    : { pluginReports: [] };
  return { app, config, customers, stacks, assembly, report };
}

/** One finding of a rule on one resource, as cdk-nag names it (`AwsSolutions-IAM5[Resource::*]`). */
export interface NagFinding {
  id: string;
  path: string;
}

/**
 * The AWS Solutions checks with acknowledgments ignored: every finding the rules raise. Only
 * cdk-nag's protected extension point is used (`applyRule`), the rules themselves are its own.
 */
class EveryFinding extends AwsSolutionsChecks {
  readonly findings: NagFinding[] = [];

  protected override applyRule(params: IApplyRule): void {
    const id = `${this.readPackName}-${params.ruleSuffixOverride ?? params.rule.name}`;
    const path = params.node.node.path;
    let result: ReturnType<IApplyRule['rule']>;
    try {
      result = params.rule(params.node);
    } catch {
      this.findings.push({ id, path });
      return;
    }
    if (result === NagRuleCompliance.NON_COMPLIANT) this.findings.push({ id, path });
    else if (Array.isArray(result))
      for (const finding of result) this.findings.push({ id: `${id}[${finding}]`, path });
  }
}

/** Every finding cdk-nag's AWS Solutions rules raise in the app, acknowledged or not. */
export function everyNagFinding(app: IConstruct): NagFinding[] {
  const pack = new EveryFinding();
  pack.validateScope(app);
  return pack.findings;
}

/** Every finding still standing: what `cdk synth` would report. */
export function unacknowledgedNagFindings(app: IConstruct): NagFinding[] {
  return new AwsSolutionsChecks()
    .validateScope(app)
    .violations.flatMap((v) =>
      v.violatingResources.map((r) => ({ id: v.ruleName, path: r.constructPath ?? '' })),
    );
}

/** Every acknowledgment in the app: where, which rule, and why. */
export function acknowledgments(app: IConstruct): { path: string; id: string; reason: string }[] {
  return app.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, unknown>;
}

/** The statements of every policy attached to a role in its stack's template. */
export function statementsOf(template: Record<string, unknown>, role: IRole): Statement[] {
  const stack = Stack.of(role);
  const roleId = stack.getLogicalId(role.node.defaultChild as CfnElement);
  const resources = (template as { Resources: Record<string, { Type: string; Properties: never }> })
    .Resources;
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy')
    .map(
      (r) =>
        r.Properties as { Roles: { Ref: string }[]; PolicyDocument: { Statement: Statement[] } },
    )
    .filter((p) => p.Roles.some((ref) => ref.Ref === roleId))
    .flatMap((p) => p.PolicyDocument.Statement);
}

/** `[action, resource]` pairs a role is allowed, resources as literal strings or JSON. */
export function grantsOf(template: Record<string, unknown>, role: IRole): [string, string][] {
  return statementsOf(template, role).flatMap((s) =>
    [s.Action]
      .flat()
      .flatMap((action) =>
        [s.Resource]
          .flat()
          .map((r) => [action, typeof r === 'string' ? r : JSON.stringify(r)] as [string, string]),
      ),
  );
}

/** The actions a role is allowed, sorted and deduplicated. */
export function actionsOf(template: Record<string, unknown>, role: IRole): string[] {
  return [...new Set(grantsOf(template, role).map(([action]) => action))].sort();
}

/**
 * An `arc:` section as the one-time setup writes it for `config/deploy.yaml`'s account and
 * pairs (after the routing stack's first deploy), with made-up ids.
 */
export function arcSection() {
  return {
    clusterArn:
      'arn:aws:route53-recovery-control::111122223333:cluster/8d47920e-d789-437d-803a-2dcc4b204393',
    endpoints: ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-southeast-2', 'ap-northeast-1'].map(
      (region) => ({ region, url: `https://host-0a1b2c.${region}.example.com/v1` }),
    ),
    controlPanels: {
      'lifeboat-us-east-1-us-east-2':
        'arn:aws:route53-recovery-control::111122223333:controlpanel/0123456789abcdef0123456789abcdef',
      'lifeboat-us-west-2-us-west-1':
        'arn:aws:route53-recovery-control::111122223333:controlpanel/fedcba9876543210fedcba9876543210',
    },
  };
}
