import { Duration, Stack } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  MathExpression,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { AlarmTopic } from './alarm-topic.ts';

export interface RegionAlarmsProps {
  topic: AlarmTopic;
  stateMachine: IStateMachine;
  /** The notifier queue's dead-letter queue. */
  deadLetterQueue: IQueue;
  /** The gate sweeper, scheduled every minute. */
  sweeper: IFunction;
  /**
   * The bot endpoint, where this region runs one.
   * @default no bot alarms
   */
  bot?: {
    /** Health check and report links. */
    api: IHttpApi;
    /** Slack's route (its REST stage, behind AWS WAF). @default none: the HTTP API only */
    slackApi?: RestApi;
    ingress: IFunction;
  };
}

/**
 * What wakes someone in a region: a run that failed, timed out or was stopped outside
 * Lifeboat; Slack updates the notifier gave up on; gates that stopped expiring; the bot
 * answering Slack with errors or too slowly (Slack gives up after 3 seconds).
 */
export class RegionAlarms extends Construct {
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: RegionAlarmsProps) {
    super(scope, id);
    const region = Stack.of(this).region;
    const alarm = (
      name: string,
      description: string,
      metric: IMetric,
      options: { threshold?: number; periods?: number } = {},
    ) => {
      const created = new Alarm(this, name, {
        alarmName: `lifeboat-${region}-${name}`,
        alarmDescription: description,
        metric,
        threshold: options.threshold ?? 1,
        evaluationPeriods: options.periods ?? 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      props.topic.notify(created);
      this.alarms.push(created);
      return created;
    };
    const fiveMinutes = { period: Duration.minutes(5), statistic: 'Sum' };
    alarm(
      'runs-failed',
      'A Lifeboat run failed outside its own error handling (a task kept failing after its retries, or Prepare refused the request). Look at the execution in Step Functions and the run in Slack.',
      props.stateMachine.metricFailed(fiveMinutes),
    );
    alarm(
      'runs-timed-out',
      'A Lifeboat run reached the state machine timeout: its customer stays locked until the run is looked at.',
      props.stateMachine.metricTimedOut(fiveMinutes),
    );
    alarm(
      'runs-stopped',
      'A Lifeboat execution was stopped outside Lifeboat (StopExecution): its lock and open gates remain in the state table; use /dr abort, not the console.',
      props.stateMachine.metricAborted(fiveMinutes),
    );
    alarm(
      'notifier-dead-letters',
      'The notifier gave up on messages: Slack no longer shows the progress of some runs. Inspect the dead-letter queue, fix, then redrive.',
      props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
    );
    alarm(
      'gate-sweeper-failing',
      'The gate sweeper has failed every minute for 5 minutes: expired approvals and sign-offs are not ending their runs.',
      props.sweeper.metricErrors({ period: Duration.minutes(1), statistic: 'Sum' }),
      { periods: 5 },
    );
    if (props.bot) {
      alarm(
        'bot-server-errors',
        'The Slack endpoint answered with server errors: people saw their /dr commands or button clicks fail.',
        serverErrors(props.bot, fiveMinutes),
        { threshold: 3 },
      );
      alarm(
        'bot-slow-acks',
        'The ingress Lambda takes over 2.5 s at p99: Slack gives up at 3 s and shows the user a timeout.',
        props.bot.ingress.metricDuration({ period: Duration.minutes(5), statistic: 'p99' }),
        { threshold: 2500, periods: 3 },
      );
    }
  }
}

/** 5xx answers of the bot's name: the HTTP API's, and Slack's REST stage's when there is one. */
function serverErrors(
  bot: NonNullable<RegionAlarmsProps['bot']>,
  period: { period: Duration; statistic: string },
): IMetric {
  const http = bot.api.metricServerError(period);
  if (!bot.slackApi) return http;
  const slack = bot.slackApi.metricServerError(period);
  return new MathExpression({
    expression: 'http + slack',
    usingMetrics: { http, slack },
    label: '5xx answers (HTTP API and Slack route)',
    period: period.period,
  });
}
