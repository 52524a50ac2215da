import { z } from 'zod';
import { AwsError } from '../errors.ts';
import type { Estate } from '../estate.ts';
import { describeProblems, type InputProblem, parseInput } from '../input.ts';
import {
  decodeQuery,
  queryAction,
  requestId,
  type SimRequest,
  type SimResponse,
  type SimService,
  toXml,
  type XmlValue,
} from '../protocol.ts';

const NS = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';

const StackName = z
  .string()
  .max(128)
  .regex(/^[a-zA-Z][-a-zA-Z0-9]*$/);
/** A stack by name, or by its id (an ARN) where CloudFormation takes either. */
const StackNameOrId = z.string().min(1).max(256);
const Flag = z.enum(['true', 'false']);
const Parameters = z.object({
  member: z.array(
    z.object({
      ParameterKey: z.string().min(1),
      ParameterValue: z.string().optional(),
      UsePreviousValue: Flag.optional(),
    }),
  ),
});
const Template = {
  TemplateURL: z.string().min(1).max(5120).optional(),
  TemplateBody: z.string().min(1).optional(),
  Parameters: Parameters.optional(),
};
const Tags = z.object({
  member: z.array(z.object({ Key: z.string().min(1).max(128), Value: z.string().max(256) })),
});
const ClientRequestToken = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[a-zA-Z0-9][-a-zA-Z0-9]*$/)
  .optional();
const CreateStackInput = z.object({
  StackName,
  ...Template,
  ClientRequestToken,
  Tags: Tags.optional(),
});
const UpdateStackInput = z.object({
  StackName,
  ...Template,
  UsePreviousTemplate: Flag.optional(),
  ClientRequestToken,
});
const DeleteStackInput = z.object({ StackName: StackNameOrId });
const DescribeStacksInput = z.object({
  StackName: StackNameOrId.optional(),
  NextToken: z.string().optional(),
});
type TemplateInput = z.output<typeof UpdateStackInput>;

/** CloudFormation's ValidationError, naming each parameter as its messages do (`stackName`). */
function invalid(problems: InputProblem[]): AwsError {
  return new AwsError('ValidationError', describeProblems(problems, { camelCase: true }), 400);
}

type StackStatus =
  | 'CREATE_IN_PROGRESS'
  | 'CREATE_COMPLETE'
  | 'UPDATE_IN_PROGRESS'
  | 'UPDATE_COMPLETE'
  | 'DELETE_IN_PROGRESS'
  | 'DELETE_COMPLETE';

interface Template {
  url?: string;
  body?: string;
}

interface Stack {
  id: string;
  name: string;
  account: string;
  region: string;
  template: Template;
  parameters: Record<string, string>;
  /** The stack's tags (CreateStack's `Tags`): the workload role's conditions read them. */
  tags: Record<string, string>;
  createdAt: number;
  updatedAt?: number;
  deletedAt?: number;
  status: StackStatus;
  /** The operation under way: `status` becomes `to` at virtual time `at`. */
  transition?: { to: StackStatus; at: number };
  /** The ClientRequestToken of its last create or update: the same request again is not a second. */
  requestToken?: string;
}

/**
 * CloudFormation (AWS query protocol): CreateStack, UpdateStack, DeleteStack and DescribeStacks,
 * per account and region. Templates are not run: a create or update is IN_PROGRESS for 60 to 300
 * virtual seconds, then COMPLETE; a delete is DELETE_IN_PROGRESS, then the stack is gone (its id
 * still describes it as DELETE_COMPLETE, its name does not). Each operation's end is scheduled on
 * the estate, so describing a stack never changes it.
 */
export class CloudFormationService implements SimService {
  readonly signingName = 'cloudformation';
  /** Live stacks by `account/region/name`. */
  private readonly stacks = new Map<string, Stack>();
  private readonly deleted: Stack[] = [];

  constructor(private readonly estate: Estate) {}

  operationOf(req: SimRequest): string {
    return queryAction(req);
  }

  handle(req: SimRequest, operation: string): SimResponse {
    const input = decodeQuery(new URLSearchParams(req.body));
    switch (operation) {
      case 'CreateStack':
        return this.createStack(req, parseInput(CreateStackInput, input, invalid));
      case 'UpdateStack':
        return this.updateStack(req, parseInput(UpdateStackInput, input, invalid));
      case 'DeleteStack':
        return this.deleteStack(req, parseInput(DeleteStackInput, input, invalid).StackName);
      case 'DescribeStacks':
        return this.describeStacks(req, parseInput(DescribeStacksInput, input, invalid).StackName);
      default:
        throw new AwsError(
          'InvalidAction',
          `The local CloudFormation does not simulate ${operation}; it answers CreateStack, UpdateStack, DeleteStack and DescribeStacks.`,
          400,
        );
    }
  }

  renderError(error: AwsError): SimResponse {
    const type = error.status >= 500 ? 'Receiver' : 'Sender';
    return {
      status: error.status,
      headers: { 'content-type': 'text/xml' },
      body: `<ErrorResponse xmlns="${NS}"><Error>${toXml({ Type: type, Code: error.code, Message: error.message })}</Error><RequestId>${requestId()}</RequestId></ErrorResponse>`,
    };
  }

  throttlingError(): AwsError {
    return new AwsError('Throttling', 'Rate exceeded', 400);
  }

  private createStack(req: SimRequest, input: z.output<typeof CreateStackInput>): SimResponse {
    const name = input.StackName;
    const existing = this.stacks.get(keyOf(req, name));
    if (existing && input.ClientRequestToken && existing.requestToken === input.ClientRequestToken)
      return xmlResponse('CreateStack', { StackId: existing.id });
    if (existing)
      throw new AwsError('AlreadyExistsException', `Stack [${name}] already exists`, 400);
    const now = this.estate.now();
    const id = `arn:aws:cloudformation:${req.region}:${req.account}:stack/${name}/${this.uuid(`${req.account}:${name}:${now}`)}`;
    const stack: Stack = {
      id,
      name,
      account: req.account,
      region: req.region,
      template: templateOf(input, undefined),
      parameters: parametersOf(input, {}),
      tags: Object.fromEntries((input.Tags?.member ?? []).map((t) => [t.Key, t.Value])),
      createdAt: now,
      status: 'CREATE_IN_PROGRESS',
      ...(input.ClientRequestToken ? { requestToken: input.ClientRequestToken } : {}),
    };
    this.stacks.set(keyOf(req, name), stack);
    this.transition(stack, 'CREATE_COMPLETE', now + this.seconds(`stack-create:${id}`));
    this.recordDeploy(stack, 'create');
    return xmlResponse('CreateStack', { StackId: id });
  }

  private updateStack(req: SimRequest, input: TemplateInput): SimResponse {
    const stack = this.liveStack(req, input.StackName);
    if (input.ClientRequestToken && stack.requestToken === input.ClientRequestToken)
      return xmlResponse('UpdateStack', { StackId: stack.id });
    if (stack.transition)
      throw new AwsError(
        'ValidationError',
        `Stack:${stack.id} is in ${stack.status} state and can not be updated.`,
        400,
      );
    const template = templateOf(input, stack.template);
    const parameters = parametersOf(input, stack.parameters);
    if (sameTemplate(template, stack.template) && sameParameters(parameters, stack.parameters))
      throw new AwsError('ValidationError', 'No updates are to be performed.', 400);
    const now = this.estate.now();
    Object.assign(stack, {
      template,
      parameters,
      updatedAt: now,
      status: 'UPDATE_IN_PROGRESS',
      requestToken: input.ClientRequestToken,
    });
    this.transition(
      stack,
      'UPDATE_COMPLETE',
      now + this.seconds(`stack-update:${stack.id}:${now}`),
    );
    this.recordDeploy(stack, 'update');
    return xmlResponse('UpdateStack', { StackId: stack.id });
  }

  /** Deleting a stack that does not exist succeeds, as it does in CloudFormation. */
  private deleteStack(req: SimRequest, name: string): SimResponse {
    const stack = this.stacks.get(keyOf(req, name));
    if (stack && stack.status !== 'DELETE_IN_PROGRESS') {
      const now = this.estate.now();
      const goneAt = now + this.seconds(`stack-delete:${stack.id}:${now}`);
      stack.status = 'DELETE_IN_PROGRESS';
      this.transition(stack, 'DELETE_COMPLETE', goneAt);
      this.estate.record('stack-delete', {
        account: stack.account,
        region: stack.region,
        stackName: stack.name,
        stackId: stack.id,
        goneAt: new Date(goneAt).toISOString(),
      });
    }
    return xmlResponse('DeleteStack', undefined);
  }

  private describeStacks(req: SimRequest, name: string | undefined): SimResponse {
    const stacks = name
      ? [this.describable(req, name)]
      : [...this.stacks.values()].filter(
          (s) => s.account === req.account && s.region === req.region,
        );
    return xmlResponse('DescribeStacks', { Stacks: stacks.map(stackXml) });
  }

  /** The tags of a live stack, by name or id, or undefined when there is none. */
  tagsOf(account: string, region: string, nameOrId: string): Record<string, string> | undefined {
    return [...this.stacks.values()].find(
      (s) =>
        s.account === account && s.region === region && (s.name === nameOrId || s.id === nameOrId),
    )?.tags;
  }

  /** By name: a live stack. By id: also a deleted one, as DELETE_COMPLETE. */
  private describable(req: SimRequest, nameOrId: string): Stack {
    const byId = [...this.stacks.values(), ...this.deleted].find(
      (s) => s.id === nameOrId && s.account === req.account && s.region === req.region,
    );
    return byId ?? this.liveStack(req, nameOrId, `Stack with id ${nameOrId} does not exist`);
  }

  private liveStack(req: SimRequest, name: string, missing = `Stack [${name}] does not exist`) {
    const stack = this.stacks.get(keyOf(req, name));
    if (!stack) throw new AwsError('ValidationError', missing, 400);
    return stack;
  }

  /** Sets the status the stack reaches at `at`; a delete then takes it out of the live set. */
  private transition(stack: Stack, to: StackStatus, at: number): void {
    const t = { to, at };
    stack.transition = t;
    this.estate.schedule(at, () => {
      if (stack.transition !== t) return;
      stack.status = to;
      stack.transition = undefined;
      if (to !== 'DELETE_COMPLETE') return;
      stack.deletedAt = at;
      this.stacks.delete(`${stack.account}/${stack.region}/${stack.name}`);
      this.deleted.push(stack);
    });
  }

  private recordDeploy(stack: Stack, action: 'create' | 'update'): void {
    this.estate.record('stack-deploy', {
      account: stack.account,
      region: stack.region,
      stackName: stack.name,
      stackId: stack.id,
      action,
      templateUrl: stack.template.url,
      parameters: stack.parameters,
      completeAt: new Date(stack.transition?.at ?? this.estate.now()).toISOString(),
    });
  }

  /** How long an operation takes, drawn from the seed: 60 to 300 virtual seconds, in ms. */
  private seconds(key: string): number {
    return this.estate.deps.random.between(key, 60, 300) * 1000;
  }

  private uuid(key: string): string {
    const hex = this.estate.deps.random.hex(`stack-id:${key}`, 32);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
}

function keyOf(req: SimRequest, name: string): string {
  return `${req.account}/${req.region}/${name}`;
}

/** TemplateURL or TemplateBody; on update, UsePreviousTemplate keeps the one the stack has. */
function templateOf(input: Partial<TemplateInput>, previous: Template | undefined): Template {
  if (previous && input.UsePreviousTemplate === 'true') return previous;
  const url = input.TemplateURL;
  const body = input.TemplateBody;
  if (!url && !body)
    throw new AwsError(
      'ValidationError',
      'Either Template URL or Template Body must be specified.',
      400,
    );
  if (url && !/^https:\/\//.test(url))
    throw new AwsError('ValidationError', `TemplateURL must be an https URL, not ${url}.`, 400);
  return { ...(url ? { url } : {}), ...(body ? { body } : {}) };
}

/** `Parameters.member.N.ParameterKey` / `ParameterValue`, or `UsePreviousValue=true`. */
function parametersOf(
  input: Pick<TemplateInput, 'Parameters'>,
  previous: Record<string, string>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { ParameterKey: key, ParameterValue, UsePreviousValue } of input.Parameters?.member ??
    [])
    out[key] = (UsePreviousValue === 'true' ? previous[key] : ParameterValue) ?? '';
  return out;
}

function sameTemplate(a: Template, b: Template): boolean {
  return a.url === b.url && a.body === b.body;
}

function sameParameters(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((key) => a[key] === b[key]);
}

function stackXml(stack: Stack): XmlValue {
  const iso = (ms: number | undefined) =>
    ms === undefined ? undefined : new Date(ms).toISOString();
  return {
    StackId: stack.id,
    StackName: stack.name,
    Parameters: Object.entries(stack.parameters).map(([ParameterKey, ParameterValue]) => ({
      ParameterKey,
      ParameterValue,
    })),
    CreationTime: iso(stack.createdAt),
    LastUpdatedTime: iso(stack.updatedAt),
    DeletionTime: iso(stack.deletedAt),
    StackStatus: stack.status,
    DisableRollback: false,
    EnableTerminationProtection: false,
    DriftInformation: { StackDriftStatus: 'NOT_CHECKED' },
  };
}

function xmlResponse(action: string, result: { [k: string]: XmlValue } | undefined): SimResponse {
  const body = result ? `<${action}Result>${toXml(result, () => 'member')}</${action}Result>` : '';
  return {
    status: 200,
    headers: { 'content-type': 'text/xml' },
    body: `<${action}Response xmlns="${NS}">${body}<ResponseMetadata><RequestId>${requestId()}</RequestId></ResponseMetadata></${action}Response>`,
  };
}
