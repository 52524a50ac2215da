import { Duration } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { InvalidPropsError } from '../errors.ts';
import { LifeboatFunction } from './lifeboat-function.ts';

export interface NotifierProps {
  /** The FIFO queue it consumes (see `NotifierQueue`). */
  queue: IQueue;
  /** Checked against `NotifierEnvSchema` by the caller. */
  environment: Record<string, string>;
  /**
   * Runs handled at once; Slack allows about one message a second per channel.
   * @default 5
   */
  maxConcurrency?: number;
  /** @default 90 seconds */
  timeout?: Duration;
  /** @default one month */
  logRetention?: RetentionDays;
}

/**
 * The notifier (`bot/notifier-lambda.ts`): reads a run's journal from the state table and keeps
 * its Slack messages up to date, one message group (run) at a time, in order. A batch item it
 * reports failed is retried alone; repeated failures go to the queue's dead-letter queue.
 */
export class Notifier extends Construct {
  readonly handler: LifeboatFunction;

  constructor(scope: Construct, id: string, props: NotifierProps) {
    super(scope, id);
    const maxConcurrency = props.maxConcurrency ?? 5;
    if (!Number.isInteger(maxConcurrency) || maxConcurrency < 2 || maxConcurrency > 1000)
      throw new InvalidPropsError(
        'Notifier',
        `maxConcurrency ${maxConcurrency} must be an integer from 2 to 1000 (SQS event source limits).`,
      );
    this.handler = new LifeboatFunction(this, 'Function', {
      entry: 'bot/notifier-lambda.ts',
      description: 'notifier: Slack status cards, threads and prompts from the journal',
      timeout: props.timeout ?? Duration.seconds(90),
      environment: props.environment,
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
    });
    this.handler.function.addEventSource(
      new SqsEventSource(props.queue, {
        batchSize: 10,
        reportBatchItemFailures: true,
        maxConcurrency,
      }),
    );
  }
}
