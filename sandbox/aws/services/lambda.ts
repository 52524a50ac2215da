import { z } from 'zod';
import type { Plan } from '../../../orchestrator/domain/plan.ts';
import { AwsError } from '../errors.ts';
import type { Estate } from '../estate.ts';
import { describeProblems, type InputProblem, parseInput } from '../input.ts';
import { json, type SimRequest, type SimResponse, type SimService } from '../protocol.ts';

const INVOKE = /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/;

/** Invoke's input: the function in the path, the options in headers and query, the payload (JSON). */
const InvokeInput = z.object({
  FunctionName: z
    .string()
    .min(1)
    .max(170)
    .regex(
      /^(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?$/,
    ),
  Qualifier: z
    .string()
    .min(1)
    .max(128)
    .regex(/^(\$LATEST|[a-zA-Z0-9-_]+)$/)
    .optional(),
  InvocationType: z.enum(['Event', 'RequestResponse', 'DryRun']).default('RequestResponse'),
  LogType: z.enum(['None', 'Tail']).optional(),
  Payload: z.unknown(),
});

/** Lambda's ValidationException, naming each member as its messages do (`functionName`). */
function invalid(problems: InputProblem[]): AwsError {
  return new AwsError('ValidationException', describeProblems(problems, { camelCase: true }), 400);
}

/**
 * Lambda (REST-JSON), Invoke only: the functions the plans' `lambda` hooks name exist in every
 * account and region. A call answers what it was asked in; `validation-fail:<function>` makes
 * the function throw (200 with `X-Amz-Function-Error: Unhandled`, as Lambda reports it).
 */
export class LambdaService implements SimService {
  readonly signingName = 'lambda';
  private readonly functions: Set<string>;
  /**
   * The idempotency keys each function has run for, and what it answered: the hook functions
   * here de-duplicate on Lifeboat's `idempotencyKey`, as one built with Powertools' idempotency
   * utility does (README, Crash safety: what a Lambda hook must do).
   */
  private readonly ran = new Map<string, SimResponse>();

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
    const input = parseInput(
      InvokeInput,
      {
        FunctionName: decodeURIComponent(INVOKE.exec(req.path)?.[1] ?? ''),
        Qualifier: req.query.get('Qualifier') ?? undefined,
        InvocationType: req.headers['x-amz-invocation-type'],
        LogType: req.headers['x-amz-log-type'],
        Payload: parsePayload(req.body),
      },
      invalid,
    );
    return this.invoke(req, input);
  }

  private invoke(req: SimRequest, input: z.output<typeof InvokeInput>): SimResponse {
    const name = functionNameOf(input.FunctionName);
    if (!this.functions.has(name))
      throw new AwsError(
        'ResourceNotFoundException',
        `Function not found: arn:aws:lambda:${req.region}:${req.account}:function:${name}`,
        404,
        { Type: 'User' },
      );
    if (input.InvocationType === 'DryRun') return { status: 204, body: '' };
    const key = (input.Payload as { idempotencyKey?: unknown } | undefined)?.idempotencyKey;
    const runKey = typeof key === 'string' ? `${req.account}/${req.region}/${name}/${key}` : '';
    const earlier = runKey ? this.ran.get(runKey) : undefined;
    this.estate.record('lambda-invoke', {
      account: req.account,
      region: req.region,
      function: name,
      payload: input.Payload,
      ...(earlier ? { replayed: true } : {}),
    });
    if (earlier) return earlier;
    if (input.InvocationType === 'Event') return { status: 202, body: '' };
    const answer = this.answer(req, name);
    if (runKey) this.ran.set(runKey, answer);
    return answer;
  }

  private answer(req: SimRequest, name: string): SimResponse {
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

/** The payload must be JSON, as Lambda insists before it invokes anything. */
function parsePayload(body: string): unknown {
  try {
    return JSON.parse(body || '{}');
  } catch (error) {
    throw new AwsError(
      'InvalidRequestContentException',
      `Could not parse request body into json: ${(error as Error).message}`,
      400,
      { Type: 'User' },
    );
  }
}
