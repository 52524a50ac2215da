/**
 * Every error Lifeboat's orchestrator raises on purpose, in one module. The class name is what
 * Step Functions matches in Retry/Catch, so each class takes its name from `ERROR_NAMES`, the
 * one registry handlers and infra read.
 */

/** `{ Name: 'Name' }` for each name: a registry whose every entry is typed as its own key. */
function registryOf<const Name extends string>(...names: Name[]): { readonly [N in Name]: N } {
  return Object.freeze(Object.fromEntries(names.map((name) => [name, name]))) as {
    readonly [N in Name]: N;
  };
}

/**
 * The name of every error class below, keyed by the class's own name. A test checks each class
 * is registered and that `new X(...).name` is its entry.
 */
export const ERROR_NAMES = registryOf(
  'LifeboatError',
  'PlanValidationError',
  'UnknownCustomerError',
  'UnsupportedOperationError',
  'InvalidSettingError',
  'GateAnswerError',
  'OperationInProgressError',
  'NotFoundError',
  'ConcurrentUpdateError',
  'NotPausedError',
  'AwsCallError',
  'ThrottledError',
  'ServerError',
  'RegionUnreachableError',
  'ClusterUnreachableError',
  'JournalEntryError',
  'GateOpeningError',
  'UnknownStepError',
);
export type ErrorName = keyof typeof ERROR_NAMES;

export class LifeboatError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = ERROR_NAMES.LifeboatError;
  }
}

// Plans and settings

/** One problem found in a plan, located by its path inside the plan (`waves[2].servers[5]`). */
export interface PlanProblem {
  /** A stable code per rule, for tests and for tools that fix plans. */
  code: PlanProblemCode;
  /** `waves[2].servers[5]`; empty for the whole document. */
  path: string;
  /** The offending value, when there is one. */
  value?: unknown;
  /** What is wrong and what to do, in one or two sentences. */
  message: string;
  /** 1-based line in the source file, when the plan came from a file. */
  line?: number;
  /** The path as keys and indexes, for tools that locate it in the source. */
  segments?: readonly (string | number)[];
}

export const PLAN_PROBLEM_CODES = [
  'yaml-syntax',
  'shape',
  'unknown-key',
  'bad-duration',
  'unknown-region',
  'same-region',
  'duplicate-server',
  'server-in-no-wave',
  'server-in-two-waves',
  'unknown-server',
  'dependency-cycle',
  'dependency-on-later-wave',
  'octet-mismatch',
  'duplicate-ip',
  'duplicate-instance',
  'duplicate-dns-name',
  'dns-values',
  'duplicate-hook',
  'duplicate-wave',
  'empty-wave',
  'weak-approval',
  'missing-hook-target',
  'isolated-network-missing',
  'customer-id-mismatch',
  'unreadable-file',
  'missing-sign-off',
  'duplicate-plan',
  'unknown-plan',
  'unknown-wave',
  'after-itself',
  'after-cycle',
  'after-other-region-pair',
] as const;
export type PlanProblemCode = (typeof PLAN_PROBLEM_CODES)[number];

export class PlanValidationError extends LifeboatError {
  readonly problems: readonly PlanProblem[];
  readonly source: string;

  constructor(source: string, problems: readonly PlanProblem[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(`${source}: ${count}\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`);
    this.name = ERROR_NAMES.PlanValidationError;
    this.problems = problems;
    this.source = source;
  }
}

/** `waves[2].servers[5]: "web-99" is not ...` with the line when known. */
export function formatProblem(problem: PlanProblem): string {
  const where = [problem.line === undefined ? '' : `line ${problem.line}`, problem.path]
    .filter(Boolean)
    .join(', ');
  return where ? `${where}: ${problem.message}` : problem.message;
}

export class UnknownCustomerError extends LifeboatError {
  constructor(customerId: string, known: readonly string[]) {
    super(
      `No plan for customer "${customerId}". Known customers: ${known.join(', ') || 'none'}. ` +
        `Add config/customers/${customerId}.yaml or check the spelling.`,
    );
    this.name = ERROR_NAMES.UnknownCustomerError;
  }
}

export class UnsupportedOperationError extends LifeboatError {
  constructor(message: string) {
    super(message);
    this.name = ERROR_NAMES.UnsupportedOperationError;
  }
}

/** A setting Lifeboat was started with cannot work as given; `fix` says what to write instead. */
export class InvalidSettingError extends LifeboatError {
  readonly setting: string;
  readonly value: unknown;

  constructor(setting: string, value: unknown, fix: string) {
    super(`${setting} is ${JSON.stringify(value)}: ${fix}`);
    this.name = ERROR_NAMES.InvalidSettingError;
    this.setting = setting;
    this.value = value;
  }
}

// Runs and their state

/** An answer to a gate that does not count; the message says why and who may answer. */
export class GateAnswerError extends LifeboatError {
  constructor(message: string) {
    super(message);
    this.name = ERROR_NAMES.GateAnswerError;
  }
}

export class OperationInProgressError extends LifeboatError {
  /** `message`: a fuller one, for what is not a customer (a region's open incident). */
  constructor(customerId: string, holder: string, message?: string) {
    super(
      message ??
        `Customer "${customerId}" already has an operation running (${holder}); there is only one active environment at a time. Wait for it to end, or abort it.`,
    );
    this.name = ERROR_NAMES.OperationInProgressError;
  }
}

export class NotFoundError extends LifeboatError {
  /** `todo`: what to do instead, for the person who asked. */
  constructor(what: string, todo = 'check the id.') {
    super(`${what} was not found; ${todo}`);
    this.name = ERROR_NAMES.NotFoundError;
  }
}

export class ConcurrentUpdateError extends LifeboatError {
  constructor(what: string) {
    super(
      `${what} was changed by someone else at the same moment; nothing was changed by this request.`,
    );
    this.name = ERROR_NAMES.ConcurrentUpdateError;
  }
}

export class NotPausedError extends LifeboatError {
  constructor(executionId: string) {
    super(`Run ${executionId} is not paused and no pause is pending; there is nothing to resume.`);
    this.name = ERROR_NAMES.NotPausedError;
  }
}

// AWS calls

/** What went wrong in one call to an AWS service, in the service's own words. */
export interface AwsCallProblem {
  /** The SDK's service id, lower case: `drs`, `ec2`, `route53`, `ssm`, `lambda`, `cloudformation`. */
  service: string;
  operation: string;
  /** The service's error code (`ConflictException`), or the network's (`ECONNREFUSED`). */
  code: string;
  /** Trying the same call again later may succeed. */
  retryable: boolean;
  /** The service's message. */
  detail: string;
}

/** An AWS call failed; `code` says how. */
export class AwsCallError extends LifeboatError {
  readonly service: string;
  readonly operation: string;
  readonly code: string;
  readonly retryable: boolean;
  /** The service's own message. */
  readonly detail: string;

  constructor(problem: AwsCallProblem, options?: ErrorOptions) {
    const hint = problem.retryable
      ? 'It may succeed if tried again later.'
      : 'Trying again will not help until the cause is fixed.';
    super(
      `${problem.service} ${problem.operation} failed with ${problem.code}: ${problem.detail} ${hint}`,
      options,
    );
    this.name = ERROR_NAMES.AwsCallError;
    this.service = problem.service;
    this.operation = problem.operation;
    this.code = problem.code;
    this.retryable = problem.retryable;
    this.detail = problem.detail;
  }
}

/** The service refused the call for its rate: wait, then call again. */
export class ThrottledError extends AwsCallError {
  constructor(problem: Omit<AwsCallProblem, 'retryable'>, options?: ErrorOptions) {
    super({ ...problem, retryable: true }, options);
    this.name = ERROR_NAMES.ThrottledError;
  }
}

/**
 * The service answered with a 5xx: its own failure, not the request's. AWS asks for the same call
 * again; every task is safe to run again (README, Crash safety), so the state machine retries it.
 */
export class ServerError extends AwsCallError {
  constructor(problem: Omit<AwsCallProblem, 'retryable'>, options?: ErrorOptions) {
    super({ ...problem, retryable: true }, options);
    this.name = ERROR_NAMES.ServerError;
  }
}

/**
 * The region's endpoint did not answer (connection refused or reset, a timeout): the region may
 * be gone, which is when a failover runs. Work from the other region.
 */
export class RegionUnreachableError extends AwsCallError {
  readonly region: string;

  constructor(
    problem: Omit<AwsCallProblem, 'retryable'> & { region: string },
    options?: ErrorOptions,
  ) {
    super(
      {
        ...problem,
        retryable: true,
        detail: `${problem.region} did not answer (${problem.detail}); the region may be unreachable.`,
      },
      options,
    );
    this.name = ERROR_NAMES.RegionUnreachableError;
    this.region = problem.region;
  }
}

/**
 * None of the ARC cluster's endpoints served the call (ARC keeps three of five up: more than two
 * lost at once, or none reachable from here). Each endpoint's answer is in the message.
 */
export class ClusterUnreachableError extends AwsCallError {
  readonly endpoints: readonly { region: string; detail: string }[];

  constructor(operation: string, endpoints: readonly { region: string; detail: string }[]) {
    super({
      service: 'route53-recovery-cluster',
      operation,
      code: 'NoEndpointAnswered',
      retryable: true,
      detail:
        endpoints.length === 0
          ? 'the cluster has no endpoints configured (LIFEBOAT_ARC_ENDPOINTS)'
          : `no endpoint of the ARC cluster served it (${endpoints.map((e) => `${e.region}: ${e.detail}`).join('; ')})`,
    });
    this.name = ERROR_NAMES.ClusterUnreachableError;
    this.endpoints = endpoints;
  }
}

/** A journal entry whose data does not have its type's shape: a bug in its writer. */
export class JournalEntryError extends LifeboatError {
  constructor(type: string, problem: string) {
    super(
      `A "${type}" journal entry has the wrong shape (${problem}); this is a bug in its writer.`,
    );
    this.name = ERROR_NAMES.JournalEntryError;
  }
}

/** A gate opened on a step that is no gate: a state machine that routed wrong. */
export class GateOpeningError extends LifeboatError {
  constructor(stepId: string, kind: string) {
    super(`Step ${stepId} (${kind}) is not a gate step; only a gate step opens its own gate.`);
    this.name = ERROR_NAMES.GateOpeningError;
  }
}

/** A step id that is not in the run's runbook. */
export class UnknownStepError extends LifeboatError {
  constructor(executionId: string, stepId: string) {
    super(
      `Step ${stepId} is not in run ${executionId}; check the step id against the run's runbook.`,
    );
    this.name = ERROR_NAMES.UnknownStepError;
  }
}
