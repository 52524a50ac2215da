import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { RunChangedMessage } from '../domain/messages.ts';
import type { RunNotifications } from '../ports/run-control.ts';

/**
 * Wakes the notifier through a FIFO queue grouped by run: one run's messages are handled in
 * order, one at a time, while runs go in parallel. The message names the run only: the
 * notifier reads the journal from the table, so a lost or repeated message loses nothing.
 */
export class SqsRunNotifications implements RunNotifications {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async changed(executionId: string, seq: number): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify({ executionId } satisfies RunChangedMessage),
        MessageGroupId: executionId,
        MessageDeduplicationId: `${executionId}:${seq}`.slice(0, 128),
      }),
    );
  }
}
