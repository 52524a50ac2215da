import { Aws, type CfnCondition, Fn, Token } from 'aws-cdk-lib';
import { CfnPolicy, CfnRole } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import {
  MANAGED_STACK_TAG,
  PLAN_TAG_KEY,
  STACK_HOOK_PREFIX,
  type WorkloadAccess,
} from '../../orchestrator/domain/workload-access.ts';
import { InvalidPropsError } from '../errors.ts';
import { acknowledge, acknowledgeWildcards } from '../nag/acknowledge.ts';
import { FUNCTION_ROLE_PATH } from './lifeboat-function.ts';

export interface WorkloadRoleProps {
  /** The role's name: the plan's `account.roleName`, or the read-only role's name. */
  roleName: string;
  /**
   * `act`: recovery (stop, launch, terminate, DNS, hooks), on the plan's tagged resources only.
   * `read`: readiness checks, nothing that changes the account.
   */
  access: WorkloadAccess;
  /** The tooling account Lifeboat runs in. */
  lifeboatAccountId: string;
  /** Names of Lifeboat's function roles (under {@link FUNCTION_ROLE_PATH}) that may assume this role: no others. */
  trustedRoleNames: readonly string[];
  /** The plan's `account.externalId`. */
  externalId: string;
  /** The plan's primary and recovery regions: the role acts in these two only. */
  regions: readonly [string, string];
  /**
   * The ids of the plans in this account: a session of the recovery role may carry one
   * (`lifeboat:plan`), and acts on that plan's resources only.
   */
  planIds: string[];
  /** The private hosted zones whose records the plan flips (ids, or a list parameter). */
  hostedZoneIds: string[];
  /** The record names the plan changes, normalized (lower case, no trailing dot). */
  recordNames: string[];
  /** The record types the plan changes (`A`, `CNAME`). */
  recordTypes: string[];
  /** SSM documents the plan's hooks and health checks run start with this. */
  ssmDocumentPrefix: string;
  /** Lambda hooks the plan invokes start with this. */
  hookFunctionPrefix: string;
  /** The S3 bucket stack hooks' templates come from (empty only with `conditions.stackHooks`). */
  stackTemplateBucket: string;
  /**
   * Policies kept only when their CloudFormation condition holds (a template parameter left
   * empty drops its policy).
   * @default every policy is kept
   */
  conditions?: { route53?: CfnCondition; stackHooks?: CfnCondition };
}

/** The EC2 calls DRS makes with the caller's credentials while it launches, fails back or terminates. */
export const EC2_FOR_DRS = [
  'ec2:AttachVolume',
  'ec2:AuthorizeSecurityGroupEgress',
  'ec2:AuthorizeSecurityGroupIngress',
  'ec2:CreateLaunchTemplate',
  'ec2:CreateLaunchTemplateVersion',
  'ec2:CreateSnapshot',
  'ec2:CreateTags',
  'ec2:CreateVolume',
  'ec2:DeleteLaunchTemplateVersions',
  'ec2:DeleteSnapshot',
  'ec2:DeleteVolume',
  'ec2:DescribeAccountAttributes',
  'ec2:DescribeAvailabilityZones',
  'ec2:DescribeImages',
  'ec2:DescribeInstanceAttribute',
  'ec2:DescribeInstanceStatus',
  'ec2:DescribeInstanceTypes',
  'ec2:DescribeInstances',
  'ec2:DescribeLaunchTemplateVersions',
  'ec2:DescribeLaunchTemplates',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSnapshots',
  'ec2:DescribeSubnets',
  'ec2:DescribeVolumes',
  'ec2:DetachVolume',
  'ec2:ModifyInstanceAttribute',
  'ec2:ModifyLaunchTemplate',
  'ec2:RevokeSecurityGroupEgress',
  'ec2:RunInstances',
  'ec2:StartInstances',
  'ec2:StopInstances',
  'ec2:TerminateInstances',
];

/** The plan a session was tagged with when the role was assumed: a policy variable IAM resolves per call. */
export const SESSION_PLAN = `\${aws:PrincipalTag/${PLAN_TAG_KEY}}`;

type Statement = Record<string, unknown>;

/** One policy of the role: a statement, who may hold it, the condition that keeps it, and why its wildcards are there. */
interface PolicySpec {
  statement: Statement & { Sid: string };
  access: readonly WorkloadAccess[];
  condition?: CfnCondition | undefined;
  /** Each wildcard resource of the statement, and the reason it cannot be narrower. */
  wildcards?: { resources: string[]; reason: string };
}

const BOTH: readonly WorkloadAccess[] = ['act', 'read'];
const ACT: readonly WorkloadAccess[] = ['act'];

/**
 * A role Lifeboat assumes in a customer's workload account; the template deploys two, one per
 * {@link WorkloadAccess}. Each statement is its own policy, so each wildcard is acknowledged with
 * the reason that holds for that statement, and a conditional statement is analysed too.
 *
 * - **Trust**: only the named function roles of Lifeboat's tooling account, with the external id;
 *   the recovery role's sessions may be tagged with one plan of the account (`sts:TagSession`,
 *   `lifeboat:plan=<one of planIds>`, no other key).
 * - **Reads** (both roles): DRS, EC2 and SSM listings in the plan's two regions; recovery
 *   snapshots, zones, record sets, changes and stack status of the plan's resources.
 * - **Acts** (the recovery role): everything destructive needs the resource to carry the plan
 *   tag of the session's plan (`lifeboat:plan=${aws:PrincipalTag/lifeboat:plan}`), so a run of
 *   one plan cannot reach another plan's resources in a shared account: start recovery and
 *   update launch settings on the plan's source servers, reverse or terminate its recovery
 *   instances, stop or resize its instances, run the plan's SSM documents on its instances.
 *   DRS may tag only what it creates
 *   (`drs:CreateAction`); the EC2 calls DRS makes with these credentials are allowed only when
 *   DRS makes them (`aws:CalledVia`). Route 53: UPSERT of the plan's record names and types in
 *   its zones. Hooks: the plan's Lambda functions by prefix; stacks named `lifeboat-*`, created
 *   only with the managed tag, from the template bucket, without a service role; updated and
 *   deleted only when they carry the tag.
 */
export class WorkloadRole extends Construct {
  readonly role: CfnRole;
  /** The role's policies, by statement id. */
  readonly policies = new Map<string, CfnPolicy>();

  constructor(scope: Construct, id: string, props: WorkloadRoleProps) {
    super(scope, id);
    const prefixes: [string, string][] = [
      ['ssmDocumentPrefix', props.ssmDocumentPrefix],
      ['hookFunctionPrefix', props.hookFunctionPrefix],
    ];
    for (const [name, value] of prefixes) {
      if (!Token.isUnresolved(value) && !/^[\w.-]+$/.test(value))
        throw new InvalidPropsError(
          'WorkloadRole',
          `${name} "${value}" must be a non-empty name prefix (letters, digits, _ . -): an empty prefix would allow every name.`,
        );
    }
    if (
      !props.conditions?.stackHooks &&
      !Token.isUnresolved(props.stackTemplateBucket) &&
      !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(props.stackTemplateBucket)
    )
      throw new InvalidPropsError(
        'WorkloadRole',
        `stackTemplateBucket "${props.stackTemplateBucket}" is not an S3 bucket name: stack hooks need the bucket their templates come from.`,
      );
    if (!Token.isUnresolved(props.lifeboatAccountId) && !/^\d{12}$/.test(props.lifeboatAccountId))
      throw new InvalidPropsError(
        'WorkloadRole',
        `lifeboatAccountId "${props.lifeboatAccountId}" is not a 12-digit account id.`,
      );
    if (props.trustedRoleNames.length === 0)
      throw new InvalidPropsError(
        'WorkloadRole',
        'trustedRoleNames is empty: name the function roles that may assume this role.',
      );

    const trusted = {
      'aws:PrincipalArn': props.trustedRoleNames.map(
        (name) => `arn:aws:iam::${props.lifeboatAccountId}:role${FUNCTION_ROLE_PATH}${name}`,
      ),
    };
    this.role = new CfnRole(this, 'Role', {
      roleName: props.roleName,
      description:
        props.access === 'act'
          ? "Lifeboat (DRS drills, failovers and failbacks from Slack) acts in this account through this role, on the plans' tagged resources only."
          : 'Lifeboat reads replication, instances, DNS and stacks through this role for its readiness checks; it changes nothing.',
      maxSessionDuration: 3600,
      assumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${props.lifeboatAccountId}:root` },
            // Sessions carry the run's requester as source identity, for the customer's CloudTrail.
            Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
            Condition: { StringEquals: { 'sts:ExternalId': props.externalId, ...trusted } },
          },
          // A run's session carries its plan, and only that tag: the recovery role's statements
          // act on the resources tagged for the session's plan (aws:PrincipalTag), not the account's.
          ...(props.access === 'act'
            ? [
                {
                  Effect: 'Allow',
                  Principal: { AWS: `arn:aws:iam::${props.lifeboatAccountId}:root` },
                  Action: 'sts:TagSession',
                  Condition: {
                    StringEquals: {
                      ...trusted,
                      [`aws:RequestTag/${PLAN_TAG_KEY}`]: props.planIds,
                    },
                    'ForAllValues:StringEquals': { 'aws:TagKeys': [PLAN_TAG_KEY] },
                  },
                },
              ]
            : []),
        ],
      },
    });
    for (const spec of workloadPolicies(props).filter((p) => p.access.includes(props.access))) {
      const { Sid } = spec.statement;
      const policy = new CfnPolicy(this, Sid, {
        policyName: `lifeboat-${Sid}`,
        roles: [this.role.ref],
        policyDocument: { Version: '2012-10-17', Statement: [spec.statement] },
      });
      if (spec.condition) policy.cfnOptions.condition = spec.condition;
      if (spec.wildcards) {
        const exact = spec.wildcards.resources.filter((r) => r === '*');
        if (exact.length > 0)
          acknowledge(policy, 'AwsSolutions-IAM5[Resource::*]', spec.wildcards.reason);
        const patterns = spec.wildcards.resources.filter((r) => r !== '*');
        if (patterns.length > 0) acknowledgeWildcards(policy, patterns, spec.wildcards.reason);
      }
      this.policies.set(Sid, policy);
    }
  }
}

/** Every statement either role may hold, with the reason for each wildcard. */
function workloadPolicies(props: WorkloadRoleProps): PolicySpec[] {
  const account = Aws.ACCOUNT_ID;
  // Every region Lifeboat knows is in the aws partition; a literal keeps the ARNs readable
  // (and CloudFormation wants a literal delimiter in Fn::Join).
  const arns = (service: string, resource: string) =>
    props.regions.map((region) => `arn:aws:${service}:${region}:${account}:${resource}`);
  const inRegions = { 'aws:RequestedRegion': [...props.regions] };
  // The recovery role acts on the session's plan only (a run tags its session with it); the
  // read-only role's sessions carry no tag and read snapshots of any plan of the account.
  const planTagged = {
    [`aws:ResourceTag/${PLAN_TAG_KEY}`]: props.access === 'act' ? SESSION_PLAN : props.planIds,
  };
  const sourceServers = arns('drs', 'source-server/*');
  const recoveryInstances = arns('drs', 'recovery-instance/*');
  const drsJobs = arns('drs', 'job/*');
  const instances = arns('ec2', 'instance/*');
  const documents = arns('ssm', `document/${props.ssmDocumentPrefix}*`);
  const functions = arns('lambda', `function:${props.hookFunctionPrefix}*`);
  const stacks = arns('cloudformation', `stack/${STACK_HOOK_PREFIX}*/*`);
  const changes = 'arn:aws:route53:::change/*';
  const zones = Fn.split(
    ',',
    Fn.join('', [
      'arn:aws:route53:::hostedzone/',
      Fn.join(',arn:aws:route53:::hostedzone/', props.hostedZoneIds),
    ]),
  );
  const bucket = props.stackTemplateBucket;
  const templateUrls = [
    `https://${bucket}.s3.amazonaws.com/*`,
    ...props.regions.map((region) => `https://${bucket}.s3.${region}.amazonaws.com/*`),
  ];
  const drsInstanceRoles = [
    'AWSElasticDisasterRecoveryRecoveryInstanceRole',
    'AWSElasticDisasterRecoveryRecoveryInstanceWithLaunchActionsRole',
  ].map((name) => `arn:aws:iam::${account}:role/service-role/${name}`);
  const planResources = (what: string) =>
    `${what} are created by DRS (a failover or a reverse replication creates new ones), so their ids are not known in advance: the ARN pattern is this account and the plan's two regions, and a statement applies only to those carrying the plan tag (${PLAN_TAG_KEY}).`;

  return [
    {
      access: BOTH,
      statement: {
        Sid: 'DrsList',
        Effect: 'Allow',
        Action: [
          'drs:DescribeJobs',
          'drs:DescribeRecoveryInstances',
          'drs:DescribeSourceServers',
          'drs:ListTagsForResource',
        ],
        Resource: '*',
        Condition: { StringEquals: inRegions },
      },
      wildcards: {
        resources: ['*'],
        reason:
          "These DRS listings have no resource type in IAM (Service Authorization Reference): they can only be granted on '*'. They read; the statement is limited to the plan's two regions.",
      },
    },
    {
      access: BOTH,
      statement: {
        Sid: 'DrsReadJobLogs',
        Effect: 'Allow',
        Action: 'drs:DescribeJobLogItems',
        Resource: drsJobs,
      },
      wildcards: {
        resources: drsJobs,
        reason:
          "DRS job ids are generated per recovery: the pattern is this account and the plan's two regions; DescribeJobLogItems only reads a job's log.",
      },
    },
    {
      access: BOTH,
      statement: {
        Sid: 'DrsReadPlanSnapshots',
        Effect: 'Allow',
        Action: 'drs:DescribeRecoverySnapshots',
        Resource: sourceServers,
        Condition: { StringEquals: planTagged },
      },
      wildcards: { resources: sourceServers, reason: planResources('Source servers') },
    },
    {
      access: BOTH,
      statement: {
        Sid: 'Ec2List',
        Effect: 'Allow',
        Action: [
          'ec2:DescribeInstanceStatus',
          'ec2:DescribeInstances',
          'ec2:DescribeSecurityGroups',
          'ec2:DescribeSubnets',
        ],
        Resource: '*',
        Condition: { StringEquals: inRegions },
      },
      wildcards: {
        resources: ['*'],
        reason:
          "EC2 Describe* actions have no resource type in IAM: they can only be granted on '*'. They read; the statement is limited to the plan's two regions.",
      },
    },
    {
      access: BOTH,
      statement: {
        Sid: 'SsmList',
        Effect: 'Allow',
        // ListCommands: a task run again after a crash finds the command it sent (by its comment).
        Action: ['ssm:DescribeInstanceInformation', 'ssm:GetCommandInvocation', 'ssm:ListCommands'],
        Resource: '*',
        Condition: { StringEquals: inRegions },
      },
      wildcards: {
        resources: ['*'],
        reason:
          "ssm:DescribeInstanceInformation, ssm:GetCommandInvocation and ssm:ListCommands have no resource type in IAM: they can only be granted on '*'. They read agents' status, the commands sent and their output; the statement is limited to the plan's two regions.",
      },
    },
    {
      access: BOTH,
      condition: props.conditions?.route53,
      statement: {
        Sid: 'Route53ReadPlanZones',
        Effect: 'Allow',
        Action: ['route53:GetHostedZone', 'route53:ListResourceRecordSets'],
        Resource: zones,
      },
    },
    {
      access: BOTH,
      statement: {
        Sid: 'Route53ChangeStatus',
        Effect: 'Allow',
        Action: 'route53:GetChange',
        Resource: changes,
      },
      wildcards: {
        resources: [changes],
        reason:
          'Route 53 change ids are generated per change; GetChange only reads whether a change is in sync.',
      },
    },
    {
      access: BOTH,
      statement: {
        Sid: 'StackHookStatus',
        Effect: 'Allow',
        Action: 'cloudformation:DescribeStacks',
        Resource: stacks,
      },
      wildcards: {
        resources: stacks,
        reason: `Stack ids are generated by CloudFormation: the pattern is the stacks named ${STACK_HOOK_PREFIX}* in the plan's two regions; DescribeStacks only reads their status.`,
      },
    },
    {
      access: ACT,
      statement: {
        Sid: 'DrsRecoverPlanServers',
        Effect: 'Allow',
        Action: [
          'drs:CreateRecoveryInstanceForDrs',
          'drs:StartRecovery',
          'drs:UpdateLaunchConfiguration',
        ],
        Resource: sourceServers,
        Condition: { StringEquals: planTagged },
      },
      wildcards: { resources: sourceServers, reason: planResources('Source servers') },
    },
    {
      access: ACT,
      statement: {
        Sid: 'DrsPlanRecoveryInstances',
        Effect: 'Allow',
        Action: ['drs:ReverseReplication', 'drs:TerminateRecoveryInstances'],
        Resource: recoveryInstances,
        Condition: { StringEquals: planTagged },
      },
      wildcards: {
        resources: recoveryInstances,
        reason: planResources('Recovery instances'),
      },
    },
    {
      access: ACT,
      statement: {
        Sid: 'DrsTagOnlyOnCreate',
        Effect: 'Allow',
        Action: 'drs:TagResource',
        Resource: [...drsJobs, ...recoveryInstances, ...sourceServers],
        Condition: {
          StringEquals: { 'drs:CreateAction': ['StartRecovery', 'CreateRecoveryInstanceForDrs'] },
        },
      },
      wildcards: {
        resources: [...drsJobs, ...recoveryInstances, ...sourceServers],
        reason:
          "DRS tags the jobs and recovery instances a recovery creates as it creates them: allowed only then (drs:CreateAction), never to retag existing resources; this account and the plan's two regions.",
      },
    },
    {
      access: ACT,
      statement: {
        Sid: 'Ec2OnlyThroughDrs',
        Effect: 'Allow',
        Action: EC2_FOR_DRS,
        Resource: '*',
        Condition: {
          StringEquals: inRegions,
          'ForAnyValue:StringEquals': { 'aws:CalledVia': ['drs.amazonaws.com'] },
        },
      },
      wildcards: {
        resources: ['*'],
        reason:
          "The EC2 calls DRS makes with the caller's credentials while it launches recovery instances (volumes, snapshots, launch templates and instances it creates itself, so not known in advance): allowed only when DRS makes them (aws:CalledVia drs.amazonaws.com), in the plan's two regions.",
      },
    },
    {
      access: ACT,
      statement: {
        Sid: 'PassOnlyDrsInstanceRolesToEc2',
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: drsInstanceRoles,
        Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      },
    },
    {
      access: ACT,
      statement: {
        Sid: 'Ec2PlanInstances',
        Effect: 'Allow',
        Action: ['ec2:ModifyInstanceAttribute', 'ec2:StopInstances'],
        Resource: instances,
        Condition: { StringEquals: planTagged },
      },
      wildcards: {
        resources: instances,
        reason: `Instance ids change with the plan and after every failback: the pattern is this account and the plan's two regions, and the statement applies only to instances carrying the plan tag (${PLAN_TAG_KEY}).`,
      },
    },
    {
      access: ACT,
      condition: props.conditions?.route53,
      statement: {
        Sid: 'Route53UpsertPlanRecords',
        Effect: 'Allow',
        Action: 'route53:ChangeResourceRecordSets',
        Resource: zones,
        Condition: {
          'ForAllValues:StringEquals': {
            'route53:ChangeResourceRecordSetsNormalizedRecordNames': props.recordNames,
            'route53:ChangeResourceRecordSetsRecordTypes': props.recordTypes,
            'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
          },
        },
      },
    },
    {
      access: ACT,
      statement: {
        Sid: 'SsmPlanDocuments',
        Effect: 'Allow',
        Action: 'ssm:SendCommand',
        Resource: documents,
      },
      wildcards: {
        resources: documents,
        reason:
          "SSM documents the plan runs, by the name prefix the customer chose for Lifeboat, in the plan's two regions; where they run is limited by the next statement.",
      },
    },
    {
      access: ACT,
      statement: {
        Sid: 'SsmOnPlanInstances',
        Effect: 'Allow',
        Action: 'ssm:SendCommand',
        Resource: instances,
        Condition: { StringEquals: planTagged },
      },
      wildcards: {
        resources: instances,
        reason: `Commands run only on instances carrying the plan tag (${PLAN_TAG_KEY}); their ids change with the plan and after every failback.`,
      },
    },
    {
      access: ACT,
      statement: {
        Sid: 'LambdaHooks',
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: functions,
      },
      wildcards: {
        resources: functions,
        reason:
          "Lambda hooks are named in the plan, by the name prefix the customer chose for Lifeboat, in the plan's two regions.",
      },
    },
    ...stackHookPolicies(props, stacks, templateUrls),
  ];
}

/**
 * Stack hooks in Lifeboat's namespace: stacks named `lifeboat-*`, created only with the managed
 * tag, from the template bucket and without a service role (a role would let the stack do what
 * this role cannot); updated and deleted only when they carry the tag.
 */
function stackHookPolicies(
  props: WorkloadRoleProps,
  stacks: string[],
  templateUrls: string[],
): PolicySpec[] {
  const noServiceRole = { 'cloudformation:RoleArn': 'true' };
  const reason = `Stack ids are generated by CloudFormation: the pattern is the stacks named ${STACK_HOOK_PREFIX}* in the plan's two regions, and the statement's conditions hold it to stacks carrying ${MANAGED_STACK_TAG.key}=${MANAGED_STACK_TAG.value}.`;
  const managed = (key: 'aws:RequestTag' | 'aws:ResourceTag') => ({
    [`${key}/${MANAGED_STACK_TAG.key}`]: MANAGED_STACK_TAG.value,
  });
  const spec = (Sid: string, Action: string, Condition: Record<string, unknown>): PolicySpec => ({
    access: ACT,
    condition: props.conditions?.stackHooks,
    statement: { Sid, Effect: 'Allow', Action, Resource: stacks, Condition },
    wildcards: { resources: stacks, reason },
  });
  return [
    spec('StackHookCreate', 'cloudformation:CreateStack', {
      StringEquals: managed('aws:RequestTag'),
      StringLike: { 'cloudformation:TemplateUrl': templateUrls },
      Null: noServiceRole,
    }),
    spec('StackHookUpdate', 'cloudformation:UpdateStack', {
      StringEquals: managed('aws:ResourceTag'),
      StringLike: { 'cloudformation:TemplateUrl': templateUrls },
      Null: noServiceRole,
    }),
    spec('StackHookDelete', 'cloudformation:DeleteStack', {
      StringEquals: managed('aws:ResourceTag'),
      Null: noServiceRole,
    }),
  ];
}
