import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { InvalidSettingError } from '../domain/errors.ts';
import type { Region } from '../domain/regions.ts';
import type { ExecutionStarter, StartRunRequest } from '../ports/run-control.ts';

/**
 * Starts the runbook state machine in the region an operation runs in. The execution name is
 * the idempotency key: starting a name again (a retried request) is no second run.
 */
export class SfnExecutionStarter implements ExecutionStarter {
  private readonly clients = new Map<Region, SFNClient>();

  /** `arnPattern` has `{region}` where the region goes. */
  constructor(
    private readonly arnPattern: string,
    private readonly clientFor: (region: Region) => SFNClient = (region) =>
      new SFNClient({ region, maxAttempts: 2 }),
  ) {
    if (!arnPattern.includes('{region}'))
      throw new InvalidSettingError(
        'The state machine ARN pattern (STATE_MACHINE_ARN_PATTERN)',
        arnPattern,
        'it has no {region}; write {region} where the region goes, e.g. arn:aws:states:{region}:111122223333:stateMachine:lifeboat-runbook.',
      );
  }

  async start(region: Region, executionName: string, input: StartRunRequest): Promise<void> {
    let client = this.clients.get(region);
    if (!client) {
      client = this.clientFor(region);
      this.clients.set(region, client);
    }
    try {
      await client.send(
        new StartExecutionCommand({
          stateMachineArn: this.arnPattern.replace('{region}', region),
          name: executionName,
          input: JSON.stringify(input),
        }),
      );
    } catch (error) {
      if (!(error instanceof ExecutionAlreadyExists)) throw error;
    }
  }
}
