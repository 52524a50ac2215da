import { LifeboatError } from './errors.ts';

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
    this.name = 'AwsCallError';
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
    this.name = 'ThrottledError';
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
    this.name = 'RegionUnreachableError';
    this.region = problem.region;
  }
}

export const AWS_ERROR_NAMES = {
  awsCall: 'AwsCallError',
  throttled: 'ThrottledError',
  regionUnreachable: 'RegionUnreachableError',
} as const;
