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
import { KNOWN_REGIONS, type Region } from '../../orchestrator/domain/regions.ts';
import {
  PLAN_TAG_KEY,
  READ_ONLY_ROLE_SUFFIX,
  STACK_HOOK_PREFIX,
} from '../../orchestrator/domain/workload-access.ts';
import {
  ACTING_FUNCTIONS,
  functionRoleName,
  ONBOARDING_ROLE_NAME,
  READING_FUNCTIONS,
} from '../config/function-roles.ts';
import { WorkloadRole } from '../constructs/workload-role.ts';
import { InvalidPropsError } from '../errors.ts';

export interface WorkloadRoleStackProps extends StackProps {
  /** The tooling account Lifeboat runs in: the template parameter's default. */
  lifeboatAccountId: string;
  /** Every region Lifeboat is deployed in: the function roles the template trusts are named per region. */
  lifeboatRegions: readonly Region[];
}

/**
 * The template a customer's workload account deploys once (CloudFormation, or a StackSet across
 * accounts) so Lifeboat can recover it: two {@link WorkloadRole}s, the one that acts and the one
 * that reads, configured by parameters that come from the customer's plans
 * (`workloadRoleParameters` prints them). It needs no CDK bootstrap and no assets, so the
 * synthesized template can be handed over as it is.
 */
export class WorkloadRoleStack extends Stack {
  readonly workloadRole: WorkloadRole;
  readonly readOnlyRole: WorkloadRole;

  constructor(scope: Construct, id: string, props: WorkloadRoleStackProps) {
    super(scope, id, {
      ...props,
      synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
      analyticsReporting: false,
      description:
        "Lifeboat: the roles Lifeboat assumes in this workload account to run DRS drills, failovers and failbacks (on the plans' tagged resources only) and to check readiness (read only).",
    });
    if (!/^\d{12}$/.test(props.lifeboatAccountId))
      throw new InvalidPropsError(
        'WorkloadRoleStack',
        `lifeboatAccountId "${props.lifeboatAccountId}" is not a 12-digit account id.`,
      );
    if (props.lifeboatRegions.length === 0)
      throw new InvalidPropsError(
        'WorkloadRoleStack',
        'lifeboatRegions is empty: the template trusts the function roles of the regions Lifeboat runs in.',
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
      // The read-only role's name adds a suffix: IAM names are at most 64 characters.
      allowedPattern: `^[\\w+=,.@-]{1,${64 - READ_ONLY_ROLE_SUFFIX.length}}$`,
      description: `The plan's account.roleName; the read-only role is named after it (<RoleName>${READ_ONLY_ROLE_SUFFIX}).`,
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
    const planIds = param('PlanIds', {
      type: 'CommaDelimitedList',
      description: `The customer.id of every plan in this account, comma-separated: the role acts only on resources tagged ${PLAN_TAG_KEY}=<one of these>.`,
    });
    const zones = param('HostedZoneIds', {
      type: 'CommaDelimitedList',
      default: '',
      description:
        "The plan's dns.zones (primary and recovery private hosted zone ids), comma-separated; empty when the plan changes no DNS.",
    });
    const recordNames = param('RecordNames', {
      type: 'CommaDelimitedList',
      default: '',
      description:
        "The names of the plan's dns.records, in lower case without the trailing dot, comma-separated: the only records the role may change.",
    });
    const recordTypes = param('RecordTypes', {
      type: 'CommaDelimitedList',
      default: 'A,CNAME',
      description: "The types of the plan's dns.records, comma-separated.",
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
    const templateBucket = param('StackTemplateBucket', {
      type: 'String',
      default: '',
      allowedPattern: '^([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])?$',
      description: `The S3 bucket holding the templates of the plan's stack hooks (stacks named ${STACK_HOOK_PREFIX}*); empty when the plan has no stack hooks.`,
    });
    const given = (id: string, value: string) =>
      new CfnCondition(this, id, { expression: Fn.conditionNot(Fn.conditionEquals(value, '')) });
    this.templateOptions.metadata = {
      'AWS::CloudFormation::Interface': {
        ParameterGroups: [
          {
            Label: { default: 'From the customer plans' },
            Parameters: [
              'ExternalId',
              'RoleName',
              'PrimaryRegion',
              'RecoveryRegion',
              'PlanIds',
              'HostedZoneIds',
              'RecordNames',
              'RecordTypes',
            ],
          },
          {
            Label: { default: 'Hooks' },
            Parameters: ['SsmDocumentPrefix', 'HookFunctionPrefix', 'StackTemplateBucket'],
          },
          { Label: { default: 'Lifeboat' }, Parameters: ['LifeboatAccountId'] },
        ],
      },
    };
    const roleNames = (functions: readonly string[]) =>
      props.lifeboatRegions.flatMap((r) => functions.map((fn) => functionRoleName(fn, r)));
    const common = {
      lifeboatAccountId: lifeboatAccountId.valueAsString,
      externalId: externalId.valueAsString,
      regions: [primary.valueAsString, recovery.valueAsString] as const,
      planIds: planIds.valueAsList,
      hostedZoneIds: zones.valueAsList,
      recordNames: recordNames.valueAsList,
      recordTypes: recordTypes.valueAsList,
      ssmDocumentPrefix: documents.valueAsString,
      hookFunctionPrefix: functions.valueAsString,
      stackTemplateBucket: templateBucket.valueAsString,
      conditions: {
        route53: given('HasHostedZones', Fn.join('', zones.valueAsList)),
        stackHooks: given('HasStackHooks', templateBucket.valueAsString),
      },
    };
    this.workloadRole = new WorkloadRole(this, 'WorkloadRole', {
      ...common,
      roleName: roleName.valueAsString,
      access: 'act',
      trustedRoleNames: roleNames(ACTING_FUNCTIONS),
    });
    this.readOnlyRole = new WorkloadRole(this, 'ReadOnlyRole', {
      ...common,
      roleName: Fn.join('', [roleName.valueAsString, READ_ONLY_ROLE_SUFFIX]),
      access: 'read',
      // The reading functions, and the people onboarding a customer (plan validate --live).
      trustedRoleNames: [...roleNames(READING_FUNCTIONS), ONBOARDING_ROLE_NAME],
    });
    new CfnOutput(this, 'RoleArn', {
      value: this.workloadRole.role.attrArn,
      description: "Check it against the plan's account.id and account.roleName.",
    });
    new CfnOutput(this, 'ReadOnlyRoleArn', {
      value: this.readOnlyRole.role.attrArn,
      description: 'The role readiness checks assume: it reads, it changes nothing.',
    });
  }
}
