import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { HostedZone } from 'aws-cdk-lib/aws-route53';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { readDeployConfig } from '../../../infra/config/deploy-config.ts';
import { AlarmTopic } from '../../../infra/constructs/alarm-topic.ts';
import { BotEndpoint, type BotEndpointProps } from '../../../infra/constructs/bot-endpoint.ts';
import { LifeboatFunction } from '../../../infra/constructs/lifeboat-function.ts';
import { Notifier } from '../../../infra/constructs/notifier.ts';
import { NotifierQueue } from '../../../infra/constructs/notifier-queue.ts';
import { ReportBucket } from '../../../infra/constructs/report-bucket.ts';
import { RunbookTaskFunctions } from '../../../infra/constructs/runbook-functions.ts';
import { RunbookStateMachine } from '../../../infra/constructs/runbook-state-machine.ts';
import { StateTable } from '../../../infra/constructs/state-table.ts';
import { WorkloadRole, type WorkloadRoleProps } from '../../../infra/constructs/workload-role.ts';
import { InvalidPropsError } from '../../../infra/errors.ts';
import { RegionStack } from '../../../infra/stacks/region-stack.ts';
import { WorkloadRoleStack } from '../../../infra/stacks/workload-role-stack.ts';
import { ROOT } from '../../helpers.ts';

/** A fresh stack in us-east-1, bundling skipped. */
function stack(): Stack {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  return new Stack(app, 'Test', { env: { account: '111122223333', region: 'us-east-1' } });
}

const zone = (scope: Construct) =>
  HostedZone.fromHostedZoneAttributes(scope, 'Zone', {
    hostedZoneId: 'Z0123456789ABC',
    zoneName: 'ops.example.com',
  });
const bot = (scope: Construct, props: Partial<BotEndpointProps>) =>
  new BotEndpoint(scope, 'Bot', {
    domainName: 'lifeboat.ops.example.com',
    hostedZone: zone(scope),
    failover: 'primary',
    ingressEnvironment: {},
    healthEnvironment: {},
    ...props,
  });
const workloadRole = (scope: Construct, props: Partial<WorkloadRoleProps>) =>
  new WorkloadRole(scope, 'Role', {
    roleName: 'LifeboatExecution',
    access: 'act',
    lifeboatAccountId: '111122223333',
    trustedRoleNames: ['lifeboat-start-step-us-east-1'],
    externalId: 'lifeboat-test-1234',
    regions: ['us-east-1', 'us-east-2'],
    planIds: ['bcbsaz'],
    hostedZoneIds: ['Z0123456789ABC'],
    recordNames: ['app.bcbsaz.hrp.internal'],
    recordTypes: ['A'],
    ssmDocumentPrefix: 'Lifeboat-',
    hookFunctionPrefix: 'lifeboat-',
    stackTemplateBucket: 'lifeboat-templates-410000000101',
    ...props,
  });

const regionStack = (s: Stack, env: { account: string; region: string }) =>
  new RegionStack(s.node.scope as App, 'R', {
    env,
    config: readDeployConfig(join(ROOT, 'config', 'deploy.yaml')),
    customers: [],
  });

describe('the constructs refuse props they cannot build from, naming the value', () => {
  it.each<[string, (scope: Stack) => unknown, string]>([
    [
      'a function entry outside the repository',
      (s) => new LifeboatFunction(s, 'F', { entry: '../x.ts', description: 'x', environment: {} }),
      'entry "../x.ts"',
    ],
    [
      'a state machine name Step Functions refuses',
      (s) =>
        new RunbookStateMachine(s, 'M', {
          functions: new RunbookTaskFunctions(s, 'T', { environment: {} }).functions,
          stateMachineName: 'lifeboat runbook',
        }),
      'stateMachineName "lifeboat runbook"',
    ],
    [
      'a table that does not serve its own region',
      (s) => new StateTable(s, 'T', { tableName: 'lifeboat-state', regions: ['us-west-2'] }),
      'region "us-east-1" is not among',
    ],
    [
      'a bucket name S3 refuses',
      (s) =>
        new ReportBucket(s, 'R', {
          bucketName: 'Lifeboat_Reports',
          accessLogsBucketName: 'lifeboat-logs',
        }),
      '"Lifeboat_Reports"',
    ],
    [
      'a retention object lock cannot count',
      (s) =>
        new ReportBucket(s, 'R', {
          bucketName: 'lifeboat-reports',
          accessLogsBucketName: 'lifeboat-logs',
          retention: Duration.hours(36),
        }),
      'retention 1 day 12 hours',
    ],
    [
      'a queue that is not FIFO',
      (s) =>
        new NotifierQueue(s, 'Q', { queueName: 'notify', visibilityTimeout: Duration.minutes(1) }),
      'queueName "notify"',
    ],
    [
      'no deliveries before the dead-letter queue',
      (s) =>
        new NotifierQueue(s, 'Q', {
          queueName: 'notify.fifo',
          visibilityTimeout: Duration.minutes(1),
          maxReceiveCount: 0,
        }),
      'maxReceiveCount 0',
    ],
    [
      'a notifier concurrency SQS does not allow',
      (s) =>
        new Notifier(s, 'N', {
          queue: new Queue(s, 'Q', { fifo: true }),
          environment: {},
          maxConcurrency: 1,
        }),
      'maxConcurrency 1',
    ],
    [
      'an alarm address that is not one',
      (s) => new AlarmTopic(s, 'A', { emails: ['dr-oncall'] }),
      '"dr-oncall"',
    ],
    [
      'a bot name outside its zone',
      (s) => bot(s, { domainName: 'lifeboat.example.org' }),
      'domainName "lifeboat.example.org"',
    ],
    [
      'a Slack path that is the health check',
      (s) => bot(s, { eventsPath: '/health' }),
      'eventsPath "/health"',
    ],
    [
      'a Slack path under the report links',
      (s) => bot(s, { eventsPath: '/reports/slack' }),
      'eventsPath "/reports/slack"',
    ],
    [
      'a burst below the rate',
      (s) => bot(s, { throttle: { rate: 50, burst: 10 } }),
      '{"rate":50,"burst":10}',
    ],
    [
      'an empty SSM document prefix, which would allow every document',
      (s) => workloadRole(s, { ssmDocumentPrefix: '' }),
      'ssmDocumentPrefix ""',
    ],
    [
      'a Lifeboat account that is not an account id',
      (s) => workloadRole(s, { lifeboatAccountId: 'tooling' }),
      'lifeboatAccountId "tooling"',
    ],
    [
      'a region stack outside the pairs',
      (s) => regionStack(s, { account: '111122223333', region: 'eu-west-1' }),
      'env.region "eu-west-1"',
    ],
    [
      'a region stack in another account',
      (s) => regionStack(s, { account: '999999999999', region: 'us-east-1' }),
      'env.account "999999999999"',
    ],
    [
      'a template whose default Lifeboat account is not one',
      (s) =>
        new WorkloadRoleStack(s.node.scope as App, 'W', {
          lifeboatAccountId: '1234',
          lifeboatRegions: ['us-east-1'],
        }),
      'lifeboatAccountId "1234"',
    ],
  ])('%s', (_what, build, expected) => {
    // Act
    const act = () => build(stack());
    // Assess
    expect(act).toThrow(InvalidPropsError);
    expect(act).toThrow(expected);
  });
});

describe('the bot endpoint keeps its ingress warm', () => {
  it('calls the ingress through a live alias with the provisioned instances; the health check keeps its own function', () => {
    // Prepare
    const s = stack();
    // Act
    bot(s, { provisionedConcurrency: 2 });
    // Assess
    const template = Template.fromStack(s);
    template.hasResourceProperties('AWS::Lambda::Alias', {
      Name: 'live',
      ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 2 },
    });
    template.resourceCountIs('AWS::Lambda::Alias', 1);
    const integrations = Object.values(
      template.findResources('AWS::ApiGatewayV2::Integration'),
    ).map((r) => JSON.stringify(r.Properties.IntegrationUri));
    expect(integrations.filter((uri) => uri.includes('IngressLive'))).toHaveLength(1);
    expect(integrations.filter((uri) => uri.includes('Health'))).toHaveLength(1);
    // A process's first synth is slow on a busy machine.
  }, 90_000);

  it('calls the function itself when the setting is 0, and refuses a negative count', () => {
    // Prepare
    const s = stack();
    // Act
    bot(s, { provisionedConcurrency: 0 });
    // Assess
    Template.fromStack(s).resourceCountIs('AWS::Lambda::Alias', 0);
    expect(() => bot(stack(), { provisionedConcurrency: -1 })).toThrow('provisionedConcurrency -1');
  });
});
