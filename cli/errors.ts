import { LifeboatError } from '../orchestrator/domain/errors.ts';

/** The command line asks for something the CLI does not do; the usage follows the message. */
export class UsageError extends LifeboatError {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A local run ended without the report its summary is read from. */
export class ReportMissingError extends LifeboatError {
  constructor(executionId: string, status: string) {
    super(
      `Run ${executionId} ended ${status} without writing a report, so there are no figures to show; the run's journal above says where it stopped. Fix that and run it again.`,
    );
    this.name = 'ReportMissingError';
  }
}

/** No sandbox user may play a part (requester, approver, signer) a plan names. */
export class NoSandboxUserError extends LifeboatError {
  constructor(
    customerId: string,
    part: string,
    principals: readonly string[],
    users: readonly string[],
  ) {
    super(
      `No sandbox user can be the ${part} of ${customerId}'s plan: it names ${principals.join(', ') || 'nobody'}. Name one of the sandbox users (${users.join(', ')}), or a user group one of them is in, in the plan's access lists.`,
    );
    this.name = 'NoSandboxUserError';
  }
}

/** The sandbox scenario waited for something that never came; the Slack answers above say why. */
export class ScenarioStuckError extends LifeboatError {
  constructor(customerId: string, missing: string) {
    super(
      `The sandbox drill of ${customerId} stopped: ${missing}. Read the answers above for the reason, or try it by hand with lifeboat sandbox --interactive.`,
    );
    this.name = 'ScenarioStuckError';
  }
}

/** The sandbox incident waited for something that never came; the Slack answers above say why. */
export class IncidentStuckError extends LifeboatError {
  constructor(region: string, missing: string) {
    super(
      `The sandbox's region-wide failover of ${region} stopped: ${missing}. Read the answers above for the reason, or try it by hand with lifeboat sandbox --interactive.`,
    );
    this.name = 'IncidentStuckError';
  }
}
