import { z } from 'zod';
import { AwsError } from '../errors.ts';
import type { Estate, Instance } from '../estate.ts';
import {
  isoDuration,
  json,
  type SimRequest,
  type SimResponse,
  type SimService,
} from '../protocol.ts';

const TARGET_PREFIX = 'AmazonSSM.';
const AGENT_VERSION = '3.3.1802.0';
/** SendCommand's own default for TimeoutSeconds. */
const DEFAULT_TIMEOUT_SECONDS = 3600;
const NO_END = Number.POSITIVE_INFINITY;
const NO_NOTIFICATIONS = { NotificationArn: '', NotificationEvents: [], NotificationType: '' };
const NO_CLOUDWATCH = { CloudWatchLogGroupName: '', CloudWatchOutputEnabled: false };

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
  DocumentName: z.string().min(1),
  DocumentVersion: z.string().optional(),
  InstanceIds: z.array(z.string()).max(50).optional(),
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
  CommandId: z.string(),
  InstanceId: z.string(),
  PluginName: z.string().optional(),
});

const ListCommandInvocationsInput = z.object({
  CommandId: z.string().optional(),
  InstanceId: z.string().optional(),
  Details: z.boolean().optional(),
  Filters: CommandFilters,
  ...Paging,
});

const ListCommandsInput = z.object({
  CommandId: z.string().optional(),
  InstanceId: z.string().optional(),
  Filters: CommandFilters,
  ...Paging,
});

/** How a run ends if its agent stays up, as SSM's StatusDetails says it. */
type Outcome = 'Success' | 'Failed' | 'DeliveryTimedOut' | 'ExecutionTimedOut';

/** One instance's copy of a command, planned when it is sent. */
interface Invocation {
  instanceId: string;
  computerName: string;
  platform: Instance['platform'];
  /** SSM is eventually consistent: before this it answers InvocationDoesNotExist. The agent gets the command then. */
  visibleAt: number;
  endsAt: number;
  outcome: Outcome;
  /** The simulator saw the agent online after `visibleAt`: the command reached it. */
  delivered?: true;
  /** The simulator saw the agent gone before `endsAt` (at `visibleAt` when it was never delivered). */
  lostAt?: number;
}

interface SentCommand {
  commandId: string;
  /** Sort key: the order commands were sent in. */
  seq: number;
  account: string;
  region: string;
  document: string;
  documentVersion: string;
  comment: string;
  parameters: Record<string, string[]>;
  instanceIds: string[];
  targets: { Key: string; Values: string[] }[];
  sentAt: number;
  timeoutSeconds: number;
  invocations: Invocation[];
}

type InvocationStatus = 'InProgress' | 'Success' | 'Failed' | 'TimedOut';

/** An invocation as SSM reports it at some moment. */
interface Progress {
  status: InvocationStatus;
  details: string;
  responseCode: number;
  startedAt?: number;
  endedAt?: number;
  stdout: string;
  stderr: string;
}
type Ending = Omit<Progress, 'startedAt' | 'endedAt'>;

/**
 * Systems Manager (AWS JSON 1.1): managed instances and Run Command. An EC2 instance is managed
 * in the region its agent reports to, once it runs, passed its status checks and its agent
 * started. Each command's runs are planned when it is sent (timing, the `validation-fail`
 * fault); an agent seen gone before the end turns its run into Undeliverable or Failed.
 */
export class SsmService implements SimService {
  readonly signingName = 'ssm';
  private readonly commands = new Map<string, SentCommand>();
  /** Agents that have registered, by `account:region`: instance id to last ping (virtual ms). */
  private readonly agents = new Map<string, Map<string, number>>();
  private sent = 0;

  constructor(readonly estate: Estate) {
    // Agents online when the estate was seeded have registered long ago: a stop shows ConnectionLost.
    this.registerOnline();
  }

  operationOf(req: SimRequest): string {
    const target = String(req.headers['x-amz-target'] ?? '');
    return target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target;
  }

  handle(req: SimRequest, operation: string): SimResponse {
    const body = parseBody(req.body);
    this.look(req.account);
    switch (operation) {
      case 'DescribeInstanceInformation':
        return this.describeInstanceInformation(
          req,
          parseInput(DescribeInstanceInformationInput, body),
        );
      case 'SendCommand':
        return this.sendCommand(req, parseInput(SendCommandInput, body));
      case 'GetCommandInvocation':
        return this.getCommandInvocation(req, parseInput(GetCommandInvocationInput, body));
      case 'ListCommandInvocations':
        return this.listCommandInvocations(req, parseInput(ListCommandInvocationsInput, body));
      case 'ListCommands':
        return this.listCommands(req, parseInput(ListCommandsInput, body));
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

  /** Brings SSM's view of the account up to date: its online agents, and runs whose agent went away. */
  private look(account: string): void {
    this.registerOnline(account);
    const now = this.estate.now();
    for (const command of this.commands.values())
      if (command.account === account) this.observe(command, now);
  }

  /** Online agents register in their region; SSM remembers them when they drop (ConnectionLost). */
  private registerOnline(account?: string): void {
    const now = this.estate.now();
    for (const { instanceId, account: owner } of this.estate.instances.values()) {
      if (account !== undefined && owner !== account) continue;
      const instance = this.estate.instance(instanceId);
      const region = instance && this.onlineRegion(instance);
      if (region) this.agentsIn(owner, region).set(instanceId, now);
    }
  }

  /** The region the instance's agent is Online in now, if any. */
  private onlineRegion(instance: Instance): string | undefined {
    const { state, statusOkAt, agentRegion, instanceId, launchTime } = instance;
    if (state !== 'running' || statusOkAt === undefined || !agentRegion) return undefined;
    const startup = this.estate.deps.random.between(
      `ssm-agent:${instanceId}:${launchTime}`,
      10,
      60,
    );
    return statusOkAt + startup * 1000 <= this.estate.now() ? agentRegion : undefined;
  }

  private agentsIn(account: string, region: string): Map<string, number> {
    const key = `${account}:${region}`;
    const agents = this.agents.get(key) ?? new Map<string, number>();
    this.agents.set(key, agents);
    return agents;
  }

  private observe(command: SentCommand, now: number): void {
    for (const run of command.invocations) {
      if (now < run.visibleAt || now >= run.endsAt || run.lostAt !== undefined) continue;
      const instance = this.estate.instance(run.instanceId);
      if (instance && this.onlineRegion(instance) === command.region) {
        run.delivered = true;
        continue;
      }
      run.lostAt = run.delivered ? now : run.visibleAt;
      this.estate.record('ssm-invocation-lost', {
        commandId: command.commandId,
        instanceId: run.instanceId,
        status: run.delivered ? 'Failed' : 'Undeliverable',
      });
    }
  }

  private describeInstanceInformation(
    req: SimRequest,
    input: z.infer<typeof DescribeInstanceInformationInput>,
  ): SimResponse {
    const filters = buildInstanceFilters(input);
    const all = [...this.agentsIn(req.account, req.region)]
      .flatMap(([instanceId, lastPing]) => {
        const instance = this.estate.instance(instanceId);
        if (!instance || instance.state === 'terminated') return [];
        const online = this.onlineRegion(instance) === req.region;
        const info = renderInstanceInformation(instance, online, lastPing);
        return filters.every((f) => f(info)) ? [info] : [];
      })
      // Code-unit order, as the NextToken compares keys.
      .sort((a, b) => (a.InstanceId < b.InstanceId ? -1 : 1));
    const { page, next } = paginate(all, (i) => i.InstanceId, input, 10);
    return json(200, { InstanceInformationList: page, NextToken: next });
  }

  private sendCommand(req: SimRequest, input: SendCommandInput): SimResponse {
    const instanceIds = resolveTargets(input);
    const instances = instanceIds.flatMap((id) => this.managedInstance(id, req) ?? []);
    if (instances.length < instanceIds.length) {
      const managed = new Set(instances.map((i) => i.instanceId));
      const unmanaged = instanceIds.filter((id) => !managed.has(id));
      throw new AwsError(
        'InvalidInstanceId',
        `Instances [[${unmanaged.join(', ')}]] not in a valid state for account ${req.account}: their SSM Agent is not online in ${req.region}.`,
      );
    }
    const command = this.newCommand(req, input, instances);
    this.commands.set(command.commandId, command);
    this.estate.record('ssm-command', {
      account: command.account,
      region: command.region,
      commandId: command.commandId,
      document: command.document,
      instanceIds,
      outcomes: Object.fromEntries(command.invocations.map((r) => [r.instanceId, r.outcome])),
      endsAt: new Date(Math.max(...command.invocations.map((r) => r.endsAt))).toISOString(),
    });
    return json(200, { Command: renderCommand(command, command.sentAt) });
  }

  private managedInstance(instanceId: string, req: SimRequest): Instance | undefined {
    const instance = this.estate.instance(instanceId);
    const managed = instance?.account === req.account && this.onlineRegion(instance) === req.region;
    return managed ? instance : undefined;
  }

  private newCommand(req: SimRequest, input: SendCommandInput, instances: Instance[]): SentCommand {
    this.sent += 1;
    const parameters = input.Parameters ?? {};
    const command: SentCommand = {
      // Drawn from the seed, so a drill's run times are the same run after run.
      commandId: formatUuid(this.estate.deps.random.hex(`ssm-command:${this.sent}`, 32)),
      seq: this.sent,
      account: req.account,
      region: req.region,
      document: input.DocumentName,
      documentVersion: input.DocumentVersion ?? '$DEFAULT',
      comment: input.Comment ?? '',
      parameters,
      instanceIds: input.InstanceIds ?? [],
      targets: input.Targets ?? [],
      sentAt: this.estate.now(),
      timeoutSeconds: input.TimeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
      invocations: [],
    };
    const fails = this.estate.deps.faults
      .of('validation-fail')
      .some((f) => f.document === undefined || f.document === command.document);
    const executionTimeout = Number(parameters.executionTimeout?.[0]) || NO_END;
    for (const instance of instances)
      command.invocations.push(this.planRun(command, instance, fails, executionTimeout));
    return command;
  }

  private planRun(
    command: SentCommand,
    instance: Instance,
    fails: boolean,
    executionTimeout: number,
  ): Invocation {
    const { random } = this.estate.deps;
    const key = `${command.commandId}:${instance.instanceId}`;
    const visibleAt = command.sentAt + random.between(`ssm-visible:${key}`, 1, 3) * 1000;
    const [min, max] = /SmokeTest|Failover/.test(command.document) ? [60, 300] : [5, 60];
    const ends: [number, Outcome][] = [
      [visibleAt + random.between(`ssm-run:${key}`, min, max) * 1000, fails ? 'Failed' : 'Success'],
      [command.sentAt + command.timeoutSeconds * 1000, 'DeliveryTimedOut'],
      [visibleAt + executionTimeout * 1000, 'ExecutionTimedOut'],
    ];
    // The first to come wins; a run that ends exactly at a timeout still finished.
    const [endsAt, outcome] = ends.reduce((first, next) => (next[0] < first[0] ? next : first));
    return {
      instanceId: instance.instanceId,
      computerName: readComputerName(instance),
      platform: instance.platform,
      visibleAt,
      endsAt,
      outcome,
    };
  }

  private getCommandInvocation(
    req: SimRequest,
    input: z.infer<typeof GetCommandInvocationInput>,
  ): SimResponse {
    const now = this.estate.now();
    const command = this.commandIn(req, input.CommandId);
    const run = command?.invocations.find((r) => r.instanceId === input.InstanceId);
    if (!command || !run || now < run.visibleAt) {
      throw new AwsError(
        'InvocationDoesNotExist',
        `No invocation of command ${input.CommandId} on ${input.InstanceId} (yet).`,
      );
    }
    if (input.PluginName !== undefined && input.PluginName !== choosePlugin(run)) {
      throw new AwsError(
        'InvalidPluginName',
        `Command ${command.commandId} has no plugin ${input.PluginName}; it has ${choosePlugin(run)}.`,
      );
    }
    return json(200, renderInvocationResult(command, run, now));
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
      .map((row) => ({ ...row, progress: reportProgress(row.command, row.run, now) }))
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
      .map((command) => ({ command, view: renderCommand(command, now) }))
      .filter(({ command, view }) => matches(command, view.Status));
    const { page, next } = paginate(views, (v) => formatOrderKey(v.command.seq, 0), input, 50);
    return json(200, { Commands: page.map((v) => v.view), NextToken: next });
  }

  private commandIn(req: SimRequest, commandId: string): SentCommand | undefined {
    const command = this.commands.get(commandId);
    return command?.account === req.account && command.region === req.region ? command : undefined;
  }

  private commandsFor(req: SimRequest, input: { CommandId?: string | undefined }): SentCommand[] {
    if (input.CommandId !== undefined) {
      const command = this.commandIn(req, input.CommandId);
      return command ? [command] : [];
    }
    return [...this.commands.values()].filter(
      (c) => c.account === req.account && c.region === req.region,
    );
  }
}

function parseBody(body: string): unknown {
  try {
    return JSON.parse(body || '{}');
  } catch {
    throw new AwsError('SerializationException', 'The request body is not valid JSON.');
  }
}

/** Validates input as SSM's front door does, with its ValidationException. */
function parseInput<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issues = result.error.issues.map(
    (i) => `Value at '${i.path.join('.')}' failed to satisfy constraint: ${i.message}`,
  );
  throw new AwsError(
    'ValidationException',
    `${issues.length} validation error${issues.length > 1 ? 's' : ''} detected: ${issues.join('; ')}`,
  );
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

function readComputerName(instance: Instance): string {
  return instance.tags.Name ?? instance.instanceId;
}

function choosePlugin(run: Invocation): string {
  return run.platform === 'Windows' ? 'aws:runPowerShellScript' : 'aws:runShellScript';
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

function formatUuid(hex: string): string {
  const variant = ((Number.parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** AWS JSON 1.1 writes timestamps as epoch seconds. */
function toEpochSeconds(ms: number): number {
  return ms / 1000;
}

/** GetCommandInvocation's times are strings, unlike the rest of SSM's. */
function formatIsoOrEmpty(ms: number | undefined): string {
  return ms === undefined ? '' : new Date(ms).toISOString();
}

function reportProgress(command: SentCommand, run: Invocation, now: number): Progress {
  if (run.lostAt !== undefined && !run.delivered) {
    return { ...NOT_RUN, status: 'Failed', details: 'Undeliverable', endedAt: run.lostAt };
  }
  const startedAt = run.visibleAt;
  const endedAt = Math.min(run.endsAt, run.lostAt ?? NO_END);
  if (now < endedAt) return { ...NOT_RUN, status: 'InProgress', details: 'InProgress', startedAt };
  const ending =
    run.lostAt === undefined
      ? ENDINGS[run.outcome](command.document, run)
      : {
          ...NOT_RUN,
          status: 'Failed' as const,
          details: 'Failed',
          stderr: `The SSM Agent on ${run.instanceId} stopped responding before ${command.document} finished.`,
        };
  return { ...ending, startedAt, endedAt };
}

const NOT_RUN = { responseCode: -1, stdout: '', stderr: '' };

const ENDINGS: Record<Outcome, (document: string, run: Invocation) => Ending> = {
  Success: (document, run) => ({
    status: 'Success',
    details: 'Success',
    responseCode: 0,
    stdout: `${document} on ${run.instanceId} (${run.computerName}): all checks passed.`,
    stderr: '',
  }),
  Failed: (document, run) => ({
    status: 'Failed',
    details: 'Failed',
    responseCode: 1,
    stdout: `${document} on ${run.instanceId} (${run.computerName}): running checks.`,
    stderr: `${document} on ${run.instanceId}: a check failed with exit code 1 (simulated validation-fail fault).`,
  }),
  DeliveryTimedOut: (document, run) => ({
    ...NOT_RUN,
    status: 'TimedOut',
    details: 'DeliveryTimedOut',
    stderr: `${document} on ${run.instanceId} had not finished when the command expired (TimeoutSeconds).`,
  }),
  ExecutionTimedOut: (document, run) => ({
    ...NOT_RUN,
    status: 'TimedOut',
    details: 'ExecutionTimedOut',
    stderr: `${document} on ${run.instanceId} ran past its executionTimeout and was stopped.`,
  }),
};

function renderInvocationResult(command: SentCommand, run: Invocation, now: number) {
  const p = reportProgress(command, run, now);
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

function renderCommand(command: SentCommand, now: number) {
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
    ...summarizeCommand(command, now),
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

/** The command's status over its invocations: Pending until one shows, then the worst ending. */
function summarizeCommand(command: SentCommand, now: number) {
  const shown = command.invocations
    .filter((r) => now >= r.visibleAt)
    .map((r) => reportProgress(command, r, now));
  const done = shown.filter((p) => p.status !== 'InProgress');
  const counts = {
    TargetCount: command.invocations.length,
    CompletedCount: done.length,
    ErrorCount: done.filter((p) => p.details === 'Failed' || p.details === 'ExecutionTimedOut')
      .length,
    DeliveryTimedOutCount: done.filter((p) => p.details === 'DeliveryTimedOut').length,
  };
  if (shown.length === 0) return { Status: 'Pending', StatusDetails: 'Pending', ...counts };
  if (done.length < command.invocations.length)
    return { Status: 'InProgress', StatusDetails: 'InProgress', ...counts };
  const worst =
    done.find((p) => p.status === 'Failed') ?? done.find((p) => p.status === 'TimedOut');
  if (!worst) return { Status: 'Success', StatusDetails: 'Success', ...counts };
  const details = worst.status === 'Failed' ? 'Failed' : worst.details;
  return { Status: worst.status, StatusDetails: details, ...counts };
}
