import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { InvalidSettingError } from '../domain/errors.ts';
import type { IncidentRequest } from '../domain/incident.ts';
import type { Region } from '../domain/regions.ts';
import type { IncidentStarter } from '../ports/incident.ts';
import type { ExecutionStarter, StartRunRequest } from '../ports/run-control.ts';

/** The incident state machine's fixed name, beside the runbook's in every region. */
export const INCIDENT_STATE_MACHINE_NAME = 'lifeboat-incident';

/**
 * Starts the runbook state machine in the region an operation runs in. The execution name is
 * the idempotency key: starting a name again (a retried request) is no second run.
 */
export class SfnExecutionStarter implements ExecutionStarter, IncidentStarter {
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

  start(region: Region, executionName: string, input: StartRunRequest): Promise<void> {
    return this.startMachine(
      this.arnPattern.replace('{region}', region),
      region,
      executionName,
      input,
    );
  }

  /** The incident machine sits beside the runbook's: same account and region, its own name. */
  startIncident(region: Region, request: IncidentRequest): Promise<void> {
    const arn = this.arnPattern
      .replace('{region}', region)
      .replace(/stateMachine:[^:]+$/, `stateMachine:${INCIDENT_STATE_MACHINE_NAME}`);
    return this.startMachine(arn, region, request.incidentId, request);
  }

  private async startMachine(
    stateMachineArn: string,
    region: Region,
    name: string,
    input: unknown,
  ): Promise<void> {
    let client = this.clients.get(region);
    if (!client) {
      client = this.clientFor(region);
      this.clients.set(region, client);
    }
    try {
      await client.send(
        new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
      );
    } catch (error) {
      if (!(error instanceof ExecutionAlreadyExists)) throw error;
    }
  }
}
