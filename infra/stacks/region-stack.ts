import { Annotations, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { type CfnRole, type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { HostedZone } from 'aws-cdk-lib/aws-route53';
import type { Construct } from 'constructs';
import { IngressEnvSchema, NotifierEnvSchema } from '../../bot/env.ts';
import { REPORT_KEY_PREFIX } from '../../orchestrator/adapters/s3-report-store.ts';
import { INCIDENT_STATE_MACHINE_NAME } from '../../orchestrator/adapters/sfn-executions.ts';
import { nearestStrongReplica } from '../../orchestrator/domain/strong-replicas.ts';
import type { WorkloadAccess } from '../../orchestrator/domain/workload-access.ts';
import { HandlerEnvSchema } from '../../orchestrator/handlers/env.ts';
import type { CustomerAccount } from '../config/customer-accounts.ts';
import { type ArcConfig, type DeployConfig, deployedRegions } from '../config/deploy-config.ts';
import { functionRoleName, type WorkloadFunction } from '../config/function-roles.ts';
import { AlarmTopic } from '../constructs/alarm-topic.ts';
import { BotEndpoint } from '../constructs/bot-endpoint.ts';
import { IncidentStateMachine } from '../constructs/incident-state-machine.ts';
import { BUNDLED_CONFIG, LifeboatFunction } from '../constructs/lifeboat-function.ts';
import { lockTableName } from '../constructs/lock-table.ts';
import { Notifier } from '../constructs/notifier.ts';
import { NotifierQueue } from '../constructs/notifier-queue.ts';
import { RegionAlarms } from '../constructs/region-alarms.ts';
import { grantReadReportKeys, ReportBucket } from '../constructs/report-bucket.ts';
import { RunbookTaskFunctions } from '../constructs/runbook-functions.ts';
import { RunbookStateMachine } from '../constructs/runbook-state-machine.ts';
import { guardAuditEntries } from '../constructs/state-table.ts';
import { acceptsVariable, checkEnvironment } from '../environment.ts';
import { InvalidPropsError } from '../errors.ts';
import { HealthEnvSchema } from '../functions/health.ts';
import { acknowledge, acknowledgeWildcards } from '../nag/acknowledge.ts';
import { ROUTING_STACK_NAME } from './routing-stack.ts';

/** The state machine's name in every region: the bot builds its ARN from the region. */
export const RUNBOOK_STATE_MACHINE_NAME = 'lifeboat-runbook';
/** The notifier queue's name in every region. */
export const NOTIFY_QUEUE_NAME = 'lifeboat-notify.fifo';
const NOTIFIER_TIMEOUT = Duration.seconds(90);
/** The partition of every region Lifeboat knows. */
const PARTITION = 'aws';
/** The state store's calls (orchestrator/adapters/dynamodb-state-store.ts), and nothing else. */
const STATE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:Query',
];

export interface RegionStackProps extends StackProps {
  /** The deployment (`config/deploy.yaml`); this stack's `env` names its region. */
  config: DeployConfig;
  /** The customers' accounts, from their plans: the only roles Lifeboat may assume. */
  customers: readonly CustomerAccount[];
}

/**
 * Everything Lifeboat runs in one region of a pair: the runbook state machine and its task
 * Lambdas, the gate sweeper, the notifier and its ordered queue, the report bucket, alarms,
 * and, in the two bot regions, the bot endpoint behind the failover name. The state table is
 * the global table's replica here (`StateStack`), found by name.
 *
 * Every Lambda's environment is checked against its handler's schema at synth time, and every
 * function has its own role with only what its handler does.
 */
export class RegionStack extends Stack {
  readonly tasks: RunbookTaskFunctions;
  readonly incident: IncidentStateMachine;
  readonly runbook: RunbookStateMachine;
  readonly notifierQueue: NotifierQueue;
  readonly notifier: Notifier;
  readonly reports: ReportBucket;
  readonly alarmTopic: AlarmTopic;
  readonly alarms: RegionAlarms;
  /** The replica of the strongly consistent table this region's functions use. */
  private readonly lockTableArn: string;
  /** Only in the bot's two regions. */
  readonly bot?: BotEndpoint;

  constructor(scope: Construct, id: string, props: RegionStackProps) {
    super(scope, id, props);
    const { config } = props;
    const region = props.env?.region;
    const account = props.env?.account;
    const regions = deployedRegions(config);
    if (!region || !(regions as string[]).includes(region))
      throw new InvalidPropsError(
        'RegionStack',
        `env.region "${region}" is not a region of the deployment (${regions.join(', ')}).`,
      );
    if (account !== config.account)
      throw new InvalidPropsError(
        'RegionStack',
        `env.account "${account}" is not the deployment's account "${config.account}".`,
      );
    const retention = config.logRetentionDays as RetentionDays;
    const lockTable = lockTableName(config.state.tableName);
    const names = {
      table: config.state.tableName,
      tableArn: `arn:${PARTITION}:dynamodb:${region}:${account}:table/${config.state.tableName}`,
      lockTable,
      // us-west-1's Lambdas reach the strongly consistent table's replica in us-west-2.
      lockTableArn: `arn:${PARTITION}:dynamodb:${nearestStrongReplica(region)}:${account}:table/${lockTable}`,
      queueUrl: `https://sqs.${region}.amazonaws.com/${account}/${NOTIFY_QUEUE_NAME}`,
      machineArns: regions.map(
        (r) => `arn:${PARTITION}:states:${r}:${account}:stateMachine:${RUNBOOK_STATE_MACHINE_NAME}`,
      ),
      machineArnPattern: `arn:${PARTITION}:states:{region}:${account}:stateMachine:${RUNBOOK_STATE_MACHINE_NAME}`,
      incidentMachineArns: regions.map(
        (r) =>
          `arn:${PARTITION}:states:${r}:${account}:stateMachine:${INCIDENT_STATE_MACHINE_NAME}`,
      ),
      secretArn: `arn:${PARTITION}:secretsmanager:${region}:${account}:secret:${config.slack.secretName}`,
      reportBucket: reportBucketName(account, region),
      reportBuckets: regions.map((r) => reportBucketName(account, r)),
      accessLogsBucket: `lifeboat-access-logs-${account}-${region}`,
    };
    this.lockTableArn = names.lockTableArn;
    const common = {
      STATE_TABLE: names.table,
      LOCK_TABLE: names.lockTable,
      PLANS_DIR: BUNDLED_CONFIG.plansDir,
      SETTINGS_FILE: BUNDLED_CONFIG.settingsFile,
    };
    const slack = {
      SLACK_TEAM_ID: config.slack.teamId,
      ...(config.slack.botId ? { SLACK_BOT_ID: config.slack.botId } : {}),
      ...(config.slack.botUserId ? { SLACK_BOT_USER_ID: config.slack.botUserId } : {}),
      SLACK_SECRET_ARN: names.secretArn,
    };

    this.reports = new ReportBucket(this, 'Reports', {
      bucketName: names.reportBucket,
      accessLogsBucketName: names.accessLogsBucket,
      retention: Duration.days(config.reports.retentionDays),
      lockMode: config.reports.lockMode,
      auditorRoleArns: config.reports.auditorRoles,
      accessLogsRetention: Duration.days(config.logRetentionDays),
    });
    this.notifierQueue = new NotifierQueue(this, 'NotifyQueue', {
      queueName: NOTIFY_QUEUE_NAME,
      // AWS's advice for a Lambda event source: six times the function's timeout.
      visibilityTimeout: Duration.seconds(NOTIFIER_TIMEOUT.toSeconds() * 6),
    });

    // The task Lambdas: wired to the queue once their handlers read it.
    const wiresNotify = acceptsVariable(HandlerEnvSchema, 'NOTIFY_QUEUE_URL');
    this.tasks = new RunbookTaskFunctions(this, 'Tasks', {
      environment: checkEnvironment(
        `${id}/Tasks`,
        HandlerEnvSchema,
        {
          ...common,
          // The bucket's default retention (config `reports`) locks each version: no retention here.
          REPORT_BUCKET: names.reportBucket,
          ...(wiresNotify ? { NOTIFY_QUEUE_URL: names.queueUrl } : {}),
          ...(config.arc ? { LIFEBOAT_ARC_ENDPOINTS: JSON.stringify(config.arc.endpoints) } : {}),
        },
        region,
      ),
      logRetention: retention,
    });
    const runbookLogs = new LogGroup(this, 'RunbookLogs', {
      logGroupName: `/aws/vendedlogs/states/${RUNBOOK_STATE_MACHINE_NAME}`,
      retention,
    });
    this.runbook = new RunbookStateMachine(this, 'Runbook', {
      functions: this.tasks.functions,
      stateMachineName: RUNBOOK_STATE_MACHINE_NAME,
      logGroup: runbookLogs,
      tracing: true,
    });
    // Gates nobody answered in time end their runs: swept every minute (a missed sweep is
    // made up by the next one, so no retries).
    new Rule(this, 'ExpireGates', {
      description: 'Lifeboat: end runs whose approval, sign-off or decision expired',
      schedule: Schedule.rate(Duration.minutes(1)),
      targets: [new LambdaFunction(this.tasks.expireGates.function, { retryAttempts: 0 })],
    });

    const tasks = this.tasks.byHandler;
    for (const task of Object.values(tasks)) {
      this.readWriteState(task.role, names.tableArn);
      if (wiresNotify) this.sendNotifications(task.role);
    }
    // Only the steps act in the customers' accounts, and flip their routing controls.
    this.nameFunctionRole(tasks.startStep.role, 'start-step');
    this.nameFunctionRole(tasks.pollStep.role, 'poll-step');
    for (const task of [tasks.startStep, tasks.pollStep])
      this.assumeCustomerRoles(task.role, props.customers, { access: 'act', sourceIdentity: true });
    if (config.arc) {
      for (const task of [tasks.startStep, tasks.pollStep])
        this.routingControlAccess(task.role, config.arc, 'flip');
    } else {
      const flipped = props.customers.filter((c) =>
        c.dns?.records.some((r) => r.mode === 'failover'),
      );
      if (flipped.length > 0)
        Annotations.of(this.tasks).addWarningV2(
          'lifeboat:arc-not-configured',
          `config/deploy.yaml has no arc: section, so DNS records in failover mode cannot be flipped (plans ${flipped.map((c) => c.customerId).join(', ')}); their runs fail pre-flight. Deploy ${ROUTING_STACK_NAME} and copy its cluster ARN, endpoints and control panels into arc: (README, "DNS on ARC routing controls").`,
        );
    }
    // A gate may belong to a run in any region of the deployment.
    tasks.expireGates.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['states:SendTaskSuccess'],
        resources: names.machineArns,
      }),
    );
    // A region-wide incident: its machine, and the one task that starts and follows its children
    // (in their recovery regions), answers their gates when it converts or aborts them, reads
    // readiness in the customers' accounts and writes the incident's report.
    const incidentTask = new LifeboatFunction(this, 'IncidentTask', {
      entry: 'orchestrator/handlers/tasks.ts',
      handler: 'incident',
      description: 'Lifeboat: region-wide incident task',
      timeout: Duration.seconds(300),
      environment: checkEnvironment(
        `${id}/IncidentTask`,
        HandlerEnvSchema,
        {
          ...common,
          REPORT_BUCKET: names.reportBucket,
          STATE_MACHINE_ARN_PATTERN: names.machineArnPattern,
          ...(wiresNotify ? { NOTIFY_QUEUE_URL: names.queueUrl } : {}),
        },
        region,
      ),
      logRetention: retention,
    });
    this.incident = new IncidentStateMachine(this, 'Incident', {
      fn: incidentTask.function,
      stateMachineName: INCIDENT_STATE_MACHINE_NAME,
      logGroup: new LogGroup(this, 'IncidentLogs', {
        logGroupName: `/aws/vendedlogs/states/${INCIDENT_STATE_MACHINE_NAME}`,
        retention,
      }),
    });
    this.readWriteState(incidentTask.role, names.tableArn);
    if (wiresNotify) this.sendNotifications(incidentTask.role);
    // Its only use of the customers' accounts is readiness: the read-only roles.
    this.nameFunctionRole(incidentTask.role, 'incident-task');
    this.assumeCustomerRoles(incidentTask.role, props.customers, {
      access: 'read',
      sourceIdentity: true,
    });
    incidentTask.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['states:StartExecution', 'states:SendTaskSuccess'],
        resources: names.machineArns,
      }),
    );
    const incidentReports = this.reports.bucket.arnForObjects(`${REPORT_KEY_PREFIX}*`);
    incidentTask.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:PutObject'], resources: [incidentReports] }),
    );
    acknowledgeWildcards(
      incidentTask.role,
      [incidentReports],
      "Incident report files are written under keys named for each incident; the bucket is this region's report bucket only.",
    );
    // The report step writes the report, and so does the end of an aborted run.
    const reportObjects = this.reports.bucket.arnForObjects(`${REPORT_KEY_PREFIX}*`);
    for (const task of [tasks.startStep, tasks.finish]) {
      task.role.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['s3:PutObject'], resources: [reportObjects] }),
      );
      acknowledgeWildcards(
        task.role,
        [reportObjects],
        "Report files are written under keys named for each run; the bucket is this region's report bucket only.",
      );
      this.reports.grantWriteKey(task.role);
    }

    this.notifier = new Notifier(this, 'Notifier', {
      queue: this.notifierQueue.queue,
      timeout: NOTIFIER_TIMEOUT,
      logRetention: retention,
      environment: checkEnvironment(
        `${id}/Notifier`,
        [NotifierEnvSchema, HandlerEnvSchema],
        {
          ...common,
          ...slack,
          // Report links through the bot's signed route, for as long as reports are kept.
          REPORT_LINK_URL: `https://${config.bot.domainName}`,
          REPORT_RETENTION_DAYS: String(config.reports.retentionDays),
          // Readiness checks that the customer's routing controls read as expected.
          ...(config.arc ? { LIFEBOAT_ARC_ENDPOINTS: JSON.stringify(config.arc.endpoints) } : {}),
        },
        region,
      ),
    });
    const notifierRole = this.notifier.handler.role;
    this.readWriteState(notifierRole, names.tableArn);
    // Its presigned report links read as the notifier: a run's report is in its own region's bucket.
    const reportsEverywhere = names.reportBuckets.map(
      (bucket) => `arn:${PARTITION}:s3:::${bucket}/${REPORT_KEY_PREFIX}*`,
    );
    notifierRole.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:GetObject'], resources: reportsEverywhere }),
    );
    acknowledgeWildcards(
      notifierRole,
      reportsEverywhere,
      "The final Slack message links each run's report with a presigned GET; the keys are named for each run, in the deployment's report buckets only.",
    );
    grantReadReportKeys(notifierRole, names.reportBuckets);
    this.readSlackSecret(notifierRole, names.secretArn);
    // Pre-flight readiness checks read the customers' accounts (`/dr readiness`, request cards)
    // and the routing controls' states, never changing them.
    this.nameFunctionRole(notifierRole, 'notifier');
    this.assumeCustomerRoles(notifierRole, props.customers, { access: 'read' });
    if (config.arc) this.routingControlAccess(notifierRole, config.arc, 'read');

    const side =
      config.bot.regions.primary === region
        ? 'primary'
        : config.bot.regions.secondary === region
          ? 'secondary'
          : undefined;
    if (side) {
      this.bot = new BotEndpoint(this, 'Bot', {
        domainName: config.bot.domainName,
        hostedZone: HostedZone.fromHostedZoneAttributes(this, 'Zone', {
          hostedZoneId: config.bot.hostedZone.id,
          zoneName: config.bot.hostedZone.name,
        }),
        failover: side,
        throttle: config.bot.throttle,
        healthThrottle: config.bot.healthThrottle,
        perClientLimit: config.bot.perClientLimit,
        provisionedConcurrency: config.bot.provisionedConcurrency,
        logRetention: retention,
        ingressEnvironment: checkEnvironment(
          `${id}/Bot/Ingress`,
          [IngressEnvSchema, HandlerEnvSchema],
          {
            ...common,
            ...slack,
            NOTIFY_QUEUE_URL: names.queueUrl,
            STATE_MACHINE_ARN_PATTERN: names.machineArnPattern,
            REPORT_BUCKETS: regions.map((r) => `${r}=${reportBucketName(account, r)}`).join(','),
            ...(config.slack.admins.length > 0
              ? { LIFEBOAT_ADMINS: config.slack.admins.join(',') }
              : {}),
          },
          region,
        ),
        healthEnvironment: checkEnvironment(
          `${id}/Bot/Health`,
          HealthEnvSchema,
          { STATE_TABLE: names.table },
          region,
        ),
      });
      const ingressRole = this.bot.ingress.role;
      this.readWriteState(ingressRole, names.tableArn, { writesAudit: true });
      this.readSlackSecret(ingressRole, names.secretArn);
      this.sendNotifications(ingressRole);
      // Report links redirect to a GET the ingress presigns per visit, in the run's region's bucket.
      ingressRole.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['s3:GetObject'], resources: reportsEverywhere }),
      );
      grantReadReportKeys(ingressRole, names.reportBuckets);
      acknowledgeWildcards(
        ingressRole,
        reportsEverywhere,
        "A signed report link redirects to a GET the ingress presigns on each visit; the keys are named for each run, under the reports prefix of the deployment's report buckets only.",
      );
      // An operation starts, and its gates are answered, in the region it makes active.
      ingressRole.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['states:StartExecution', 'states:SendTaskSuccess', 'states:SendTaskFailure'],
          // Runs, and region-wide incidents (started outside the lost region).
          resources: [...names.machineArns, ...names.incidentMachineArns],
        }),
      );
      this.bot.health.role.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['dynamodb:GetItem'], resources: [names.tableArn] }),
      );
      new CfnOutput(this, 'BotEndpoint', {
        value: this.bot.api.apiEndpoint,
        description: `This region's API endpoint (${side}); Slack uses https://${config.bot.domainName}/slack/events`,
      });
    }

    this.alarmTopic = new AlarmTopic(this, 'Alarms', { emails: config.alarms.emails });
    this.alarms = new RegionAlarms(this, 'RegionAlarms', {
      topic: this.alarmTopic,
      stateMachine: this.runbook.stateMachine,
      deadLetterQueue: this.notifierQueue.deadLetterQueue,
      sweeper: this.tasks.expireGates.function,
      ...(this.bot
        ? {
            bot: {
              api: this.bot.api,
              slackApi: this.bot.slackApi,
              ingress: this.bot.ingress.function,
            },
          }
        : {}),
    });

    new CfnOutput(this, 'StateMachineArn', { value: this.runbook.stateMachine.stateMachineArn });
    new CfnOutput(this, 'NotifyQueueUrl', { value: this.notifierQueue.queue.queueUrl });
    new CfnOutput(this, 'ReportBucketName', { value: this.reports.bucket.bucketName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topic.topicArn });
  }

  /**
   * The state store's calls on this region's replica of the global table; audit entries only
   * appended, and only by the role that `writesAudit` (the ingress).
   */
  private readWriteState(
    role: IRole,
    tableArn: string,
    options: { writesAudit?: boolean } = {},
  ): void {
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: STATE_ACTIONS, resources: [tableArn] }),
    );
    guardAuditEntries(role, tableArn, { append: options.writesAudit ?? false });
    // Locks, gates and leases: the strongly consistent table's nearest replica.
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: STATE_ACTIONS, resources: [this.lockTableArn] }),
    );
  }

  private readSlackSecret(role: IRole, secretArn: string): void {
    // Secrets Manager appends six random characters to a secret's ARN.
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [`${secretArn}-??????`],
      }),
    );
  }

  private sendNotifications(role: IRole): void {
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['sqs:SendMessage'],
        resources: [this.notifierQueue.queue.queueArn],
      }),
    );
  }

  /**
   * The routing controls' data plane, on the cluster's endpoints, for the deployment's control
   * panels only (IAM's resource type for these actions is the routing control,
   * `<control panel ARN>/routingcontrol/<id>`): `read` their states (readiness), or also `flip`
   * them (the steps). ListRoutingControls has no resource type, so it cannot be scoped.
   */
  private routingControlAccess(role: IRole, arc: ArcConfig, access: 'read' | 'flip'): void {
    const controls = Object.values(arc.controlPanels).map((panel) => `${panel}/routingcontrol/*`);
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [
          'route53-recovery-cluster:GetRoutingControlState',
          ...(access === 'flip'
            ? [
                'route53-recovery-cluster:UpdateRoutingControlState',
                'route53-recovery-cluster:UpdateRoutingControlStates',
              ]
            : []),
        ],
        resources: controls,
      }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['route53-recovery-cluster:ListRoutingControls'],
        resources: ['*'],
      }),
    );
    acknowledgeWildcards(
      role,
      controls,
      "Routing control ids are generated by ARC when the routing stack creates a customer's controls; scoped to the deployment's control panels (config/deploy.yaml arc.controlPanels).",
    );
    acknowledge(
      role,
      'AwsSolutions-IAM5[Resource::*]',
      "route53-recovery-cluster:ListRoutingControls has no resource type in IAM (Service Authorization Reference); it only reads names, ARNs and states of routing controls, to find a plan's controls by name.",
    );
  }

  /**
   * `sourceIdentity`: the sessions carry the run's requester (orchestrator/adapters/aws-services.ts),
   * which the caller's policy must allow as well as the role's trust policy.
   */
  /**
   * A fixed name for a function role that reaches customers' accounts: their roles trust it by
   * name (infra/config/function-roles.ts), not every role under Lifeboat's path.
   */
  private nameFunctionRole(role: IRole, fn: WorkloadFunction): void {
    (role.node.defaultChild as CfnRole).roleName = functionRoleName(fn, this.region);
  }

  private assumeCustomerRoles(
    role: IRole,
    customers: readonly CustomerAccount[],
    options: { access: WorkloadAccess; sourceIdentity?: boolean },
  ): void {
    const arns = [
      ...new Set(customers.map((c) => (options.access === 'act' ? c.roleArn : c.readOnlyRoleArn))),
    ];
    if (arns.length === 0) return;
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [
          'sts:AssumeRole',
          ...(options.sourceIdentity ? ['sts:SetSourceIdentity'] : []),
          // A run's session carries its plan (lifeboat:plan): the recovery role acts on its resources only.
          ...(options.access === 'act' ? ['sts:TagSession'] : []),
        ],
        resources: arns,
      }),
    );
  }
}

/** A region's report bucket (S3 names are global: the account and region make it unique). */
export function reportBucketName(account: string, region: string): string {
  return `lifeboat-reports-${account}-${region}`;
}
