import { SendTaskSuccessCommand, SFNClient, TaskTimedOut } from '@aws-sdk/client-sfn';
import type { Region } from '../domain/regions.ts';
import type { TaskTokens } from '../ports/state-store.ts';

/**
 * Resumes a Step Functions task waiting on a token, in the region its execution runs in; a
 * token already timed out is no error.
 */
export class SfnTaskTokens implements TaskTokens {
  private readonly clients = new Map<Region, SFNClient>();

  constructor(
    private readonly clientFor: (region: Region) => SFNClient = (region) =>
      new SFNClient({ region, maxAttempts: 3 }),
  ) {}

  async succeed(region: Region, taskToken: string, output: Record<string, unknown>): Promise<void> {
    let client = this.clients.get(region);
    if (!client) {
      client = this.clientFor(region);
      this.clients.set(region, client);
    }
    try {
      await client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
    } catch (error) {
      if (!(error instanceof TaskTimedOut)) throw error;
    }
  }
}
