import { SendTaskSuccessCommand, type SFNClient, TaskTimedOut } from '@aws-sdk/client-sfn';
import type { TaskTokens } from '../ports/state-store.ts';

/** Resumes a Step Functions task waiting on a token; a token already timed out is no error. */
export class SfnTaskTokens implements TaskTokens {
  constructor(private readonly client: SFNClient) {}

  async succeed(taskToken: string, output: Record<string, unknown>): Promise<void> {
    try {
      await this.client.send(
        new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }),
      );
    } catch (error) {
      if (!(error instanceof TaskTimedOut)) throw error;
    }
  }
}
