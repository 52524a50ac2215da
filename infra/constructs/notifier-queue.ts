import { Duration } from 'aws-cdk-lib';
import {
  DeduplicationScope,
  FifoThroughputLimit,
  Queue,
  QueueEncryption,
} from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { InvalidPropsError } from '../errors.ts';

export interface NotifierQueueProps {
  /** The queue's name, ending in `.fifo`; the dead-letter queue takes `-dlq` before the suffix. */
  queueName: string;
  /** At least the notifier's timeout: a message must not reappear while it is being handled. */
  visibilityTimeout: Duration;
  /**
   * Deliveries before a message goes to the dead-letter queue.
   * @default 5
   */
  maxReceiveCount?: number;
}

/**
 * The ordered queue that wakes the notifier: FIFO, grouped by run (`MessageGroupId` =
 * execution id), so one run's Slack updates go out in order while runs go in parallel.
 * Senders set `MessageDeduplicationId` (execution and journal sequence); content-based
 * deduplication covers those that do not. Encrypted, TLS only; what the notifier keeps failing
 * on lands in a FIFO dead-letter queue kept 14 days, which an alarm watches.
 */
export class NotifierQueue extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: NotifierQueueProps) {
    super(scope, id);
    if (!/^[\w-]{1,75}\.fifo$/.test(props.queueName))
      throw new InvalidPropsError(
        'NotifierQueue',
        `queueName "${props.queueName}" must end in .fifo and leave room for "-dlq" (75 characters before the suffix at most).`,
      );
    const maxReceiveCount = props.maxReceiveCount ?? 5;
    if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1 || maxReceiveCount > 1000)
      throw new InvalidPropsError(
        'NotifierQueue',
        `maxReceiveCount ${maxReceiveCount} must be an integer from 1 to 1000.`,
      );
    this.deadLetterQueue = new Queue(this, 'DeadLetters', {
      queueName: props.queueName.replace(/\.fifo$/, '-dlq.fifo'),
      fifo: true,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'Queue', {
      queueName: props.queueName,
      fifo: true,
      contentBasedDeduplication: true,
      // Per-group deduplication and throughput: runs do not slow each other down.
      deduplicationScope: DeduplicationScope.MESSAGE_GROUP,
      fifoThroughputLimit: FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: props.visibilityTimeout,
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount },
    });
  }
}
