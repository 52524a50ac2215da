import { Duration, Stack } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  DomainName,
  HttpApi,
  HttpMethod,
  HttpStage,
  LogGroupLogDestination,
  SecurityPolicy,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Certificate, CertificateValidation } from 'aws-cdk-lib/aws-certificatemanager';
import { Alias } from 'aws-cdk-lib/aws-lambda';
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
import { Construct } from 'constructs';
import { REPORT_LINKS_PATH } from '../../bot/report-links.ts';
import { InvalidPropsError } from '../errors.ts';
import { acknowledge } from '../nag/acknowledge.ts';
import { LifeboatFunction } from './lifeboat-function.ts';

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
   * Requests per second the API accepts steadily, and in a burst.
   * @default { rate: 50, burst: 100 }
   */
  throttle?: { rate: number; burst: number };
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
 * behind an HTTP API on the bot's own name (TLS 1.2, throttled, access-logged), and this
 * region's half of one Route 53 failover record. Route 53 probes `GET /health` on the API's
 * regional endpoint (the health Lambda reads this region's state replica). `GET /reports/...`
 * also goes to the ingress: signed report links, redirected to a presigned GET per visit
 * (`bot/report-redirect.ts`). When the primary fails, Slack's requests go to the secondary
 * region within about two minutes.
 */
export class BotEndpoint extends Construct {
  readonly ingress: LifeboatFunction;
  readonly health: LifeboatFunction;
  /** The alias the API calls, with its provisioned instances; absent when there are none. */
  readonly ingressAlias?: Alias;
  readonly api: HttpApi;
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
    const throttle = props.throttle ?? { rate: 50, burst: 100 };
    if (throttle.rate < 1 || throttle.burst < throttle.rate)
      throw new InvalidPropsError(
        'BotEndpoint',
        `throttle ${JSON.stringify(throttle)} needs a rate of at least 1 and a burst no lower than the rate.`,
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
    const [events] = this.api.addRoutes({
      path: eventsPath,
      methods: [HttpMethod.POST],
      integration: ingress,
    });
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
    if (events)
      acknowledge(
        events,
        'AwsSolutions-APIG4',
        "Slack cannot present IAM, JWT or Lambda-authorizer credentials; every request carries Slack's HMAC signature, which the ingress verifies (and rejects with 401) before anything else runs.",
      );
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
    new HttpStage(this, 'Stage', {
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
}

/** An alias target whose health Route 53 evaluates, as failover alias records must. */
class EvaluatedTarget implements IAliasRecordTarget {
  constructor(private readonly target: IAliasRecordTarget) {}

  bind(record: IRecordSet, zone?: IHostedZone): AliasRecordTargetConfig {
    return { ...this.target.bind(record, zone), evaluateTargetHealth: true };
  }
}
