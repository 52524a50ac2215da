import { z } from 'zod';
import { AwsError } from '../errors.ts';
import type { Estate, Instance } from '../estate.ts';
import { describeProblems, parseInput } from '../input.ts';
import {
  isoDuration,
  json,
  type SimRequest,
  type SimResponse,
  type SimService,
  targetOperation,
} from '../protocol.ts';
import {
  choosePlugin,
  type Invocation,
  type Progress,
  readComputerName,
  type SentCommand,
  SsmState,
} from './ssm-state.ts';

const TARGET_PREFIX = 'AmazonSSM.';
const AGENT_VERSION = '3.3.1802.0';
const NO_NOTIFICATIONS = { NotificationArn: '', NotificationEvents: [], NotificationType: '' };
const NO_CLOUDWATCH = { CloudWatchLogGroupName: '', CloudWatchOutputEnabled: false };

const InstanceId = z.string().regex(/^(i-(\w{8}|\w{17})|mi-\w{17})$/);
const CommandId = z.string().length(36);

const Paging = {
  MaxResults: z.number().int().min(1).max(50).optional(),
  NextToken: z.string().optional(),
};
const CommandFilters = z
  .array(z.object({ key: z.string(), value: z.string() }))
  .max(5)
  .optional();

const DescribeInstanceInformationInput = z.object({
  InstanceInformationFilterList: z
    .array(z.object({ key: z.string(), valueSet: z.array(z.string()) }))
    .optional(),
  Filters: z.array(z.object({ Key: z.string(), Values: z.array(z.string()) })).optional(),
  MaxResults: z.number().int().min(5).max(50).optional(),
  NextToken: z.string().optional(),
});

const SendCommandInput = z.object({
  DocumentName: z.string().regex(/^[a-zA-Z0-9_\-.:/]{3,128}$/),
  DocumentVersion: z.string().optional(),
  InstanceIds: z.array(InstanceId).max(50).optional(),
  Targets: z
    .array(z.object({ Key: z.string(), Values: z.array(z.string()) }))
    .max(5)
    .optional(),
  Parameters: z.record(z.string(), z.array(z.string())).optional(),
  TimeoutSeconds: z.number().int().min(30).max(2_592_000).optional(),
  Comment: z.string().max(100).optional(),
});
type SendCommandInput = z.infer<typeof SendCommandInput>;

const GetCommandInvocationInput = z.object({
  CommandId,
  InstanceId,
  PluginName: z.string().optional(),
});

const ListCommandInvocationsInput = z.object({
  CommandId: CommandId.optional(),
  InstanceId: InstanceId.optional(),
  Details: z.boolean().optional(),
  Filters: CommandFilters,
  ...Paging,
});

const ListCommandsInput = z.object({
  CommandId: CommandId.optional(),
  InstanceId: InstanceId.optional(),
  Filters: CommandFilters,
  ...Paging,
});

/**
 * Systems Manager (AWS JSON 1.1, `X-Amz-Target: AmazonSSM.<Operation>`): parses each request
 * with its operation's schema, asks the model (`ssm-state.ts`), renders the answer.
 */
export class SsmService implements SimService {
  readonly signingName = 'ssm';
  readonly state: SsmState;

  constructor(readonly estate: Estate) {
    this.state = new SsmState(estate);
  }

  operationOf(req: SimRequest): string {
    return targetOperation(req, TARGET_PREFIX);
  }

  handle(req: SimRequest, operation: string): SimResponse {
    const body = parseBody(req.body);
    switch (operation) {
      case 'DescribeInstanceInformation':
        return this.describeInstanceInformation(
          req,
          parseInput(DescribeInstanceInformationInput, body, invalid),
        );
      case 'SendCommand':
        return this.sendCommand(req, parseInput(SendCommandInput, body, invalid));
      case 'GetCommandInvocation':
        return this.getCommandInvocation(req, parseInput(GetCommandInvocationInput, body, invalid));
      case 'ListCommandInvocations':
        return this.listCommandInvocations(
          req,
          parseInput(ListCommandInvocationsInput, body, invalid),
        );
      case 'ListCommands':
        return this.listCommands(req, parseInput(ListCommandsInput, body, invalid));
      default:
        throw new AwsError(
          'UnknownOperationException',
          `The local SSM does not simulate ${operation || 'a request without X-Amz-Target'}.`,
        );
    }
  }

  renderError(error: AwsError): SimResponse {
    return json(error.status, { __type: error.code, message: error.message, ...error.fields });
  }

  throttlingError(): AwsError {
    return new AwsError('ThrottlingException', 'Rate exceeded', 400);
  }

  private describeInstanceInformation(
    req: SimRequest,
    input: z.infer<typeof DescribeInstanceInformationInput>,
  ): SimResponse {
    const filters = buildInstanceFilters(input);
    const all = this.state
      .agentsIn(req.account, req.region)
      .map(({ instance, online, lastPing }) =>
        renderInstanceInformation(instance, online, lastPing),
      )
      .filter((info) => filters.every((f) => f(info)))
      // Code-unit order, as the NextToken compares keys.
      .sort((a, b) => (a.InstanceId < b.InstanceId ? -1 : 1));
    const { page, next } = paginate(all, (i) => i.InstanceId, input, 10);
    return json(200, { InstanceInformationList: page, NextToken: next });
  }

  private sendCommand(req: SimRequest, input: SendCommandInput): SimResponse {
    const command = this.state.send(req.account, req.region, {
      document: input.DocumentName,
      documentVersion: input.DocumentVersion,
      comment: input.Comment,
      parameters: input.Parameters,
      instanceIds: resolveTargets(input),
      asked: { instanceIds: input.InstanceIds ?? [], targets: input.Targets ?? [] },
      timeoutSeconds: input.TimeoutSeconds,
    });
    return json(200, { Command: this.renderCommand(command, command.sentAt) });
  }

  private getCommandInvocation(
    req: SimRequest,
    input: z.infer<typeof GetCommandInvocationInput>,
  ): SimResponse {
    const now = this.estate.now();
    const { command, run } = this.state.invocation(
      req.account,
      req.region,
      input.CommandId,
      input.InstanceId,
      now,
    );
    if (input.PluginName !== undefined && input.PluginName !== choosePlugin(run)) {
      throw new AwsError(
        'InvalidPluginName',
        `Command ${command.commandId} has no plugin ${input.PluginName}; it has ${choosePlugin(run)}.`,
      );
    }
    return json(
      200,
      renderInvocationResult(command, run, this.state.progress(command, run, now), now),
    );
  }

  private listCommandInvocations(
    req: SimRequest,
    input: z.infer<typeof ListCommandInvocationsInput>,
  ): SimResponse {
    const now = this.estate.now();
    const matches = buildCommandFilter(input.Filters);
    const rows = this.commandsFor(req, input)
      .flatMap((command) => command.invocations.map((run, index) => ({ command, run, index })))
      .filter(({ run }) => now >= run.visibleAt)
      .filter(({ run }) => input.InstanceId === undefined || run.instanceId === input.InstanceId)
      .map((row) => ({ ...row, progress: this.state.progress(row.command, row.run, now) }))
      .filter(({ command, progress }) => matches(command, progress.status));
    const { page, next } = paginate(rows, (r) => formatOrderKey(r.command.seq, r.index), input, 50);
    return json(200, {
      CommandInvocations: page.map((r) =>
        renderInvocation(r.command, r.run, r.progress, input.Details === true),
      ),
      NextToken: next,
    });
  }

  private listCommands(req: SimRequest, input: z.infer<typeof ListCommandsInput>): SimResponse {
    const now = this.estate.now();
    const matches = buildCommandFilter(input.Filters);
    const views = this.commandsFor(req, input)
      .filter(
        (c) =>
          input.InstanceId === undefined ||
          c.invocations.some((r) => r.instanceId === input.InstanceId),
      )
      .map((command) => ({ command, view: this.renderCommand(command, now) }))
      .filter(({ command, view }) => matches(command, view.Status));
    const { page, next } = paginate(views, (v) => formatOrderKey(v.command.seq, 0), input, 50);
    return json(200, { Commands: page.map((v) => v.view), NextToken: next });
  }

  private commandsFor(req: SimRequest, input: { CommandId?: string | undefined }): SentCommand[] {
    if (input.CommandId !== undefined) {
      const command = this.state.command(req.account, req.region, input.CommandId);
      return command ? [command] : [];
    }
    return this.state.commandsIn(req.account, req.region);
  }

  private renderCommand(command: SentCommand, now: number) {
    const summary = this.state.summarize(command, now);
    return {
      CommandId: command.commandId,
      DocumentName: command.document,
      DocumentVersion: command.documentVersion,
      Comment: command.comment,
      ExpiresAfter: toEpochSeconds(command.sentAt + command.timeoutSeconds * 1000),
      Parameters: command.parameters,
      InstanceIds: command.instanceIds,
      Targets: command.targets,
      RequestedDateTime: toEpochSeconds(command.sentAt),
      Status: summary.status,
      StatusDetails: summary.details,
      TargetCount: summary.targets,
      CompletedCount: summary.completed,
      ErrorCount: summary.errors,
      DeliveryTimedOutCount: summary.deliveryTimedOut,
      OutputS3Region: command.region,
      OutputS3BucketName: '',
      OutputS3KeyPrefix: '',
      MaxConcurrency: '50',
      MaxErrors: '0',
      ServiceRole: '',
      NotificationConfig: NO_NOTIFICATIONS,
      CloudWatchOutputConfig: NO_CLOUDWATCH,
      TimeoutSeconds: command.timeoutSeconds,
    };
  }
}

function parseBody(body: string): unknown {
  try {
    return JSON.parse(body || '{}');
  } catch {
    throw new AwsError('SerializationException', 'The request body is not valid JSON.');
  }
}

/** SSM's ValidationException, naming each field that failed. */
function invalid(problems: Parameters<typeof describeProblems>[0]): AwsError {
  return new AwsError('ValidationException', describeProblems(problems));
}

function resolveTargets(input: SendCommandInput): string[] {
  const targets = input.Targets ?? [];
  if (input.InstanceIds?.length && targets.length) {
    throw new AwsError('ValidationException', 'Specify InstanceIds or Targets, not both.');
  }
  const other = targets.find((t) => t.Key !== 'InstanceIds');
  if (other) {
    throw new AwsError(
      'InvalidTarget',
      `The local SSM resolves only Targets with Key InstanceIds, not ${other.Key}; list the instance ids.`,
    );
  }
  const ids = [...new Set([...(input.InstanceIds ?? []), ...targets.flatMap((t) => t.Values)])];
  if (ids.length === 0) {
    throw new AwsError(
      'ValidationException',
      'Specify InstanceIds, or Targets with Key InstanceIds.',
    );
  }
  return ids;
}

function renderInstanceInformation(instance: Instance, online: boolean, lastPing: number) {
  const windows = instance.platform === 'Windows';
  return {
    InstanceId: instance.instanceId,
    PingStatus: online ? 'Online' : 'ConnectionLost',
    LastPingDateTime: toEpochSeconds(lastPing),
    AgentVersion: AGENT_VERSION,
    IsLatestVersion: false,
    PlatformType: instance.platform,
    PlatformName: windows ? 'Microsoft Windows Server 2022 Datacenter' : 'Amazon Linux',
    PlatformVersion: windows ? '10.0.20348' : '2023',
    ResourceType: 'EC2Instance',
    IPAddress: instance.privateIp,
    ComputerName: readComputerName(instance),
    SourceId: instance.instanceId,
    SourceType: 'AWS::EC2::Instance',
  };
}
type InstanceInformation = ReturnType<typeof renderInstanceInformation>;

const INSTANCE_FILTER_FIELDS: Record<string, keyof InstanceInformation> = {
  InstanceIds: 'InstanceId',
  PingStatus: 'PingStatus',
  PlatformTypes: 'PlatformType',
  ResourceType: 'ResourceType',
  AgentVersion: 'AgentVersion',
};

/** Both filter styles (`InstanceInformationFilterList` and `Filters`) as predicates. */
function buildInstanceFilters(
  input: z.infer<typeof DescribeInstanceInformationInput>,
): ((info: InstanceInformation) => boolean)[] {
  const pairs = [
    ...(input.InstanceInformationFilterList ?? []).map((f) => [f.key, f.valueSet] as const),
    ...(input.Filters ?? []).map((f) => [f.Key, f.Values] as const),
  ];
  return pairs.map(([key, values]) => {
    const field = INSTANCE_FILTER_FIELDS[key];
    if (!field) {
      throw new AwsError(
        'InvalidFilterKey',
        `The local SSM filters instances by ${Object.keys(INSTANCE_FILTER_FIELDS).join(', ')}; not by ${key}.`,
      );
    }
    return (info) => values.includes(String(info[field]));
  });
}

const COMMAND_FILTERS: Record<
  string,
  (value: string, command: SentCommand, status: string) => boolean
> = {
  Status: (value, _, status) => value === status,
  DocumentName: (value, command) => value === command.document,
  InvokedAfter: (value, command) => command.sentAt >= Date.parse(value),
  InvokedBefore: (value, command) => command.sentAt <= Date.parse(value),
};

function buildCommandFilter(
  filters: { key: string; value: string }[] | undefined,
): (command: SentCommand, status: string) => boolean {
  const tests = (filters ?? []).map(({ key, value }) => {
    const test = COMMAND_FILTERS[key];
    if (!test) {
      throw new AwsError(
        'InvalidFilterKey',
        `The local SSM filters commands by ${Object.keys(COMMAND_FILTERS).join(', ')}; not by ${key}.`,
      );
    }
    return (command: SentCommand, status: string) => test(value, command, status);
  });
  return (command, status) => tests.every((t) => t(command, status));
}

/** Pages a list sorted by `keyOf`; the token names the last key given, so pages never repeat. */
function paginate<T>(
  items: T[],
  keyOf: (item: T) => string,
  input: { MaxResults?: number | undefined; NextToken?: string | undefined },
  defaultSize: number,
): { page: T[]; next?: string } {
  const after = input.NextToken === undefined ? undefined : readToken(input.NextToken);
  const rest = after === undefined ? items : items.filter((i) => keyOf(i) > after);
  const page = rest.slice(0, input.MaxResults ?? defaultSize);
  const last = page.at(-1);
  if (rest.length <= page.length || last === undefined) return { page };
  return { page, next: Buffer.from(JSON.stringify({ after: keyOf(last) })).toString('base64') };
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
  throw new AwsError('InvalidNextToken', `The NextToken ${token} is not valid; start over.`);
}

function formatOrderKey(seq: number, index: number): string {
  return `${String(seq).padStart(9, '0')}:${String(index).padStart(4, '0')}`;
}

/** AWS JSON 1.1 writes timestamps as epoch seconds. */
function toEpochSeconds(ms: number): number {
  return ms / 1000;
}

/** GetCommandInvocation's times are strings, unlike the rest of SSM's. */
function formatIsoOrEmpty(ms: number | undefined): string {
  return ms === undefined ? '' : new Date(ms).toISOString();
}

function renderInvocationResult(command: SentCommand, run: Invocation, p: Progress, now: number) {
  const elapsed = p.startedAt === undefined ? undefined : (p.endedAt ?? now) - p.startedAt;
  return {
    CommandId: command.commandId,
    InstanceId: run.instanceId,
    Comment: command.comment,
    DocumentName: command.document,
    DocumentVersion: command.documentVersion,
    PluginName: choosePlugin(run),
    ResponseCode: p.responseCode,
    ExecutionStartDateTime: formatIsoOrEmpty(p.startedAt),
    ExecutionElapsedTime: elapsed === undefined ? '' : isoDuration(elapsed),
    ExecutionEndDateTime: formatIsoOrEmpty(p.endedAt),
    Status: p.status,
    StatusDetails: p.details,
    StandardOutputContent: p.stdout,
    StandardOutputUrl: '',
    StandardErrorContent: p.stderr,
    StandardErrorUrl: '',
    CloudWatchOutputConfig: NO_CLOUDWATCH,
  };
}

function renderInvocation(command: SentCommand, run: Invocation, p: Progress, details: boolean) {
  return {
    CommandId: command.commandId,
    InstanceId: run.instanceId,
    InstanceName: run.computerName,
    Comment: command.comment,
    DocumentName: command.document,
    DocumentVersion: command.documentVersion,
    RequestedDateTime: toEpochSeconds(command.sentAt),
    Status: p.status,
    StatusDetails: p.details,
    TraceOutput: '',
    StandardOutputUrl: '',
    StandardErrorUrl: '',
    CommandPlugins: details ? [renderPlugin(command, run, p)] : [],
    ServiceRole: '',
    NotificationConfig: NO_NOTIFICATIONS,
    CloudWatchOutputConfig: NO_CLOUDWATCH,
  };
}

function renderPlugin(command: SentCommand, run: Invocation, p: Progress) {
  // The plugin's Output is stdout then stderr, cut at 2,500 characters, as the agent sends it.
  const output = p.stderr ? `${p.stdout}\n----------ERROR-------\n${p.stderr}` : p.stdout;
  return {
    Name: choosePlugin(run),
    Status: p.status,
    StatusDetails: p.details,
    ResponseCode: p.responseCode,
    ResponseStartDateTime: p.startedAt === undefined ? undefined : toEpochSeconds(p.startedAt),
    ResponseFinishDateTime: p.endedAt === undefined ? undefined : toEpochSeconds(p.endedAt),
    Output: output.slice(0, 2500),
    StandardOutputUrl: '',
    StandardErrorUrl: '',
    OutputS3Region: command.region,
    OutputS3BucketName: '',
    OutputS3KeyPrefix: '',
  };
}
