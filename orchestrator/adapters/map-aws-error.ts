import { isThrottlingError, isTransientError } from '@smithy/service-error-classification';
import {
  AwsCallError,
  RegionUnreachableError,
  ServerError,
  ThrottledError,
} from '../domain/errors.ts';

/** The parts of an SDK (or Node) error the mapping reads itself; every SDK version has these. */
interface SdkErrorShape {
  name?: string;
  code?: string;
  message?: string;
  /** Route 53's InvalidChangeBatch has a list, left empty by the SDK: the problems are in `message`. */
  messages?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** What the SDK's classifiers take; each reads only the fields it needs, all optional. */
type SdkError = Parameters<typeof isTransientError>[0];

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

/**
 * Throttling and what is worth retrying are the SDK's own classification (the one its retries
 * use); Lifeboat adds the region that did not answer at all, a failover's reason to exist, and
 * names a 5xx answer, which the state machine retries as it does throttling.
 */
export function mapAwsError(error: unknown, site: AwsCallSite, operation: string): AwsCallError {
  if (error instanceof AwsCallError) return error;
  const shape = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const sdkError = shape as SdkError;
  const answered = shape.$metadata?.httpStatusCode !== undefined;
  const code = readCode(shape);
  const problem = { service: site.service, operation, code, detail: readDetail(shape, error) };
  const cause = { cause: error };
  // Transient without any HTTP answer: refused, reset, timed out, no DNS. The region may be gone.
  if (!answered && isTransientError(sdkError))
    return new RegionUnreachableError({ ...problem, region: site.region }, cause);
  if (isThrottlingError(sdkError)) return new ThrottledError(problem, cause);
  if ((shape.$metadata?.httpStatusCode ?? 0) >= 500) return new ServerError(problem, cause);
  return new AwsCallError({ ...problem, retryable: isTransientError(sdkError) }, cause);
}

/**
 * The service's code; for a call that got no answer, Node's (`ECONNRESET`), which older SDKs
 * (DRS 3.523) hide behind the name `TimeoutError`.
 */
function readCode(shape: SdkErrorShape): string {
  const name = shape.name && shape.name !== 'Error' ? shape.name : undefined;
  // Some services' errors carry a `code` member of their own: the name is the error code.
  if (shape.$metadata?.httpStatusCode !== undefined) return name ?? 'UnknownError';
  return shape.code ?? name ?? 'UnknownError';
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
