import type { Plan } from '../../../orchestrator/domain/plan.ts';
import { AwsError } from '../errors.ts';
import type { Estate } from '../estate.ts';
import { json, type SimRequest, type SimResponse, type SimService } from '../protocol.ts';

const INVOKE = /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/;

/**
 * Lambda (REST-JSON), Invoke only: the functions the plans' `lambda` hooks name exist in every
 * account and region. A call answers what it was asked in; `validation-fail:<function>` makes
 * the function throw (200 with `X-Amz-Function-Error: Unhandled`, as Lambda reports it).
 */
export class LambdaService implements SimService {
  readonly signingName = 'lambda';
  private readonly functions: Set<string>;

  constructor(private readonly estate: Estate) {
    this.functions = new Set(estate.plans.flatMap(lambdaFunctionsOf));
  }

  operationOf(req: SimRequest): string {
    return req.method === 'POST' && INVOKE.test(req.path) ? 'Invoke' : `${req.method} ${req.path}`;
  }

  handle(req: SimRequest, operation: string): SimResponse {
    if (operation !== 'Invoke')
      throw new AwsError(
        'UnknownOperationException',
        `The local Lambda simulates Invoke only, not ${operation}.`,
        404,
      );
    return this.invoke(req, decodeURIComponent(INVOKE.exec(req.path)?.[1] ?? ''));
  }

  private invoke(req: SimRequest, requested: string): SimResponse {
    const name = functionNameOf(requested);
    if (!this.functions.has(name))
      throw new AwsError(
        'ResourceNotFoundException',
        `Function not found: arn:aws:lambda:${req.region}:${req.account}:function:${name}`,
        404,
        { Type: 'User' },
      );
    const invocationType = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    if (invocationType === 'DryRun') return { status: 204, body: '' };
    this.estate.record('lambda-invoke', {
      account: req.account,
      region: req.region,
      function: name,
      payload: parsePayload(req.body),
    });
    if (invocationType === 'Event') return { status: 202, body: '' };
    return this.fails(name)
      ? json(
          200,
          {
            errorType: 'Error',
            errorMessage: `${name} failed (simulated validation-fail fault).`,
            trace: [],
          },
          { 'x-amz-function-error': 'Unhandled', 'x-amz-executed-version': '$LATEST' },
        )
      : json(
          200,
          { ok: true, function: name, region: req.region },
          { 'x-amz-executed-version': '$LATEST' },
        );
  }

  private fails(name: string): boolean {
    return this.estate.deps.faults.of('validation-fail').some((f) => f.document === name);
  }

  renderError(error: AwsError): SimResponse {
    return json(
      error.status,
      { Message: error.message, ...error.fields },
      { 'x-amzn-errortype': error.code },
    );
  }

  throttlingError(): AwsError {
    return new AwsError('TooManyRequestsException', 'Rate exceeded', 429, {
      Type: 'User',
      Reason: 'CallerRateLimitExceeded',
    });
  }
}

/** The functions of every `lambda` hook in a plan: waves, validation and the web UI's scaling. */
function lambdaFunctionsOf(plan: Plan): string[] {
  const hooks = [
    ...plan.waves.flatMap((w) => [...w.preHooks, ...w.postHooks]),
    ...plan.validation,
    ...(plan.webui ? [plan.webui.scaleUp, plan.webui.scaleDown] : []),
  ];
  return hooks.flatMap((hook) => (hook.kind === 'lambda' ? [functionNameOf(hook.function)] : []));
}

/** `name`, `name:alias`, `123456789012:function:name` or a full ARN, to the function's name. */
function functionNameOf(reference: string): string {
  const parts = reference.split(':');
  const at = parts.indexOf('function');
  return (at >= 0 ? parts[at + 1] : parts[0]) ?? reference;
}

function parsePayload(body: string): unknown {
  try {
    return JSON.parse(body || '{}');
  } catch {
    return body;
  }
}
