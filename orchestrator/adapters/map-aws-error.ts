import { AwsCallError, RegionUnreachableError, ThrottledError } from '../domain/aws-errors.ts';

/** The codes services use for "too many requests" (Route 53 says PriorRequestNotComplete). */
const THROTTLING_CODES = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
]);

/** What Node and the SDK's HTTP handler say when an endpoint does not answer at all. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'TimeoutError',
]);

const TRANSIENT_CODES = new Set([
  'InternalFailure',
  'InternalServerError',
  'InternalServerException',
  'RequestTimeout',
  'RequestTimeoutException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
]);

/** The parts of an SDK (or Node) error the mapping reads; every SDK version has these. */
interface SdkErrorShape {
  name?: string;
  code?: string;
  message?: string;
  /** Route 53's InvalidChangeBatch has a list, left empty by the SDK: the problems are in `message`. */
  messages?: unknown;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

export interface AwsCallSite {
  service: string;
  region: string;
}

/** Runs one SDK call (or a whole pagination) and turns whatever it throws into a domain error. */
export type AwsCaller = <T>(operation: string, call: () => Promise<T>) => Promise<T>;

/** The caller every adapter wraps its SDK calls in: the one place SDK errors are handled. */
export function awsCaller(site: AwsCallSite): AwsCaller {
  return async (operation, call) => {
    try {
      return await call();
    } catch (error) {
      throw mapAwsError(error, site, operation);
    }
  };
}

export function mapAwsError(error: unknown, site: AwsCallSite, operation: string): AwsCallError {
  if (error instanceof AwsCallError) return error;
  const shape = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const status = shape.$metadata?.httpStatusCode;
  const code = readCode(shape);
  const problem = { service: site.service, operation, code, detail: readDetail(shape, error) };
  const cause = { cause: error };
  if (status === undefined && UNREACHABLE_CODES.has(code))
    return new RegionUnreachableError({ ...problem, region: site.region }, cause);
  if (status === 429 || THROTTLING_CODES.has(code) || shape.$retryable?.throttling)
    return new ThrottledError(problem, cause);
  const retryable =
    shape.$retryable !== undefined || (status ?? 0) >= 500 || TRANSIENT_CODES.has(code);
  return new AwsCallError({ ...problem, retryable }, cause);
}

/**
 * The service's code; for a connection that failed, Node's (`ECONNRESET`), which older SDKs
 * (DRS 3.523) hide behind the name `TimeoutError`.
 */
function readCode(shape: SdkErrorShape): string {
  const name = shape.name && shape.name !== 'Error' ? shape.name : undefined;
  // Some services' errors carry a `code` member of their own: the name is the error code.
  if (shape.$metadata?.httpStatusCode !== undefined) return name ?? 'UnknownError';
  if (shape.code && UNREACHABLE_CODES.has(shape.code)) return shape.code;
  return name ?? shape.code ?? 'UnknownError';
}

function readDetail(shape: SdkErrorShape, error: unknown): string {
  const listed = Array.isArray(shape.messages) ? shape.messages.map(String) : [];
  const text = [shape.message ?? '', ...listed].filter(Boolean).join('; ');
  return text || String(error);
}

/** A successful answer that lacks what the call is for (an id): nothing to retry. */
export function incompleteAnswer(service: string, operation: string, field: string): AwsCallError {
  return new AwsCallError({
    service,
    operation,
    code: 'IncompleteResponse',
    retryable: false,
    detail: `The answer has no ${field}.`,
  });
}

/** The error is a failed AWS call with this code (and a message like `detail`, when given). */
export function isAwsCode(error: unknown, code: string, detail?: RegExp): error is AwsCallError {
  return (
    error instanceof AwsCallError &&
    error.code === code &&
    (detail === undefined || detail.test(error.detail))
  );
}
