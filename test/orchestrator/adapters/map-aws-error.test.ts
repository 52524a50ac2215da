import {
  AccessDeniedException,
  ConflictException,
  InternalServerException,
  ThrottlingException,
} from '@aws-sdk/client-drs';
import { describe, expect, it } from 'vitest';
import { mapAwsError } from '../../../orchestrator/adapters/map-aws-error.ts';
import {
  AwsCallError,
  RegionUnreachableError,
  ServerError,
  ThrottledError,
} from '../../../orchestrator/domain/errors.ts';

const SITE = { service: 'drs', region: 'us-east-1' };
const answered = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });

/** A failure before any HTTP answer, as Node's socket (and the SDK's handler) reports it. */
function unanswered(code: string, name = 'Error') {
  return Object.assign(new Error(`connect ${code} 10.0.0.1:443`), { name, code, $metadata: {} });
}

/** A service error as the SDK deserializes one whose model the client does not know. */
function serviceError(name: string, httpStatusCode: number) {
  return Object.assign(new Error(`${name} from the service`), {
    name,
    ...answered(httpStatusCode),
  });
}

describe('mapAwsError', () => {
  it.each([
    {
      what: "DRS's ThrottlingException",
      error: new ThrottlingException({ message: 'Rate exceeded', ...answered(400) }),
      as: ThrottledError,
      expected: { code: 'ThrottlingException', retryable: true },
    },
    {
      what: 'Route 53 busy with the previous change',
      error: serviceError('PriorRequestNotComplete', 400),
      as: ThrottledError,
      expected: { code: 'PriorRequestNotComplete', retryable: true },
    },
    {
      what: 'any 429',
      error: serviceError('SomethingElse', 429),
      as: ThrottledError,
      expected: { code: 'SomethingElse', retryable: true },
    },
    {
      what: "DRS's ConflictException, whose own `code` member is not the error code",
      error: new ConflictException({ message: 'in another job', code: 'X', ...answered(409) }),
      as: AwsCallError,
      expected: { code: 'ConflictException', retryable: false, detail: 'in another job' },
    },
    {
      what: 'a refusal for lack of permission',
      error: new AccessDeniedException({ message: 'no', ...answered(403) }),
      as: AwsCallError,
      expected: { code: 'AccessDeniedException', retryable: false },
    },
    {
      what: "DRS's InternalServerException",
      error: new InternalServerException({ message: 'oops', ...answered(500) }),
      as: ServerError,
      expected: { code: 'InternalServerException', retryable: true },
    },
    {
      what: 'a 503',
      error: serviceError('ServiceUnavailable', 503),
      as: ServerError,
      expected: { code: 'ServiceUnavailable', retryable: true },
    },
    {
      what: 'a connection refused',
      error: unanswered('ECONNREFUSED'),
      as: RegionUnreachableError,
      expected: { code: 'ECONNREFUSED', retryable: true, region: 'us-east-1' },
    },
    {
      what: 'a reset connection that an older SDK names TimeoutError',
      error: unanswered('ECONNRESET', 'TimeoutError'),
      as: RegionUnreachableError,
      expected: { code: 'ECONNRESET', retryable: true, region: 'us-east-1' },
    },
    {
      what: 'a name that does not resolve',
      error: unanswered('ENOTFOUND'),
      as: RegionUnreachableError,
      expected: { code: 'ENOTFOUND', retryable: true },
    },
    {
      what: 'a call Lifeboat aborted itself',
      error: Object.assign(new Error('The operation was aborted'), { name: 'AbortError' }),
      as: AwsCallError,
      expected: { code: 'AbortError', retryable: false },
    },
  ])('maps $what', ({ error, as, expected }) => {
    // Act
    const mapped = mapAwsError(error, SITE, 'StartRecovery');
    // Assess
    expect(mapped.constructor).toBe(as);
    expect(mapped).toMatchObject({ service: 'drs', operation: 'StartRecovery', ...expected });
    expect(mapped.cause).toBe(error);
  });

  it('keeps an error that is already mapped', () => {
    // Prepare
    const error = new AwsCallError({
      service: 'ssm',
      operation: 'SendCommand',
      code: 'IncompleteResponse',
      retryable: false,
      detail: 'The answer has no Command.CommandId.',
    });
    // Act & Assess
    expect(mapAwsError(error, SITE, 'StartRecovery')).toBe(error);
  });
});
