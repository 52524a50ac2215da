/**
 * Every error Lifeboat raises on purpose. The class name is what Step Functions matches in
 * Retry/Catch, so the names are exported once, in `ERROR_NAMES`, for handlers and infra alike.
 */
export class LifeboatError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LifeboatError';
  }
}

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
] as const;
export type PlanProblemCode = (typeof PLAN_PROBLEM_CODES)[number];

export class PlanValidationError extends LifeboatError {
  readonly problems: readonly PlanProblem[];
  readonly source: string;

  constructor(source: string, problems: readonly PlanProblem[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(`${source}: ${count}\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`);
    this.name = 'PlanValidationError';
    this.problems = problems;
    this.source = source;
  }
}

export class UnknownCustomerError extends LifeboatError {
  constructor(customerId: string, known: readonly string[]) {
    super(
      `No plan for customer "${customerId}". Known customers: ${known.join(', ') || 'none'}. ` +
        `Add config/customers/${customerId}.yaml or check the spelling.`,
    );
    this.name = 'UnknownCustomerError';
  }
}

export class UnsupportedOperationError extends LifeboatError {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedOperationError';
  }
}

export const ERROR_NAMES = {
  lifeboat: 'LifeboatError',
  planValidation: 'PlanValidationError',
  unknownCustomer: 'UnknownCustomerError',
  unsupportedOperation: 'UnsupportedOperationError',
} as const;

/** `waves[2].servers[5]: "web-99" is not ...` with the line when known. */
export function formatProblem(problem: PlanProblem): string {
  const where = [problem.line === undefined ? '' : `line ${problem.line}`, problem.path]
    .filter(Boolean)
    .join(', ');
  return where ? `${where}: ${problem.message}` : problem.message;
}
