import { Aws, type CfnCondition, Fn, Token } from 'aws-cdk-lib';
import { CfnRole } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { InvalidPropsError } from '../errors.ts';
import { acknowledge, acknowledgeWildcards } from '../nag/acknowledge.ts';
import { FUNCTION_ROLE_PATH } from './lifeboat-function.ts';

export interface WorkloadRoleProps {
  /** The role's name, as the customer's plan names it (`account.roleName`). */
  roleName: string;
  /** The tooling account Lifeboat runs in. */
  lifeboatAccountId: string;
  /** The plan's `account.externalId`. */
  externalId: string;
  /** The plan's primary and recovery regions: the role acts in these two only. */
  regions: readonly [string, string];
  /** The private hosted zones whose records the plan flips (ids, or a list parameter). */
  hostedZoneIds: string[];
  /** SSM documents the plan's hooks and health checks run start with this. */
  ssmDocumentPrefix: string;
  /** Lambda hooks the plan invokes start with this. */
  hookFunctionPrefix: string;
  /** CloudFormation stacks the plan's stack hooks deploy and delete start with this (empty only with `conditions.stackHooks`). */
  stackHookPrefix: string;
  /**
   * Statements kept only when their CloudFormation condition holds (a template parameter left
   * empty drops its statement).
   * @default every statement is kept
   */
  conditions?: { route53?: CfnCondition; stackHooks?: CfnCondition };
}

/** The EC2 calls DRS makes with the caller's credentials while it launches, fails back or terminates. */
const EC2_FOR_DRS = [
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

type Statement = Record<string, unknown>;

/**
 * The role Lifeboat assumes in a customer's workload account, least privilege for what a
 * drill, failover and failback do there:
 *
 * - **Trust**: only Lifeboat's function roles (IAM path `/lifeboat/` in the tooling account),
 *   and only with the plan's external id.
 * - **DRS**: read everything needed to plan and watch jobs; start recovery, update launch
 *   settings, reverse replication and terminate recovery instances on the account's source
 *   servers and recovery instances in the plan's two regions. The EC2 calls DRS then makes with
 *   these credentials are allowed only when DRS makes them (`aws:CalledVia`), and the only
 *   roles it may pass to EC2 are DRS's own recovery-instance roles.
 * - **EC2**: stop instances (the sources before a drill) and read instances, status, subnets
 *   and security groups.
 * - **Route 53**: change records in the plan's private zones only.
 * - **SSM**: run the plan's documents (by prefix) on instances, and read the results.
 * - **Hooks**: invoke the plan's Lambda functions and deploy or delete its stacks (by prefix).
 *   What a stack hook's template creates (a cache, a cluster) is the customer's to grant: they
 *   attach their own policy for it to this role.
 */
export class WorkloadRole extends Construct {
  readonly role: CfnRole;

  constructor(scope: Construct, id: string, props: WorkloadRoleProps) {
    super(scope, id);
    const prefixes: [string, string][] = [
      ['ssmDocumentPrefix', props.ssmDocumentPrefix],
      ['hookFunctionPrefix', props.hookFunctionPrefix],
    ];
    // Without its condition, an empty stack prefix would allow every stack in the account.
    if (!props.conditions?.stackHooks) prefixes.push(['stackHookPrefix', props.stackHookPrefix]);
    for (const [name, value] of prefixes) {
      if (!Token.isUnresolved(value) && !/^[\w.-]+$/.test(value))
        throw new InvalidPropsError(
          'WorkloadRole',
          `${name} "${value}" must be a non-empty name prefix (letters, digits, _ . -): an empty prefix would allow every name.`,
        );
    }
    if (!Token.isUnresolved(props.lifeboatAccountId) && !/^\d{12}$/.test(props.lifeboatAccountId))
      throw new InvalidPropsError(
        'WorkloadRole',
        `lifeboatAccountId "${props.lifeboatAccountId}" is not a 12-digit account id.`,
      );
    const account = Aws.ACCOUNT_ID;
    // Every region Lifeboat knows is in the aws partition; a literal keeps the ARNs readable
    // (and CloudFormation wants a literal delimiter in Fn::Join).
    const partition = 'aws';
    const arns = (service: string, resource: string) =>
      props.regions.map((region) => `arn:${partition}:${service}:${region}:${account}:${resource}`);
    const inRegions = { StringEquals: { 'aws:RequestedRegion': [...props.regions] } };
    const sourceServers = arns('drs', 'source-server/*');
    const recoveryInstances = arns('drs', 'recovery-instance/*');
    const instances = arns('ec2', 'instance/*');
    const documents = arns('ssm', `document/${props.ssmDocumentPrefix}*`);
    const functions = arns('lambda', `function:${props.hookFunctionPrefix}*`);
    const stacks = arns('cloudformation', `stack/${props.stackHookPrefix}*/*`);
    const changes = `arn:${partition}:route53:::change/*`;
    const zones = Fn.split(
      ',',
      Fn.join('', [
        `arn:${partition}:route53:::hostedzone/`,
        Fn.join(`,arn:${partition}:route53:::hostedzone/`, props.hostedZoneIds),
      ]),
    );
    const drsInstanceRoles = [
      'AWSElasticDisasterRecoveryRecoveryInstanceRole',
      'AWSElasticDisasterRecoveryRecoveryInstanceWithLaunchActionsRole',
    ].map((name) => `arn:${partition}:iam::${account}:role/service-role/${name}`);
    const when = (condition: CfnCondition | undefined, statement: Statement): Statement =>
      condition
        ? (Fn.conditionIf(condition.logicalId, statement, Aws.NO_VALUE) as unknown as Statement)
        : statement;

    const statements: Statement[] = [
      {
        Sid: 'DrsRead',
        Effect: 'Allow',
        Action: [
          'drs:DescribeSourceServers',
          'drs:DescribeRecoverySnapshots',
          'drs:DescribeJobs',
          'drs:DescribeJobLogItems',
          'drs:DescribeRecoveryInstances',
          'drs:DescribeReplicationConfigurationTemplates',
          'drs:ListTagsForResource',
        ],
        Resource: '*',
        Condition: inRegions,
      },
      {
        Sid: 'DrsRecoverSourceServers',
        Effect: 'Allow',
        Action: ['drs:StartRecovery', 'drs:UpdateLaunchConfiguration'],
        Resource: sourceServers,
      },
      {
        Sid: 'DrsRecoveryInstances',
        Effect: 'Allow',
        Action: ['drs:ReverseReplication', 'drs:TerminateRecoveryInstances'],
        Resource: recoveryInstances,
      },
      {
        Sid: 'DrsCreateWhatRecoveryCreates',
        Effect: 'Allow',
        Action: ['drs:CreateRecoveryInstanceForDrs', 'drs:TagResource'],
        Resource: '*',
        Condition: inRegions,
      },
      {
        Sid: 'Ec2OnlyThroughDrs',
        Effect: 'Allow',
        Action: EC2_FOR_DRS,
        Resource: '*',
        Condition: {
          ...inRegions,
          'ForAnyValue:StringEquals': { 'aws:CalledVia': ['drs.amazonaws.com'] },
        },
      },
      {
        Sid: 'PassOnlyDrsInstanceRolesToEc2',
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: drsInstanceRoles,
        Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      },
      {
        Sid: 'Ec2StopSources',
        Effect: 'Allow',
        Action: 'ec2:StopInstances',
        Resource: instances,
      },
      {
        Sid: 'Ec2Read',
        Effect: 'Allow',
        Action: [
          'ec2:DescribeInstances',
          'ec2:DescribeInstanceStatus',
          'ec2:DescribeSubnets',
          'ec2:DescribeSecurityGroups',
        ],
        Resource: '*',
        Condition: inRegions,
      },
      when(props.conditions?.route53, {
        Sid: 'Route53PlanZones',
        Effect: 'Allow',
        Action: ['route53:ChangeResourceRecordSets', 'route53:GetHostedZone'],
        Resource: zones,
      }),
      {
        Sid: 'Route53ChangeStatus',
        Effect: 'Allow',
        Action: 'route53:GetChange',
        Resource: changes,
      },
      {
        Sid: 'SsmRunPlanDocuments',
        Effect: 'Allow',
        Action: 'ssm:SendCommand',
        Resource: [...documents, ...instances],
      },
      {
        Sid: 'SsmRead',
        Effect: 'Allow',
        Action: ['ssm:GetCommandInvocation', 'ssm:DescribeInstanceInformation'],
        Resource: '*',
        Condition: inRegions,
      },
      {
        Sid: 'LambdaHooks',
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: functions,
      },
      when(props.conditions?.stackHooks, {
        Sid: 'StackHooks',
        Effect: 'Allow',
        Action: [
          'cloudformation:CreateStack',
          'cloudformation:UpdateStack',
          'cloudformation:DeleteStack',
          'cloudformation:DescribeStacks',
        ],
        Resource: stacks,
      }),
    ];

    this.role = new CfnRole(this, 'Role', {
      roleName: props.roleName,
      description:
        'Lifeboat (DRS drills, failovers and failbacks from Slack) acts in this account through this role.',
      maxSessionDuration: 3600,
      assumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:${partition}:iam::${props.lifeboatAccountId}:root` },
            Action: 'sts:AssumeRole',
            Condition: {
              StringEquals: { 'sts:ExternalId': props.externalId },
              ArnLike: {
                'aws:PrincipalArn': `arn:${partition}:iam::${props.lifeboatAccountId}:role${FUNCTION_ROLE_PATH}*`,
              },
            },
          },
        ],
      },
      policies: [
        {
          policyName: 'lifeboat-recovery',
          policyDocument: { Version: '2012-10-17', Statement: statements },
        },
      ],
    });

    acknowledge(
      this.role,
      'AwsSolutions-IAM5[Resource::*]',
      "These actions have no resource-level permissions, or act on resources that do not exist yet: DRS Describe*/ListTagsForResource, CreateRecoveryInstanceForDrs and TagResource (StartRecovery creates and tags its job and instances), EC2 Describe*, the EC2 calls DRS makes while it launches (allowed only via drs.amazonaws.com), SSM GetCommandInvocation and DescribeInstanceInformation. Each statement is limited to the plan's two regions.",
    );
    acknowledgeWildcards(
      this.role,
      [...sourceServers, ...recoveryInstances],
      "Source servers and recovery instances are created by DRS (a reverse replication creates new source servers): scoped to this account and the plan's two regions.",
    );
    acknowledgeWildcards(
      this.role,
      instances,
      "The plan's instances (sources to stop, targets of SSM documents) change with the plan and after a failback; scoped to this account and the plan's two regions.",
    );
    const hooks =
      "Hooks are named in the plan: SSM documents, Lambda functions and CloudFormation stacks by the name prefix the customer chose for Lifeboat, in the plan's two regions.";
    acknowledgeWildcards(this.role, [...documents, ...functions], hooks);
    // A conditional statement is not analysed by cdk-nag (it cannot know the condition).
    if (!props.conditions?.stackHooks) acknowledgeWildcards(this.role, stacks, hooks);
    acknowledgeWildcards(
      this.role,
      [changes],
      'Route 53 change ids are generated per change; GetChange only reads whether a change is in sync.',
    );
  }
}
