import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnRole, IRole } from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { IngressEnvSchema, NotifierEnvSchema } from '../../bot/env.ts';
import { acceptsVariable } from '../../infra/environment.ts';
import { OrchestratorStack } from '../../infra/stacks/orchestrator-stack.ts';
import type { RegionStack } from '../../infra/stacks/region-stack.ts';
import { HandlerEnvSchema } from '../../orchestrator/handlers/env.ts';
import {
  acknowledgments,
  actionsOf,
  everyNagFinding,
  grantsOf,
  statementsOf,
  synthesizeLifeboat,
  unacknowledgedNagFindings,
} from './synthesize.ts';

const { app, config, customers, stacks, report } = synthesizeLifeboat();
const ACCOUNT = config.account;
const REGIONS = ['us-east-1', 'us-east-2', 'us-west-2', 'us-west-1'] as const;
const region = (name: (typeof REGIONS)[number]) => {
  const stack = stacks.regions.get(name);
  if (!stack) throw new Error(`no stack for ${name}`);
  return { stack, template: Template.fromStack(stack) };
};
const tableArn = (r: string) => `arn:aws:dynamodb:${r}:${ACCOUNT}:table/lifeboat-state`;
/** The strongly consistent lock table's replica a region's functions use (us-west-1: us-west-2's). */
const lockTableArn = (r: string) =>
  `arn:aws:dynamodb:${r === 'us-west-1' ? 'us-west-2' : r}:${ACCOUNT}:table/lifeboat-state-locks`;
const machineArns = REGIONS.map(
  (r) => `arn:aws:states:${r}:${ACCOUNT}:stateMachine:lifeboat-runbook`,
);
const LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
const STATE = [
  'dynamodb:DeleteItem',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
  'dynamodb:UpdateItem',
];
/** The report objects of a region's bucket, as the template writes the ARN. */
const reportObjects = (stack: RegionStack) =>
  JSON.stringify(stack.resolve(stack.reports.bucket.arnForObjects('reports/*')));
const notifies = acceptsVariable(HandlerEnvSchema, 'NOTIFY_QUEUE_URL') ? ['sqs:SendMessage'] : [];

describe('the Lifeboat app', () => {
  it('has a stack for each of the four regions of both pairs, after the state table', () => {
    // Assess
    expect([...stacks.regions.keys()]).toEqual([...REGIONS]);
    for (const [name, stack] of stacks.regions) {
      expect(stack.region).toBe(name);
      expect(stack.account).toBe(ACCOUNT);
      expect(stack.terminationProtection).toBe(true);
      expect(stack.dependencies).toContain(stacks.state);
    }
    expect(stacks.state.region).toBe('us-east-1');
  });

  it.each(REGIONS)(
    'runs the runbook state machine in %s, named for the bot, logged and traced',
    (name) => {
      // Assess
      region(name).template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        StateMachineName: 'lifeboat-runbook',
        StateMachineType: 'STANDARD',
        LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false },
        TracingConfiguration: { Enabled: true },
      });
    },
  );

  it('deploys the very state machine the local runner and the end-to-end tests run', () => {
    // Prepare: the orchestrator stack as sandbox/stepfunctions/synth.ts builds it (no flags)
    const localApp = new App({
      builtinCloudFormationValidation: false,
      context: { 'aws:cdk:bundling-stacks': [] },
    });
    const local = new OrchestratorStack(localApp, 'LifeboatLocal', {
      env: { account: '123456789012', region: 'us-east-2' },
      environment: {},
    });
    // Act: both definitions with every function reference replaced by its handler's name
    const [deployed, localDefinition] = [
      region('us-east-2').template,
      Template.fromStack(local),
    ].map((template) => {
      const resources = template.toJSON().Resources as Record<
        string,
        { Type: string; Properties: Record<string, unknown> }
      >;
      const machine = Object.values(resources).find(
        (r) => r.Type === 'AWS::StepFunctions::StateMachine',
      );
      const handlerOf = (id: string) =>
        `handler:${String(resources[id]?.Properties.Handler).split('.').pop()}`;
      return JSON.parse(joinDefinition(machine?.Properties.DefinitionString, handlerOf));
    });
    // Assess
    expect(JSON.stringify(deployed)).toContain('"Resource":"handler:startStep"');
    expect(deployed).toEqual(localDefinition);
  });

  it('replicates one encrypted state table to every region, with point-in-time recovery', () => {
    // Assess (the other global table is the strongly consistent lock table: LockTable's test)
    const template = Template.fromStack(stacks.state);
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 2);
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TableName: 'lifeboat-state-locks',
      MultiRegionConsistency: 'STRONG',
    });
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      Properties: {
        TableName: 'lifeboat-state',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      },
    });
    const [table] = Object.values(template.findResources('AWS::DynamoDB::GlobalTable')).filter(
      (t) => (t as { Properties: { TableName: string } }).Properties.TableName === 'lifeboat-state',
    ) as { Properties: { Replicas: { Region: string }[] } }[];
    const replicas = table?.Properties.Replicas ?? [];
    expect(replicas.map((r) => r.Region).sort()).toEqual([...REGIONS].sort());
    for (const replica of replicas)
      expect(replica).toMatchObject({
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
  });

  it.each(REGIONS)('gives each task Lambda in %s only what its handler does', (name) => {
    // Prepare
    const { stack, template } = region(name);
    const tasks = stack.tasks.byHandler;
    const customerRoles = customers.map((c) => c.roleArn).sort();
    // Assess: state on this region's replicas only (the lock table's nearest), for every task
    expect(Object.values(tasks).length).toBeGreaterThan(0);
    for (const task of Object.values(tasks)) {
      const grants = grantsOf(template.toJSON(), task.role);
      const state = grants.filter(([a]) => a.startsWith('dynamodb:'));
      for (const [action, resource] of state)
        expect([tableArn(name), lockTableArn(name)], action).toContain(resource);
      expect(state).toContainEqual(['dynamodb:PutItem', lockTableArn(name)]);
      expect(grants.some(([a]) => a.includes('*'))).toBe(false);
    }
    for (const plain of [
      tasks.prepare,
      tasks.next,
      tasks.failStep,
      tasks.openGate,
      tasks.applyDecision,
    ])
      expect(actionsOf(template.toJSON(), plain.role)).toEqual(
        [...LOGS, ...STATE, ...notifies].sort(),
      );
    expect(actionsOf(template.toJSON(), tasks.finish.role)).toEqual(
      [...LOGS, ...STATE, ...notifies, 'kms:Decrypt', 'kms:GenerateDataKey', 's3:PutObject'].sort(),
    );
    // The steps' sessions carry the run's requester as source identity, and its plan as a session tag.
    const assumes = ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'];
    expect(actionsOf(template.toJSON(), tasks.startStep.role)).toEqual(
      [
        ...LOGS,
        ...STATE,
        ...notifies,
        'kms:Decrypt',
        'kms:GenerateDataKey',
        's3:PutObject',
        ...assumes,
      ].sort(),
    );
    expect(actionsOf(template.toJSON(), tasks.pollStep.role)).toEqual(
      [...LOGS, ...STATE, ...notifies, ...assumes].sort(),
    );
    // The report step and an aborted run's end write reports: under reports/, in this region's bucket.
    for (const writer of [tasks.startStep, tasks.finish])
      expect(grantsOf(template.toJSON(), writer.role).filter(([a]) => a.startsWith('s3:'))).toEqual(
        [['s3:PutObject', reportObjects(stack)]],
      );
    for (const step of [tasks.startStep, tasks.pollStep]) {
      const assumed = grantsOf(template.toJSON(), step.role)
        .filter(([a]) => a === 'sts:AssumeRole')
        .map(([, r]) => r)
        .sort();
      expect(assumed).toEqual(customerRoles);
    }
    expect(
      grantsOf(template.toJSON(), tasks.expireGates.role)
        .filter(([a]) => a.startsWith('states:'))
        .sort(),
    ).toEqual(machineArns.map((arn) => ['states:SendTaskSuccess', arn]).sort());
  });

  it.each(REGIONS)(
    'lets only the bot ingress in %s append audit entries, and no role change one (dynamodb:LeadingKeys)',
    (name) => {
      // Prepare
      const { stack, template } = region(name);
      const json = template.toJSON();
      const auditDenials = (role: IRole) =>
        statementsOf(json, role).filter(
          (s) =>
            s.Effect === 'Deny' &&
            JSON.stringify(s.Condition) ===
              JSON.stringify({ 'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': ['AUDIT#*'] } }),
        );
      const writers = [
        ...Object.values(stack.tasks.byHandler).map((t) => t.role),
        stack.notifier.handler.role,
      ];
      // Assess: every role that writes the table is denied the audit partitions
      for (const role of writers) {
        const [denial, ...more] = auditDenials(role);
        expect(more).toEqual([]);
        expect([denial?.Action].flat().sort()).toEqual(
          ['dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'].sort(),
        );
        expect(denial?.Resource).toBe(tableArn(name));
      }
      // ...and the ingress may only add entries
      if (stack.bot) {
        const [denial] = auditDenials(stack.bot.ingress.role);
        expect([denial?.Action].flat().sort()).toEqual(
          ['dynamodb:DeleteItem', 'dynamodb:UpdateItem'].sort(),
        );
      }
    },
  );

  it("assumes exactly the roles the customers' plans name, with their accounts", () => {
    // Assess
    expect(customers.map((c) => c.roleArn).sort()).toEqual([
      'arn:aws:iam::410000000101:role/LifeboatExecution',
      'arn:aws:iam::410000000202:role/LifeboatExecution',
      'arn:aws:iam::420000000303:role/LifeboatExecution',
      'arn:aws:iam::430000000901:role/LifeboatExecution',
      'arn:aws:iam::430000000902:role/LifeboatExecution',
    ]);
  });

  it('gives people one onboarding role that may assume only the read-only roles, which trust it by name', () => {
    // Prepare
    const { role } = stacks.state.onboarding;
    const json = Template.fromStack(stacks.state).toJSON();
    const cfn = role.node.defaultChild as CfnRole;
    const trust = stacks.state.resolve(cfn.assumeRolePolicyDocument) as {
      Statement: { Principal: { AWS: unknown }; Action: string }[];
    };
    const readOnlyTrust = JSON.stringify(
      Template.fromStack(stacks.workloadRole).findResources('AWS::IAM::Role'),
    );
    // Assess: a fixed name the customers' template names; the tooling account's grant; reads only
    expect([cfn.roleName, cfn.path]).toEqual(['lifeboat-onboarding', '/lifeboat/']);
    expect(trust.Statement.map((s) => [s.Action, JSON.stringify(s.Principal.AWS)])).toEqual([
      ['sts:AssumeRole', expect.stringContaining(':root')],
    ]);
    expect(grantsOf(json, role)).toEqual(
      customers.map((c) => c.readOnlyRoleArn).map((arn) => ['sts:AssumeRole', arn]),
    );
    expect(readOnlyTrust.match(/role\/lifeboat\/lifeboat-onboarding/g)).toHaveLength(1);
  });

  it("lets only the bot's functions read the Slack secret, each in its own region", () => {
    for (const name of REGIONS) {
      // Prepare
      const { stack, template } = region(name);
      const readers: IRole[] = [stack.notifier.handler.role];
      if (stack.bot) readers.push(stack.bot.ingress.role);
      const secret = `arn:aws:secretsmanager:${name}:${ACCOUNT}:secret:lifeboat/slack-??????`;
      // Assess
      const policies = template.findResources('AWS::IAM::Policy');
      const reading = Object.values(policies).filter((p) =>
        JSON.stringify(p).includes('secretsmanager:'),
      );
      expect(reading).toHaveLength(readers.length);
      for (const role of readers) {
        expect(
          statementsOf(template.toJSON(), role).filter(
            (s) => s.Action === 'secretsmanager:GetSecretValue',
          ),
        ).toEqual([{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: secret }]);
      }
    }
  });

  it('gives the notifier and the bot ingress what they do, and nothing more', () => {
    // Prepare
    const { stack, template } = region('us-east-1');
    const json = template.toJSON();
    const bot = stack.bot;
    expect(bot).toBeDefined();
    if (!bot) return;
    // Assess
    expect(actionsOf(json, stack.notifier.handler.role)).toEqual(
      [
        ...LOGS,
        ...STATE,
        'secretsmanager:GetSecretValue',
        'sqs:ChangeMessageVisibility',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:ReceiveMessage',
        's3:GetObject',
        'kms:Decrypt',
        'sts:AssumeRole',
      ].sort(),
    );
    // Presigned report links read as the notifier, in any region's report bucket.
    expect(
      grantsOf(json, stack.notifier.handler.role)
        .filter(([a]) => a === 's3:GetObject')
        .map(([, r]) => r)
        .sort(),
    ).toEqual(REGIONS.map((r) => `arn:aws:s3:::lifeboat-reports-${ACCOUNT}-${r}/reports/*`).sort());
    expect(actionsOf(json, bot.ingress.role)).toEqual(
      [
        ...LOGS,
        ...STATE,
        's3:GetObject',
        'kms:Decrypt',
        'secretsmanager:GetSecretValue',
        'sqs:SendMessage',
        'states:SendTaskFailure',
        'states:SendTaskSuccess',
        'states:StartExecution',
      ].sort(),
    );
    // Report links redirect to a GET the ingress presigns: report keys of the report buckets only.
    expect(
      grantsOf(json, bot.ingress.role)
        .filter(([a]) => a.startsWith('s3:'))
        .sort(),
    ).toEqual(
      REGIONS.map((r) => [
        's3:GetObject',
        `arn:aws:s3:::lifeboat-reports-${ACCOUNT}-${r}/reports/*`,
      ]).sort(),
    );
    // An operation starts in the region it makes active: any region of either pair; an
    // incident in a region that is not the lost one.
    expect(
      grantsOf(json, bot.ingress.role)
        .filter(([a]) => a === 'states:StartExecution')
        .map(([, r]) => r)
        .sort(),
    ).toEqual(
      [
        ...machineArns,
        ...machineArns.map((arn) => arn.replace('lifeboat-runbook', 'lifeboat-incident')),
      ].sort(),
    );
    expect(grantsOf(json, bot.health.role).filter(([a]) => !LOGS.includes(a))).toEqual([
      ['dynamodb:GetItem', tableArn('us-east-1')],
    ]);
  });

  it('gives every Lambda the environment its handler parses', () => {
    // Prepare
    const { template } = region('us-east-1');
    const functions = Object.values(template.findResources('AWS::Lambda::Function')) as {
      Properties: { Description: string; Environment: { Variables: Record<string, string> } };
    }[];
    const env = (description: RegExp) =>
      functions.find((f) => description.test(f.Properties.Description))?.Properties.Environment
        .Variables;
    // Assess
    const ingress = IngressEnvSchema.parse({ ...env(/^bot ingress/), AWS_REGION: 'us-east-1' });
    expect(ingress).toMatchObject({
      STATE_TABLE: 'lifeboat-state',
      PLANS_DIR: '/var/task/config/customers',
      SETTINGS_FILE: '/var/task/config/defaults.yaml',
      SLACK_SECRET_ARN: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:lifeboat/slack`,
      STATE_MACHINE_ARN_PATTERN: `arn:aws:states:{region}:${ACCOUNT}:stateMachine:lifeboat-runbook`,
      NOTIFY_QUEUE_URL: `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/lifeboat-notify.fifo`,
      SLACK_TEAM_ID: config.slack.teamId,
      REPORT_BUCKETS: REGIONS.map((r) => `${r}=lifeboat-reports-${ACCOUNT}-${r}`).join(','),
    });
    expect(NotifierEnvSchema.parse({ ...env(/^notifier/), AWS_REGION: 'us-east-1' })).toMatchObject(
      {
        REPORT_LINK_URL: 'https://lifeboat.ops.example.com',
        REPORT_RETENTION_DAYS: config.reports.retentionDays,
      },
    );
    // The bot's functions wire the orchestrator too (wireOrchestrator), on its own schema.
    for (const bot of [/^notifier/, /^bot ingress/])
      HandlerEnvSchema.parse({ ...env(bot), AWS_REGION: 'us-east-1' });
    expect(
      HandlerEnvSchema.parse({ ...env(/^runbook task prepare/), AWS_REGION: 'us-east-1' }),
    ).toMatchObject({
      STATE_TABLE: 'lifeboat-state',
      REPORT_BUCKET: `lifeboat-reports-${ACCOUNT}-us-east-1`,
    });
    expect(env(/^runbook task prepare/)).not.toHaveProperty('REPORT_RETAIN_DAYS');
    for (const f of functions)
      expect(f.Properties.Environment.Variables.AWS_REGION).toBeUndefined();
  });

  it.each(REGIONS)(
    'runs every Lambda in %s on Node 22, arm64, logging to its own group',
    (name) => {
      // Assess
      const { template } = region(name);
      const functions = Object.values(template.findResources('AWS::Lambda::Function'));
      expect(functions.length).toBeGreaterThanOrEqual(10);
      for (const f of functions)
        expect(f).toMatchObject({
          Properties: {
            Runtime: 'nodejs22.x',
            Architectures: ['arm64'],
            LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
          },
        });
      template.allResourcesProperties('AWS::Logs::LogGroup', {
        RetentionInDays: config.logRetentionDays,
      });
    },
  );

  it('puts the bot behind one failover name: primary in us-east-1, secondary in us-west-2', () => {
    for (const [name, failover] of [
      ['us-east-1', 'PRIMARY'],
      ['us-west-2', 'SECONDARY'],
    ] as const) {
      // Prepare
      const { template } = region(name);
      const checks = template.findResources('AWS::Route53::HealthCheck');
      const [checkId] = Object.keys(checks);
      // Assess
      expect(Object.keys(checks)).toHaveLength(1);
      template.hasResourceProperties('AWS::Route53::HealthCheck', {
        HealthCheckConfig: {
          Type: 'HTTPS',
          Port: 443,
          ResourcePath: '/health',
          RequestInterval: 30,
          FailureThreshold: 3,
          FullyQualifiedDomainName: {
            'Fn::Join': [
              '',
              [{ Ref: Match.anyValue() }, `.execute-api.${name}.`, Match.anyValue()],
            ],
          },
        },
      });
      template.resourceCountIs('AWS::Route53::RecordSet', 1);
      template.hasResourceProperties('AWS::Route53::RecordSet', {
        Name: 'lifeboat.ops.example.com.',
        Type: 'A',
        HostedZoneId: config.bot.hostedZone.id,
        Failover: failover,
        SetIdentifier: `lifeboat-bot-${name}`,
        HealthCheckId: { Ref: checkId },
        AliasTarget: { EvaluateTargetHealth: true },
      });
      template.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
        DomainName: 'lifeboat.ops.example.com',
        DomainNameConfigurations: [
          Match.objectLike({ EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2' }),
        ],
      });
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /health' });
      // Report links, to the ingress, which checks their own signature (no Slack signature there).
      const routes = template.findResources('AWS::ApiGatewayV2::Route');
      const reports = Object.values(routes).filter(
        (r) => r.Properties.RouteKey === 'GET /reports/{proxy+}',
      );
      expect(reports).toHaveLength(1);
      expect(Object.keys(routes)).toHaveLength(2);
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }),
        DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
        RouteSettings: { 'GET /health': { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 } },
      });
      // Slack's route: POST /slack/events on a REST stage behind AWS WAF, to the same ingress.
      template.hasResourceProperties('AWS::ApiGatewayV2::ApiMapping', { ApiMappingKey: 'slack' });
      template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'events' });
      template.hasResourceProperties('AWS::ApiGateway::Stage', {
        MethodSettings: Match.arrayWith([
          Match.objectLike({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 }),
        ]),
      });
      template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
      // Descriptions as WAF's pattern takes them (CloudFormation refuses the stack otherwise)
      for (const acl of Object.values(template.findResources('AWS::WAFv2::WebACL')))
        expect(acl.Properties.Description).toMatch(
          /^[a-zA-Z0-9=:#@/\-,.][a-zA-Z0-9+=:#@/\-,.\s]+[a-zA-Z0-9+=:#@/\-,.]$/,
        );
      const [method] = Object.values(template.findResources('AWS::ApiGateway::Method'));
      const alias = region(name).stack.bot?.ingressAlias;
      expect(alias).toBeDefined();
      expect(JSON.stringify(method?.Properties.Integration)).toContain(
        region(name).stack.getLogicalId(alias?.node.defaultChild as never),
      );
    }
    for (const name of ['us-east-2', 'us-west-1'] as const) {
      region(name).template.resourceCountIs('AWS::Route53::RecordSet', 0);
      region(name).template.resourceCountIs('AWS::ApiGatewayV2::Api', 0);
    }
  });

  it.each(REGIONS)(
    'keeps reports in %s versioned, object-locked, encrypted, private and TLS only',
    (name) => {
      // Prepare
      const { template } = region(name);
      // Assess
      template.hasResource('AWS::S3::Bucket', {
        DeletionPolicy: 'Retain',
        Properties: {
          BucketName: `lifeboat-reports-${ACCOUNT}-${name}`,
          VersioningConfiguration: { Status: 'Enabled' },
          ObjectLockEnabled: true,
          ObjectLockConfiguration: {
            ObjectLockEnabled: 'Enabled',
            Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: config.reports.retentionDays } },
          },
          BucketEncryption: {
            ServerSideEncryptionConfiguration: [
              {
                ServerSideEncryptionByDefault: {
                  SSEAlgorithm: 'aws:kms',
                  KMSMasterKeyID: Match.anyValue(),
                },
                BucketKeyEnabled: true,
              },
            ],
          },
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            BlockPublicPolicy: true,
            IgnorePublicAcls: true,
            RestrictPublicBuckets: true,
          },
          LoggingConfiguration: { DestinationBucketName: Match.anyValue() },
        },
      });
      const policies = Object.values(template.findResources('AWS::S3::BucketPolicy'));
      expect(policies).toHaveLength(2);
      for (const policy of policies)
        expect(JSON.stringify(policy)).toContain('"aws:SecureTransport":"false"');
    },
  );

  it.each(REGIONS)(
    'wakes the notifier in %s through an encrypted FIFO queue with a dead-letter queue',
    (name) => {
      // Assess
      const { template } = region(name);
      template.hasResourceProperties('AWS::SQS::Queue', {
        QueueName: 'lifeboat-notify.fifo',
        FifoQueue: true,
        SqsManagedSseEnabled: true,
        RedrivePolicy: { maxReceiveCount: 5 },
      });
      template.hasResourceProperties('AWS::SQS::Queue', {
        QueueName: 'lifeboat-notify-dlq.fifo',
        FifoQueue: true,
      });
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    },
  );

  it.each(REGIONS)('alarms in %s on failed and timed-out runs and on dead letters', (name) => {
    // Prepare
    const { template } = region(name);
    const topics = Object.keys(template.findResources('AWS::SNS::Topic'));
    // Assess
    expect(topics).toHaveLength(1);
    for (const metric of [
      'ExecutionsFailed',
      'ExecutionsTimedOut',
      'ApproximateNumberOfMessagesVisible',
    ])
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: metric,
        AlarmActions: [{ Ref: topics[0] }],
        TreatMissingData: 'notBreaching',
      });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'dr-oncall@example.com',
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it("hands customers a role template: a recovery and a read-only role, trusted by the function roles that reach customers' accounts, by name", () => {
    // Prepare
    const template = Template.fromStack(stacks.workloadRole);
    const json = template.toJSON() as {
      Parameters: Record<string, { Type: string; NoEcho?: boolean }>;
      Rules?: unknown;
    };
    const trustedBy = (fns: string[]) =>
      REGIONS.flatMap((r) =>
        fns.map((fn) => ({
          'Fn::Join': [
            '',
            ['arn:aws:iam::', { Ref: 'LifeboatAccountId' }, `:role/lifeboat/lifeboat-${fn}-${r}`],
          ],
        })),
      );
    // Assess: no bootstrap needed, so it deploys in any account as it is
    expect(json.Rules).toBeUndefined();
    expect(Object.keys(json.Parameters).sort()).toEqual([
      'ExternalId',
      'HookFunctionPrefix',
      'HostedZoneIds',
      'LifeboatAccountId',
      'PlanIds',
      'PrimaryRegion',
      'RecordNames',
      'RecordTypes',
      'RecoveryRegion',
      'RoleName',
      'SsmDocumentPrefix',
      'StackTemplateBucket',
    ]);
    expect(json.Parameters.ExternalId?.NoEcho).toBe(true);
    const onboarding = {
      'Fn::Join': [
        '',
        ['arn:aws:iam::', { Ref: 'LifeboatAccountId' }, ':role/lifeboat/lifeboat-onboarding'],
      ],
    };
    const tooling = {
      AWS: { 'Fn::Join': ['', ['arn:aws:iam::', { Ref: 'LifeboatAccountId' }, ':root']] },
    };
    const acting = trustedBy(['start-step', 'poll-step']);
    for (const [roleName, principals, tagging] of [
      [
        { Ref: 'RoleName' },
        acting,
        // A run's session carries its plan, one of the account's, and no other tag.
        [
          {
            Effect: 'Allow',
            Principal: tooling,
            Action: 'sts:TagSession',
            Condition: {
              StringEquals: {
                'aws:PrincipalArn': acting,
                'aws:RequestTag/lifeboat:plan': { Ref: 'PlanIds' },
              },
              'ForAllValues:StringEquals': { 'aws:TagKeys': ['lifeboat:plan'] },
            },
          },
        ],
      ],
      [
        { 'Fn::Join': ['', [{ Ref: 'RoleName' }, 'ReadOnly']] },
        [...trustedBy(['notifier', 'incident-task']), onboarding],
        [],
      ],
    ] as const)
      template.hasResourceProperties('AWS::IAM::Role', {
        RoleName: roleName,
        AssumeRolePolicyDocument: {
          Statement: [
            {
              Effect: 'Allow',
              Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
              Principal: tooling,
              Condition: {
                StringEquals: {
                  'sts:ExternalId': { Ref: 'ExternalId' },
                  'aws:PrincipalArn': [...principals],
                },
              },
            },
            ...tagging,
          ],
        },
      });
    const text = JSON.stringify(json);
    for (const broad of ['"drs:*"', '"ec2:*"', '"route53:*"', '"ssm:*"', '"iam:*"', '"*:*"'])
      expect(text).not.toContain(broad);
    // The EC2 actions DRS needs while it launches are allowed only when DRS makes them.
    expect(text).toContain('"ForAnyValue:StringEquals":{"aws:CalledVia":["drs.amazonaws.com"]}');
  });

  it.each(REGIONS)(
    'in %s, names the function roles the customers trust, and lets readiness assume only the read-only roles',
    (name) => {
      // Prepare
      const { stack, template } = region(name);
      const json = template.toJSON();
      const assumed = (role: IRole) =>
        grantsOf(json, role)
          .filter(([a]) => a === 'sts:AssumeRole')
          .map(([, r]) => r)
          .sort();
      const nameOf = (role: IRole) => (role.node.defaultChild as CfnRole).roleName;
      const { startStep, pollStep } = stack.tasks.byHandler;
      // Assess
      expect(nameOf(startStep.role)).toBe(`lifeboat-start-step-${name}`);
      expect(nameOf(pollStep.role)).toBe(`lifeboat-poll-step-${name}`);
      expect(nameOf(stack.notifier.handler.role)).toBe(`lifeboat-notifier-${name}`);
      expect(assumed(stack.notifier.handler.role)).toEqual(
        customers.map((c) => c.readOnlyRoleArn).sort(),
      );
      for (const step of [startStep, pollStep])
        expect(assumed(step.role)).toEqual(customers.map((c) => c.roleArn).sort());
    },
  );

  it("leaves the customers' template out of `cdk deploy --all`", () => {
    // Assess: --all deploys the app's top-level stacks; the template is in a nested stage
    const topLevel = app.node.children.filter((c) => 'templateFile' in c).map((c) => c.node.id);
    expect(topLevel.sort()).toEqual(
      ['Lifeboat-State', 'Lifeboat-Routing', ...REGIONS.map((r) => `Lifeboat-${r}`)].sort(),
    );
  });

  it("passes cdk-nag's AWS Solutions checks: no finding unacknowledged, none acknowledged in vain", () => {
    // Assess: the synth ran the checks (it would have thrown), and reported nothing but
    // Lifeboat's own warnings (config/deploy.yaml has no arc: section yet)
    expect(
      report.pluginReports
        .filter((r) => r.pluginName !== 'Construct Annotations')
        .flatMap((r) => r.violations),
    ).toEqual([]);
    expect(unacknowledgedNagFindings(app)).toEqual([]);
    // Every acknowledgment names a finding raised on its construct or below, with a reason.
    const findings = everyNagFinding(app);
    expect(findings.length).toBeGreaterThan(50);
    const inVain = acknowledgments(app).filter(
      (ack) =>
        ack.id.startsWith('AwsSolutions-') &&
        !findings.some(
          (f) => f.id === ack.id && (f.path === ack.path || f.path.startsWith(`${ack.path}/`)),
        ),
    );
    expect(inVain).toEqual([]);
    const acks = acknowledgments(app);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) expect(ack.reason.length, ack.id).toBeGreaterThan(40);
  });
});

/** A `DefinitionString` (`Fn::Join` of text and references) as text, references named by `name`. */
function joinDefinition(value: unknown, name: (logicalId: string) => string): string {
  if (typeof value === 'string') return value;
  const node = value as Record<string, unknown>;
  if ('Fn::Join' in node) {
    const [separator, parts] = node['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => joinDefinition(p, name)).join(separator);
  }
  if ('Fn::GetAtt' in node) return name(String((node['Fn::GetAtt'] as string[])[0]));
  if ('Ref' in node) return node.Ref === 'AWS::Partition' ? 'aws' : `ref:${String(node.Ref)}`;
  throw new Error(`unexpected ${JSON.stringify(value)} in the definition`);
}
