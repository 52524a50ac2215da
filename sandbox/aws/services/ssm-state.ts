import { AwsError } from '../errors.ts';
import type { Estate, Instance } from '../estate.ts';

/** SendCommand's own default for TimeoutSeconds. */
export const DEFAULT_TIMEOUT_SECONDS = 3600;
const NO_END = Number.POSITIVE_INFINITY;

/** How a run ends if its agent stays up, as SSM's StatusDetails says it. */
type Outcome = 'Success' | 'Failed' | 'DeliveryTimedOut' | 'ExecutionTimedOut';

/** One instance's copy of a command, planned when it is sent. */
export interface Invocation {
  instanceId: string;
  computerName: string;
  platform: Instance['platform'];
  /** SSM is eventually consistent: before this it answers InvocationDoesNotExist. The agent gets the command then. */
  visibleAt: number;
  endsAt: number;
  outcome: Outcome;
}

export interface SentCommand {
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

export interface CommandRequest {
  document: string;
  documentVersion?: string | undefined;
  comment?: string | undefined;
  parameters?: Record<string, string[]> | undefined;
  instanceIds: string[];
  /** As asked: InstanceIds, or Targets (both resolve to `instanceIds`). */
  asked: { instanceIds: string[]; targets: { Key: string; Values: string[] }[] };
  timeoutSeconds?: number | undefined;
}

export type InvocationStatus = 'InProgress' | 'Success' | 'Failed' | 'TimedOut';

/** An invocation as SSM reports it at some moment. */
export interface Progress {
  status: InvocationStatus;
  details: string;
  responseCode: number;
  startedAt?: number;
  endedAt?: number;
  stdout: string;
  stderr: string;
}
type Ending = Omit<Progress, 'startedAt' | 'endedAt'>;

/** A command as SSM sums it up over its invocations. */
export interface CommandSummary {
  status: InvocationStatus | 'Pending';
  details: string;
  targets: number;
  completed: number;
  errors: number;
  deliveryTimedOut: number;
}

/** A stretch of time an instance's agent was Online in a region: from start-up to the stop. */
interface AgentSession {
  region: string;
  from: number;
  to?: number;
}

/** An agent as SSM lists it in a region. */
export interface ManagedAgent {
  instance: Instance;
  online: boolean;
  lastPing: number;
}

/**
 * Systems Manager's world: managed instances and Run Command. An instance's agent is Online in
 * the region it reports to from when it runs, passed its status checks and started, until the
 * instance stops; SSM remembers it there afterwards (ConnectionLost). Each command's runs are
 * planned when it is sent (timing, the `validation-fail` fault); a run whose agent was not Online
 * when it became visible is Undeliverable, and one whose agent stopped before its end Failed.
 * Everything is kept as times, so what SSM says at a moment does not depend on who asked before.
 */
export class SsmState {
  private readonly commands = new Map<string, SentCommand>();
  /** Each instance's agent sessions, oldest first. */
  private readonly sessions = new Map<string, AgentSession[]>();
  private sent = 0;

  constructor(private readonly estate: Estate) {
    // Agents online when the estate was seeded have been online since they started, long ago.
    for (const instance of estate.instances.values()) this.follow(instance, -Infinity);
    estate.onInstanceChange((instance, at) => this.follow(instance, at));
  }

  /** An instance started, stopped, ended or moved its agent at `at`: its session ends, a new one may begin. */
  private follow(instance: Instance, at: number): void {
    const sessions = this.sessions.get(instance.instanceId) ?? [];
    this.sessions.set(instance.instanceId, sessions);
    const open = sessions.at(-1);
    if (open && open.to === undefined) {
      if (open.from > at) sessions.pop();
      else open.to = at;
      this.recordLost(instance.instanceId, open.region, at);
    }
    const { state, statusOkAt, agentRegion, instanceId, launchTime } = instance;
    if ((state !== 'running' && state !== 'pending') || statusOkAt === undefined || !agentRegion)
      return;
    const startup = this.estate.deps.random.between(
      `ssm-agent:${instanceId}:${launchTime}`,
      10,
      60,
    );
    const session: AgentSession = {
      region: agentRegion,
      from: Math.max(at, statusOkAt + startup * 1000),
    };
    sessions.push(session);
    // Ground truth once it comes (agents seeded online long ago are not news): a stop before
    // then drops the session, and the agent never came.
    if (at === -Infinity) return;
    this.estate.schedule(session.from, (onlineAt) => {
      if (this.sessions.get(instanceId)?.includes(session))
        this.estate.record('ssm-agent-online', { instanceId, region: agentRegion }, onlineAt);
    });
  }

  /** Runs on the instance that its agent's going away at `at` ends early, as ground truth. */
  private recordLost(instanceId: string, region: string, at: number): void {
    for (const command of this.commands.values()) {
      if (command.region !== region) continue;
      for (const run of command.invocations) {
        if (run.instanceId !== instanceId || at >= run.endsAt) continue;
        const { delivered, lostAt } = this.fateOf(command, run);
        if (lostAt === undefined || (delivered && lostAt !== at)) continue;
        const status = delivered ? 'Failed' : 'Undeliverable';
        const fields = { commandId: command.commandId, instanceId, status };
        this.estate.record('ssm-invocation-lost', fields, at);
      }
    }
  }

  /** Whether the agent was Online in `region` at `at`; a stop at that very moment still counts. */
  private sessionAt(instanceId: string, region: string, at: number): AgentSession | undefined {
    return this.sessions
      .get(instanceId)
      ?.find((s) => s.region === region && s.from <= at && (s.to === undefined || at <= s.to));
  }

  /** The region the instance's agent is Online in now, if any. */
  onlineRegion(instanceId: string, now = this.estate.now()): string | undefined {
    return this.sessions
      .get(instanceId)
      ?.find((s) => s.from <= now && (s.to === undefined || now < s.to))?.region;
  }

  /** The agents SSM knows in the account and region: those that have been Online there. */
  agentsIn(account: string, region: string, now = this.estate.now()): ManagedAgent[] {
    return [...this.sessions].flatMap(([instanceId, sessions]) => {
      const known = sessions.filter((s) => s.region === region && s.from <= now);
      const instance = this.estate.instance(instanceId);
      if (known.length === 0 || instance?.account !== account || instance.state === 'terminated')
        return [];
      const online = this.onlineRegion(instanceId, now) === region;
      const lastPing = online ? now : Math.max(...known.map((s) => s.to ?? now));
      return [{ instance, online, lastPing }];
    });
  }

  /** Sends a command to instances whose agents are Online here, or InvalidInstanceId naming the others. */
  send(account: string, region: string, request: CommandRequest): SentCommand {
    const instances = request.instanceIds.flatMap((id) => {
      const instance = this.estate.instance(id);
      const managed = instance?.account === account && this.onlineRegion(id) === region;
      return managed ? [instance] : [];
    });
    if (instances.length < request.instanceIds.length) {
      const managed = new Set(instances.map((i) => i.instanceId));
      const unmanaged = request.instanceIds.filter((id) => !managed.has(id));
      throw new AwsError(
        'InvalidInstanceId',
        `Instances [[${unmanaged.join(', ')}]] not in a valid state for account ${account}: their SSM Agent is not online in ${region}.`,
      );
    }
    this.sent += 1;
    const parameters = request.parameters ?? {};
    const command: SentCommand = {
      // Drawn from the seed, so a drill's run times are the same run after run.
      commandId: formatUuid(this.estate.deps.random.hex(`ssm-command:${this.sent}`, 32)),
      seq: this.sent,
      account,
      region,
      document: request.document,
      documentVersion: request.documentVersion ?? '$DEFAULT',
      comment: request.comment ?? '',
      parameters,
      instanceIds: request.asked.instanceIds,
      targets: request.asked.targets,
      sentAt: this.estate.now(),
      timeoutSeconds: request.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
      invocations: [],
    };
    const fails = this.estate.deps.faults
      .of('validation-fail')
      .some((f) => f.document === undefined || f.document === command.document);
    const executionTimeout = Number(parameters.executionTimeout?.[0]) || NO_END;
    for (const instance of instances)
      command.invocations.push(this.planRun(command, instance, fails, executionTimeout));
    this.commands.set(command.commandId, command);
    this.estate.record('ssm-command', {
      account,
      region,
      commandId: command.commandId,
      document: command.document,
      instanceIds: request.instanceIds,
      outcomes: Object.fromEntries(command.invocations.map((r) => [r.instanceId, r.outcome])),
      // When each run ends if its agent stays up: how long the document takes on that instance.
      endsAtByInstance: Object.fromEntries(
        command.invocations.map((r) => [r.instanceId, new Date(r.endsAt).toISOString()]),
      ),
      endsAt: new Date(Math.max(...command.invocations.map((r) => r.endsAt))).toISOString(),
    });
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

  /** The account's command in this region, if any. */
  command(account: string, region: string, commandId: string): SentCommand | undefined {
    const command = this.commands.get(commandId);
    return command?.account === account && command.region === region ? command : undefined;
  }

  /** The account's commands in this region, in the order they were sent. */
  commandsIn(account: string, region: string): SentCommand[] {
    return [...this.commands.values()].filter((c) => c.account === account && c.region === region);
  }

  /** The run of a command on an instance, once SSM shows it; InvocationDoesNotExist before. */
  invocation(
    account: string,
    region: string,
    commandId: string,
    instanceId: string,
    now = this.estate.now(),
  ): { command: SentCommand; run: Invocation } {
    const command = this.command(account, region, commandId);
    const run = command?.invocations.find((r) => r.instanceId === instanceId);
    if (!command || !run || now < run.visibleAt) {
      throw new AwsError(
        'InvocationDoesNotExist',
        `No invocation of command ${commandId} on ${instanceId} (yet).`,
      );
    }
    return { command, run };
  }

  /** Delivered if the agent was Online when the run became visible; lost if it went away before the end. */
  private fateOf(command: SentCommand, run: Invocation): { delivered: boolean; lostAt?: number } {
    const session = this.sessionAt(run.instanceId, command.region, run.visibleAt);
    if (!session) return { delivered: false, lostAt: run.visibleAt };
    return session.to !== undefined && session.to < run.endsAt
      ? { delivered: true, lostAt: session.to }
      : { delivered: true };
  }

  /** The run as SSM reports it at `now`. */
  progress(command: SentCommand, run: Invocation, now = this.estate.now()): Progress {
    const { delivered, lostAt } = this.fateOf(command, run);
    if (!delivered) {
      return { ...NOT_RUN, status: 'Failed', details: 'Undeliverable', endedAt: run.visibleAt };
    }
    const startedAt = run.visibleAt;
    const endedAt = Math.min(run.endsAt, lostAt ?? NO_END);
    if (now < endedAt)
      return { ...NOT_RUN, status: 'InProgress', details: 'InProgress', startedAt };
    const ending =
      lostAt === undefined
        ? ENDINGS[run.outcome](command.document, run)
        : {
            ...NOT_RUN,
            status: 'Failed' as const,
            details: 'Failed',
            stderr: `The SSM Agent on ${run.instanceId} stopped responding before ${command.document} finished.`,
          };
    return { ...ending, startedAt, endedAt };
  }

  /** The command's status over its invocations: Pending until one shows, then the worst ending. */
  summarize(command: SentCommand, now = this.estate.now()): CommandSummary {
    const shown = command.invocations
      .filter((r) => now >= r.visibleAt)
      .map((r) => this.progress(command, r, now));
    const done = shown.filter((p) => p.status !== 'InProgress');
    const counts = {
      targets: command.invocations.length,
      completed: done.length,
      errors: done.filter((p) => p.details === 'Failed' || p.details === 'ExecutionTimedOut')
        .length,
      deliveryTimedOut: done.filter((p) => p.details === 'DeliveryTimedOut').length,
    };
    if (shown.length === 0) return { status: 'Pending', details: 'Pending', ...counts };
    if (done.length < command.invocations.length)
      return { status: 'InProgress', details: 'InProgress', ...counts };
    const worst =
      done.find((p) => p.status === 'Failed') ?? done.find((p) => p.status === 'TimedOut');
    if (!worst) return { status: 'Success', details: 'Success', ...counts };
    const details = worst.status === 'Failed' ? 'Failed' : worst.details;
    return { status: worst.status, details, ...counts };
  }
}

export function readComputerName(instance: Instance): string {
  return instance.tags.Name ?? instance.instanceId;
}

/** The plugin a run uses: the shell of the instance's platform. */
export function choosePlugin(run: Invocation): string {
  return run.platform === 'Windows' ? 'aws:runPowerShellScript' : 'aws:runShellScript';
}

function formatUuid(hex: string): string {
  const variant = ((Number.parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
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
