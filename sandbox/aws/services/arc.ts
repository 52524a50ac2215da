import { z } from 'zod';
import {
  ARC_ENDPOINT_REGIONS,
  ARC_MAX_STATES_PER_UPDATE,
} from '../../../orchestrator/domain/routing.ts';
import { AwsError } from '../errors.ts';
import type { Estate } from '../estate.ts';
import { describeProblems, type InputProblem, parseInput } from '../input.ts';
import {
  json,
  type SimRequest,
  type SimResponse,
  type SimService,
  targetOperation,
} from '../protocol.ts';
import { ArcState, type RoutingControl } from './arc-state.ts';

const TARGET_PREFIX = 'ToggleCustomerAPI.';
const DEFAULT_PAGE = 500;

const Arn = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[A-Za-z0-9:./_-]*$/);
const State = z.enum(['On', 'Off']);
const Overrides = z.array(Arn).optional();

const GetRoutingControlStateInput = z.object({ RoutingControlArn: Arn });

const ListRoutingControlsInput = z.object({
  ControlPanelArn: Arn.optional(),
  NextToken: z.string().min(1).max(8096).optional(),
  MaxResults: z.number().int().min(1).max(1000).optional(),
});

const UpdateRoutingControlStateInput = z.object({
  RoutingControlArn: Arn,
  RoutingControlState: State,
  SafetyRulesToOverride: Overrides,
});

const UpdateRoutingControlStatesInput = z.object({
  // The count is checked apart: more than ten is ARC's ServiceLimitExceededException, not a validation error.
  UpdateRoutingControlStateEntries: z
    .array(z.object({ RoutingControlArn: Arn, RoutingControlState: State }))
    .min(1),
  SafetyRulesToOverride: Overrides,
});

/**
 * ARC's cluster data plane (AWS JSON 1.0, `X-Amz-Target: ToggleCustomerAPI.<Operation>`): the
 * routing controls of one cluster, shared with every account (as through AWS RAM), served by
 * five regional endpoints, each known by the region a request is signed for.
 */
export class ArcService implements SimService {
  readonly signingName = 'route53-recovery-cluster';
  readonly state: ArcState;

  constructor(readonly estate: Estate) {
    this.state = new ArcState(estate);
  }

  operationOf(req: SimRequest): string {
    return targetOperation(req, TARGET_PREFIX);
  }

  handle(req: SimRequest, operation: string): SimResponse {
    if (!(ARC_ENDPOINT_REGIONS as readonly string[]).includes(req.region)) {
      // The cluster has no endpoint there: real clients find no host to call. The serve loop
      // gives a service no way to drop a connection, so this answers what ARC tells a client
      // to move on from (EndpointTemporarilyUnavailableException): the same "try the next
      // endpoint" to a client that rotates endpoints, and never a state read or changed.
      throw new AwsError(
        'EndpointTemporarilyUnavailableException',
        `The cluster has no endpoint in ${req.region}; its endpoints are in ${ARC_ENDPOINT_REGIONS.join(', ')}.`,
        503,
      );
    }
    const body = parseBody(req.body);
    switch (operation) {
      case 'GetRoutingControlState':
        return this.getRoutingControlState(parseInput(GetRoutingControlStateInput, body, invalid));
      case 'ListRoutingControls':
        return this.listRoutingControls(parseInput(ListRoutingControlsInput, body, invalid));
      case 'UpdateRoutingControlState': {
        const input = parseInput(UpdateRoutingControlStateInput, body, invalid);
        const entry = { arn: input.RoutingControlArn, state: input.RoutingControlState };
        return this.update(req, [entry], input.SafetyRulesToOverride);
      }
      case 'UpdateRoutingControlStates': {
        const entries = (body as { UpdateRoutingControlStateEntries?: unknown })
          ?.UpdateRoutingControlStateEntries;
        if (Array.isArray(entries) && entries.length > ARC_MAX_STATES_PER_UPDATE)
          throw new AwsError(
            'ServiceLimitExceededException',
            `${entries.length} routing control states in one update; at most ${ARC_MAX_STATES_PER_UPDATE}: split it.`,
            402,
            {
              limitCode: 'UpdateRoutingControlStateEntries',
              serviceCode: 'route53-recovery-cluster',
            },
          );
        const input = parseInput(UpdateRoutingControlStatesInput, body, invalid);
        const each = input.UpdateRoutingControlStateEntries.map((e) => ({
          arn: e.RoutingControlArn,
          state: e.RoutingControlState,
        }));
        return this.update(req, each, input.SafetyRulesToOverride);
      }
      default:
        throw new AwsError(
          'ValidationException',
          `The local ARC cluster does not simulate ${operation || 'a request without X-Amz-Target'}.`,
          400,
          { reason: 'unknownOperation' },
        );
    }
  }

  /** AWS JSON 1.0 errors: the code in `__type` and `x-amzn-ErrorType`; `Retry-After` as a header. */
  renderError(error: AwsError): SimResponse {
    const { retryAfterSeconds, ...fields } = error.fields;
    return json(
      error.status,
      { __type: error.code, message: error.message, ...fields },
      {
        'x-amzn-errortype': error.code,
        ...(retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) }),
      },
    );
  }

  throttlingError(): AwsError {
    return new AwsError('ThrottlingException', 'Rate exceeded', 429, { retryAfterSeconds: 1 });
  }

  private getRoutingControlState(input: z.infer<typeof GetRoutingControlStateInput>): SimResponse {
    const control = this.controlOrThrow(input.RoutingControlArn);
    return json(200, {
      RoutingControlArn: control.arn,
      RoutingControlState: control.state,
      RoutingControlName: control.name,
    });
  }

  private listRoutingControls(input: z.infer<typeof ListRoutingControlsInput>): SimResponse {
    const panelArn = input.ControlPanelArn;
    if (panelArn !== undefined && !this.state.panel(panelArn))
      throw notFound(panelArn, 'ControlPanel', `No control panel ${panelArn} in this cluster.`);
    const all = this.state.list(panelArn);
    const after = input.NextToken === undefined ? undefined : readToken(input.NextToken);
    const rest = after === undefined ? all : all.filter((c) => c.arn > after);
    const page = rest.slice(0, input.MaxResults ?? DEFAULT_PAGE);
    const last = page.at(-1);
    return json(200, {
      RoutingControls: page.map((c) => this.render(c)),
      ...(last && rest.length > page.length ? { NextToken: writeToken(last.arn) } : {}),
    });
  }

  private update(
    req: SimRequest,
    entries: { arn: string; state: 'On' | 'Off' }[],
    override: readonly string[] | undefined,
  ): SimResponse {
    this.state.update(entries, {
      endpointRegion: req.region,
      ...(override === undefined ? {} : { override }),
    });
    return json(200, {});
  }

  private render(control: RoutingControl) {
    return {
      ControlPanelArn: control.panelArn,
      ControlPanelName: this.state.panel(control.panelArn)?.name,
      RoutingControlArn: control.arn,
      RoutingControlName: control.name,
      RoutingControlState: control.state,
      Owner: control.account,
    };
  }

  private controlOrThrow(arn: string): RoutingControl {
    const control = this.state.control(arn);
    if (!control)
      throw notFound(arn, 'RoutingControl', `No routing control ${arn} in this cluster.`);
    return control;
  }
}

function notFound(resourceId: string, resourceType: string, message: string): AwsError {
  return new AwsError('ResourceNotFoundException', message, 404, { resourceId, resourceType });
}

function parseBody(body: string): unknown {
  try {
    return JSON.parse(body || '{}');
  } catch {
    throw new AwsError('ValidationException', 'The request body is not valid JSON.', 400, {
      reason: 'cannotParse',
    });
  }
}

/** ARC's ValidationException: the reason, and each field with what was wrong with it. */
function invalid(problems: InputProblem[]): AwsError {
  return new AwsError('ValidationException', describeProblems(problems), 400, {
    reason: 'fieldValidationFailed',
    fields: problems.map((p) => ({ name: p.field, message: describeProblems([p]) })),
  });
}

function writeToken(afterArn: string): string {
  return Buffer.from(JSON.stringify({ after: afterArn })).toString('base64');
}

function readToken(token: string): string {
  try {
    const { after } = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as {
      after?: unknown;
    };
    if (typeof after === 'string') return after;
  } catch {
    // Not ours: answered below.
  }
  throw new AwsError(
    'ValidationException',
    `The NextToken ${token} is not valid; start over.`,
    400,
    {
      reason: 'fieldValidationFailed',
      fields: [{ name: 'NextToken', message: 'Not a token this cluster gave.' }],
    },
  );
}
