import {
  CfnCondition,
  CfnOutput,
  CfnParameter,
  DefaultStackSynthesizer,
  Fn,
  Stack,
  type StackProps,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { KNOWN_REGIONS } from '../../orchestrator/domain/regions.ts';
import { WorkloadRole } from '../constructs/workload-role.ts';
import { InvalidPropsError } from '../errors.ts';

export interface WorkloadRoleStackProps extends StackProps {
  /** The tooling account Lifeboat runs in: the template parameter's default. */
  lifeboatAccountId: string;
}

/**
 * The template a customer's workload account deploys once (CloudFormation, or a StackSet across
 * accounts) so Lifeboat can recover it: the {@link WorkloadRole}, configured by parameters that
 * come from the customer's plan. It needs no CDK bootstrap and no assets, so the synthesized
 * template can be handed over as it is.
 */
export class WorkloadRoleStack extends Stack {
  readonly workloadRole: WorkloadRole;

  constructor(scope: Construct, id: string, props: WorkloadRoleStackProps) {
    super(scope, id, {
      ...props,
      synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
      analyticsReporting: false,
      description:
        'Lifeboat: the role Lifeboat assumes in this workload account to run DRS drills, failovers and failbacks (least privilege, external id).',
    });
    if (!/^\d{12}$/.test(props.lifeboatAccountId))
      throw new InvalidPropsError(
        'WorkloadRoleStack',
        `lifeboatAccountId "${props.lifeboatAccountId}" is not a 12-digit account id.`,
      );
    const param = (name: string, options: ConstructorParameters<typeof CfnParameter>[2]) =>
      new CfnParameter(this, name, options);
    const lifeboatAccountId = param('LifeboatAccountId', {
      type: 'String',
      default: props.lifeboatAccountId,
      allowedPattern: '^\\d{12}$',
      description: 'The AWS account Lifeboat runs in.',
    });
    const externalId = param('ExternalId', {
      type: 'String',
      noEcho: true,
      minLength: 8,
      description: "The plan's account.externalId (at least 8 characters).",
    });
    const roleName = param('RoleName', {
      type: 'String',
      default: 'LifeboatExecution',
      allowedPattern: '^[\\w+=,.@-]{1,64}$',
      description: "The plan's account.roleName.",
    });
    // A pattern, not AllowedValues: CloudFormation's validator explodes on enumerated pairs.
    const region = (name: string, side: string) =>
      param(name, {
        type: 'String',
        allowedPattern: '^[a-z]{2}-[a-z]+-\\d$',
        description: `The plan's regions.${side} (one of ${KNOWN_REGIONS.join(', ')}).`,
      });
    const primary = region('PrimaryRegion', 'primary');
    const recovery = region('RecoveryRegion', 'recovery');
    const zones = param('HostedZoneIds', {
      type: 'CommaDelimitedList',
      default: '',
      description:
        "The plan's dns.zones (primary and recovery private hosted zone ids), comma-separated; empty when the plan changes no DNS.",
    });
    const documents = param('SsmDocumentPrefix', {
      type: 'String',
      default: 'Lifeboat-',
      allowedPattern: '^[\\w.-]+$',
      description: 'The SSM documents the plan runs (hooks, health checks) start with this.',
    });
    const functions = param('HookFunctionPrefix', {
      type: 'String',
      default: 'lifeboat-',
      allowedPattern: '^[\\w.-]+$',
      description: 'The Lambda functions the plan invokes as hooks start with this.',
    });
    const stacks = param('StackHookPrefix', {
      type: 'String',
      default: '',
      allowedPattern: '^[\\w-]*$',
      description:
        'The CloudFormation stacks the plan deploys or deletes as hooks start with this; empty when the plan has no stack hooks.',
    });
    const given = (id: string, value: string) =>
      new CfnCondition(this, id, { expression: Fn.conditionNot(Fn.conditionEquals(value, '')) });
    this.templateOptions.metadata = {
      'AWS::CloudFormation::Interface': {
        ParameterGroups: [
          {
            Label: { default: 'From the customer plan' },
            Parameters: [
              'ExternalId',
              'RoleName',
              'PrimaryRegion',
              'RecoveryRegion',
              'HostedZoneIds',
            ],
          },
          {
            Label: { default: 'Hooks' },
            Parameters: ['SsmDocumentPrefix', 'HookFunctionPrefix', 'StackHookPrefix'],
          },
          { Label: { default: 'Lifeboat' }, Parameters: ['LifeboatAccountId'] },
        ],
      },
    };
    this.workloadRole = new WorkloadRole(this, 'WorkloadRole', {
      roleName: roleName.valueAsString,
      lifeboatAccountId: lifeboatAccountId.valueAsString,
      externalId: externalId.valueAsString,
      regions: [primary.valueAsString, recovery.valueAsString],
      hostedZoneIds: zones.valueAsList,
      ssmDocumentPrefix: documents.valueAsString,
      hookFunctionPrefix: functions.valueAsString,
      stackHookPrefix: stacks.valueAsString,
      conditions: {
        route53: given('HasHostedZones', Fn.join('', zones.valueAsList)),
        stackHooks: given('HasStackHooks', stacks.valueAsString),
      },
    });
    new CfnOutput(this, 'RoleArn', {
      value: this.workloadRole.role.attrArn,
      description: "Check it against the plan's account.id and account.roleName.",
    });
  }
}
