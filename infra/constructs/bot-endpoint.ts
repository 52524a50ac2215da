import { Duration, Stack } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  EndpointType,
  LambdaIntegration,
  MethodLoggingLevel,
  RestApi,
  LogGroupLogDestination as RestLogDestination,
} from 'aws-cdk-lib/aws-apigateway';
import {
  CfnApiMapping,
  type CfnStage,
  DomainName,
  HttpApi,
  HttpMethod,
  HttpStage,
  LogGroupLogDestination,
  SecurityPolicy,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Certificate, CertificateValidation } from 'aws-cdk-lib/aws-certificatemanager';
import { Alias, type IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  type AliasRecordTargetConfig,
  ARecord,
  Failover,
  HealthCheck,
  HealthCheckType,
  type IAliasRecordTarget,
  type IHostedZone,
  type IRecordSet,
  RecordTarget,
} from 'aws-cdk-lib/aws-route53';
import { ApiGatewayv2DomainProperties } from 'aws-cdk-lib/aws-route53-targets';
import { CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { REPORT_LINKS_PATH } from '../../bot/report-links.ts';
import { InvalidPropsError } from '../errors.ts';
import { acknowledge } from '../nag/acknowledge.ts';
import { LifeboatFunction } from './lifeboat-function.ts';

/** The health check's route, which has its own throttle. */
export const HEALTH_ROUTE_KEY = 'GET /health';

export interface BotEndpointProps {
  /** The name Slack's request URL uses, the same in both regions. */
  domainName: string;
  /** The public hosted zone `domainName` is in. */
  hostedZone: IHostedZone;
  /** This region's side of the failover record. */
  failover: 'primary' | 'secondary';
  /** The ingress Lambda's environment, checked against `IngressEnvSchema` by the caller. */
  ingressEnvironment: Record<string, string>;
  /** The health check's environment (`STATE_TABLE`), checked against `HealthEnvSchema`. */
  healthEnvironment: Record<string, string>;
  /**
   * Where Slack posts slash commands and interactions.
   * @default '/slack/events'
   */
  eventsPath?: string;
  /**
   * Requests per second Slack's route accepts steadily, and in a burst (and, apart, the report
   * links' route).
   * @default { rate: 50, burst: 100 }
   */
  throttle?: { rate: number; burst: number };
  /**
   * The health route's own throttle: Route 53's checkers (about 16, every 30 s) need well
   * under one request a second, and a flood elsewhere never uses this budget.
   * @default { rate: 10, burst: 20 }
   */
  healthThrottle?: { rate: number; burst: number };
  /**
   * Requests one client address may send to Slack's route in a minute (AWS WAF rate-based
   * rule; 10 at least); beyond it the address is refused (403) until its rate falls.
   * @default 300
   */
  perClientLimit?: number;
  /** @default one month */
  logRetention?: RetentionDays;
  /**
   * Ingress instances Lambda keeps initialized (provisioned concurrency on the `live` alias,
   * which the API calls); 0: none, the API calls the function's latest version.
   * @default 1
   */
  provisionedConcurrency?: number;
}

/**
 * The bot's door for Slack in one region: the ingress Lambda (`bot/lambda.ts`, Bolt's
 * AwsLambdaReceiver; Slack wants an answer within 3 s, hence 1 GB for a quick cold start)
 * on the bot's own name (TLS 1.2, access-logged), and this region's half of one Route 53
 * failover record. Two APIs share the name, so that a flood cannot take the door away:
 * - Slack's route (`POST /slack/events`) is a REST API mapped at its path, behind AWS WAF
 *   (which HTTP APIs do not take): requests without Slack's signature headers are refused, and
 *   so is any one client address beyond `perClientLimit` a minute; then the stage's throttle.
 * - An HTTP API holds the rest: `GET /health`, which Route 53 probes on the API's regional
 *   endpoint, under its own route throttle, so a flood of Slack's route (or of report links)
 *   does not fail the endpoint over to the other region; and `GET /reports/...`, signed report
 *   links redirected to a presigned GET per visit (`bot/report-redirect.ts`).
 * When the primary fails, Slack's requests go to the secondary region within about two minutes.
 */
export class BotEndpoint extends Construct {
  readonly ingress: LifeboatFunction;
  readonly health: LifeboatFunction;
  /** The alias the API calls, with its provisioned instances; absent when there are none. */
  readonly ingressAlias?: Alias;
  /** The HTTP API: the health check and report links. */
  readonly api: HttpApi;
  /** Slack's route, behind the firewall. */
  readonly slackApi: RestApi;
  readonly firewall: CfnWebACL;
  readonly domain: DomainName;
  readonly healthCheck: HealthCheck;
  readonly record: ARecord;

  constructor(scope: Construct, id: string, props: BotEndpointProps) {
    super(scope, id);
    const zone = props.hostedZone.zoneName.replace(/\.$/, '');
    if (!props.domainName.endsWith(`.${zone}`))
      throw new InvalidPropsError(
        'BotEndpoint',
        `domainName "${props.domainName}" is not inside the hosted zone "${zone}".`,
      );
    const eventsPath = props.eventsPath ?? '/slack/events';
    if (
      !/^\/[\w/-]+$/.test(eventsPath) ||
      eventsPath === '/health' ||
      eventsPath.startsWith(REPORT_LINKS_PATH)
    )
      throw new InvalidPropsError(
        'BotEndpoint',
        `eventsPath "${eventsPath}" must be a path like /slack/events (and not /health or under ${REPORT_LINKS_PATH}).`,
      );
    // Mapped on the name by its first segment (API Gateway strips it), the rest a REST resource.
    const [mappingKey = '', ...slackResources] = eventsPath.split('/').filter(Boolean);
    const reportsKey = REPORT_LINKS_PATH.split('/').filter(Boolean)[0] ?? '';
    // API mappings match by prefix (`orders` takes `/ordersandmore`): no key may take another's paths.
    for (const other of ['health', reportsKey])
      if (other.startsWith(mappingKey) || mappingKey.startsWith(other))
        throw new InvalidPropsError(
          'BotEndpoint',
          `eventsPath "${eventsPath}" starts with "${mappingKey}", which overlaps /${other}; API mappings match by prefix, so use another first segment.`,
        );
    const throttle = props.throttle ?? { rate: 50, burst: 100 };
    const healthThrottle = props.healthThrottle ?? { rate: 10, burst: 20 };
    for (const [name, value] of [
      ['throttle', throttle],
      ['healthThrottle', healthThrottle],
    ] as const)
      if (value.rate < 1 || value.burst < value.rate)
        throw new InvalidPropsError(
          'BotEndpoint',
          `${name} ${JSON.stringify(value)} needs a rate of at least 1 and a burst no lower than the rate.`,
        );
    const perClientLimit = props.perClientLimit ?? 300;
    if (!Number.isInteger(perClientLimit) || perClientLimit < 10)
      throw new InvalidPropsError(
        'BotEndpoint',
        `perClientLimit ${perClientLimit} must be a whole number of requests a minute, 10 or more (AWS WAF's least rate limit).`,
      );
    const provisioned = props.provisionedConcurrency ?? 1;
    if (!Number.isInteger(provisioned) || provisioned < 0)
      throw new InvalidPropsError(
        'BotEndpoint',
        `provisionedConcurrency ${provisioned} must be a whole number, 0 or more.`,
      );
    const region = Stack.of(this).region;
    const logs = props.logRetention ? { logRetention: props.logRetention } : {};

    this.ingress = new LifeboatFunction(this, 'Ingress', {
      entry: 'bot/lambda.ts',
      description: 'bot ingress: Slack slash commands and interactions',
      timeout: Duration.seconds(10),
      memorySize: 1024,
      environment: props.ingressEnvironment,
      ...logs,
    });
    this.health = new LifeboatFunction(this, 'Health', {
      entry: 'infra/functions/health.ts',
      description: 'bot endpoint health check for the Route 53 failover record',
      timeout: Duration.seconds(5),
      memorySize: 256,
      environment: props.healthEnvironment,
      ...logs,
    });

    this.api = new HttpApi(this, 'Api', {
      apiName: 'lifeboat-bot',
      description: 'Lifeboat: Slack requests to the bot',
      createDefaultStage: false,
    });
    // The API calls the alias whose instances are kept initialized; the health check keeps its own function.
    this.ingressAlias =
      provisioned > 0
        ? new Alias(this, 'IngressLive', {
            aliasName: 'live',
            version: this.ingress.function.currentVersion,
            provisionedConcurrentExecutions: provisioned,
          })
        : undefined;
    const ingress = new HttpLambdaIntegration(
      'Ingress',
      this.ingressAlias ?? this.ingress.function,
    );
    // Report links people open in a browser: the ingress checks each link's own signature.
    const [reportsRoute] = this.api.addRoutes({
      path: `${REPORT_LINKS_PATH}{proxy+}`,
      methods: [HttpMethod.GET],
      integration: ingress,
    });
    const [healthRoute] = this.api.addRoutes({
      path: '/health',
      methods: [HttpMethod.GET],
      integration: new HttpLambdaIntegration('Health', this.health.function),
    });
    if (reportsRoute)
      acknowledge(
        reportsRoute,
        'AwsSolutions-APIG4',
        'Report links are opened by people in a browser, who carry no AWS or Slack credentials; each link carries an HMAC-SHA256 signature over its region, key and expiry that the ingress verifies (403 when forged, altered or expired) before it redirects to a short-lived presigned GET.',
      );
    if (healthRoute)
      acknowledge(
        healthRoute,
        'AwsSolutions-APIG4',
        'Route 53 health checkers cannot authenticate; the route answers only "ok" or "state table unavailable" and changes nothing.',
      );

    const certificate = new Certificate(this, 'Certificate', {
      domainName: props.domainName,
      validation: CertificateValidation.fromDns(props.hostedZone),
    });
    this.domain = new DomainName(this, 'Domain', {
      domainName: props.domainName,
      certificate,
      securityPolicy: SecurityPolicy.TLS_1_2,
    });
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
    });
    const stage = new HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: throttle.rate, burstLimit: throttle.burst },
      domainMapping: { domainName: this.domain },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            responseLatency: '$context.responseLatency',
            integrationLatency: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });

    // The health route's own budget: a flood of the other routes cannot fail the endpoint over.
    (stage.node.defaultChild as CfnStage).routeSettings = {
      [HEALTH_ROUTE_KEY]: {
        ThrottlingRateLimit: healthThrottle.rate,
        ThrottlingBurstLimit: healthThrottle.burst,
      },
    };

    this.slackApi = this.slackRoute({
      ingress: this.ingressAlias ?? this.ingress.function,
      resources: slackResources,
      throttle,
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
    });
    new CfnApiMapping(this, 'SlackMapping', {
      apiId: this.slackApi.restApiId,
      domainName: this.domain.name,
      stage: this.slackApi.deploymentStage.stageName,
      apiMappingKey: mappingKey,
    }).node.addDependency(this.slackApi.deploymentStage, this.domain);
    this.firewall = this.slackFirewall(perClientLimit);
    new CfnWebACLAssociation(this, 'SlackFirewallAssociation', {
      resourceArn: this.slackApi.deploymentStage.stageArn,
      webAclArn: this.firewall.attrArn,
    });

    // The API's own regional endpoint: the custom name resolves through the record it decides.
    this.healthCheck = new HealthCheck(this, 'HealthCheck', {
      type: HealthCheckType.HTTPS,
      fqdn: `${this.api.apiId}.execute-api.${region}.${Stack.of(this).urlSuffix}`,
      port: 443,
      resourcePath: '/health',
      requestInterval: Duration.seconds(30),
      failureThreshold: 3,
    });
    this.record = new ARecord(this, 'Record', {
      zone: props.hostedZone,
      recordName: props.domainName,
      target: RecordTarget.fromAlias(
        new EvaluatedTarget(
          new ApiGatewayv2DomainProperties(
            this.domain.regionalDomainName,
            this.domain.regionalHostedZoneId,
          ),
        ),
      ),
      failover: props.failover === 'primary' ? Failover.PRIMARY : Failover.SECONDARY,
      setIdentifier: `lifeboat-bot-${region}`,
      healthCheck: this.healthCheck,
    });
  }

  /** Slack's route: a regional REST API (AWS WAF takes REST stages, not HTTP APIs), logged. */
  private slackRoute(options: {
    ingress: IFunction;
    resources: readonly string[];
    throttle: { rate: number; burst: number };
    retention: RetentionDays;
  }): RestApi {
    const logs = new LogGroup(this, 'SlackAccessLogs', { retention: options.retention });
    const api = new RestApi(this, 'SlackApi', {
      restApiName: 'lifeboat-bot-slack',
      description: "Lifeboat: Slack's slash commands and interactions, behind AWS WAF",
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
      // Only through the bot's name, where the mapping sends it: no second door.
      disableExecuteApiEndpoint: true,
      // Access and error logs need API Gateway's CloudWatch role for the account and region.
      cloudWatchRole: true,
      deployOptions: {
        stageName: 'live',
        throttlingRateLimit: options.throttle.rate,
        throttlingBurstLimit: options.throttle.burst,
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        accessLogDestination: new RestLogDestination(logs),
        accessLogFormat: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            resourcePath: '$context.resourcePath',
            status: '$context.status',
            waf: '$context.wafResponseCode',
            responseLength: '$context.responseLength',
            responseLatency: '$context.responseLatency',
            integrationLatency: '$context.integrationLatency',
            integrationError: '$context.integration.error',
          }),
        ),
      },
    });
    // Its execute-api URL answers nothing (disabled above): no output should point people at it.
    api.node.tryRemoveChild('Endpoint');
    let resource = api.root;
    for (const part of options.resources) resource = resource.addResource(part);
    resource.addMethod('POST', new LambdaIntegration(options.ingress, { proxy: true }));
    acknowledge(
      api,
      'AwsSolutions-APIG4',
      "Slack cannot present IAM, JWT or Lambda-authorizer credentials; every request carries Slack's HMAC signature, which the ingress verifies (and rejects with 401) before anything else runs.",
    );
    acknowledge(
      api,
      'AwsSolutions-COG4',
      "Slack cannot sign in to a Cognito user pool; Slack's HMAC signature, verified by the ingress, authenticates each request.",
    );
    acknowledge(
      api,
      'AwsSolutions-APIG2',
      "Slack's bodies are form-encoded payloads whose HMAC signature covers the raw body; the ingress verifies the signature, then parses each payload with its zod schema. A request validator could only check that a body is present.",
    );
    acknowledge(
      api,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      "API Gateway's account-level CloudWatch role, which REST API access and error logs need; AWS's managed policy is the one API Gateway documents for it and only writes logs.",
    );
    return api;
  }

  /**
   * The firewall of Slack's route: a request without Slack's signature headers is refused
   * before it costs anything; a client address over `perClientLimit` a minute is refused
   * until its rate falls, so one host cannot use up the stage's throttle (Slack's requests
   * come from many addresses, each far below the limit).
   */
  private slackFirewall(perClientLimit: number): CfnWebACL {
    const seen = (metricName: string) => ({
      cloudWatchMetricsEnabled: true,
      metricName,
      sampledRequestsEnabled: true,
    });
    const header = (name: string) => ({
      sizeConstraintStatement: {
        // SingleHeader is untyped in CDK: its key goes to CloudFormation as written (`Name`).
        fieldToMatch: { singleHeader: { Name: name } },
        comparisonOperator: 'GT',
        size: 0,
        textTransformations: [{ priority: 0, type: 'NONE' }],
      },
    });
    return new CfnWebACL(this, 'SlackFirewall', {
      name: `lifeboat-bot-slack-${Stack.of(this).region}`,
      // WAF's pattern takes letters, digits, spaces and + = : # @ / - , . only (no apostrophe).
      description:
        'Lifeboat: the Slack route, unsigned requests and floods from one address refused',
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: seen('lifeboat-bot-slack'),
      rules: [
        {
          name: 'slack-signature-headers',
          priority: 0,
          action: { block: {} },
          statement: {
            notStatement: {
              statement: {
                andStatement: {
                  statements: [header('x-slack-signature'), header('x-slack-request-timestamp')],
                },
              },
            },
          },
          visibilityConfig: seen('lifeboat-bot-slack-unsigned'),
        },
        {
          name: 'per-client-rate',
          priority: 1,
          action: { block: {} },
          statement: {
            rateBasedStatement: {
              limit: perClientLimit,
              evaluationWindowSec: 60,
              aggregateKeyType: 'IP',
            },
          },
          visibilityConfig: seen('lifeboat-bot-slack-per-client'),
        },
      ],
    });
  }
}

/** An alias target whose health Route 53 evaluates, as failover alias records must. */
class EvaluatedTarget implements IAliasRecordTarget {
  constructor(private readonly target: IAliasRecordTarget) {}

  bind(record: IRecordSet, zone?: IHostedZone): AliasRecordTargetConfig {
    return { ...this.target.bind(record, zone), evaluateTargetHealth: true };
  }
}
