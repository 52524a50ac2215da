import { AwsCallError } from '../domain/errors.ts';
import type { ServerRef, StepOf } from '../domain/runbook.ts';
import {
  done,
  failed,
  type Progress,
  running,
  type StepContext,
  type StepExecutor,
} from './context.ts';
import { sourcesFor } from './resolve.ts';
import {
  admitJob,
  bindLease,
  type HeldLeases,
  keepLeases,
  releaseLeases,
} from './wave-admission.ts';
import {
  type CapacityState,
  describeFailedServers,
  failureEventOf,
  meetLaunchFailure,
  relaunchedFrom,
} from './wave-capacity.ts';

type Step = StepOf<'recover-wave'>;

interface Launched {
  recoveryInstanceId: string;
  jobId: string;
}

interface WaveState extends Record<string, unknown>, CapacityState {
  startedAt: number;
  group: number;
  batch: number;
  groupStartedAt: number;
  stage: 'prepare' | 'launch' | 'health';
  /** Servers whose launch settings are set. */
  prepared: string[];
  sources: Record<string, string>;
  jobs: { jobId: string; servers: string[] }[];
  /** Jobs of the batch not started yet (a throttled StartRecovery). */
  pendingJobs: string[][];
  launched: Record<string, Launched>;
  failed: Record<string, string>;
  healthy: Record<string, number>;
  commands: Record<string, string>;
  /** Leases in the recovery account's DRS budget, shared with other runs. */
  admission?: HeldLeases;
  /** When the job at the head of the batch was about to start (its intent, saved first). */
  starting?: number;
}

/** How far before its intent a job may seem to have been created (clocks differ a little). */
const CLOCK_SKEW_MS = 60_000;
/** A health document is sent once: until its id is known, its key holds this and the intent's time. */
const SENDING = 'sending:';

const LAUNCH_POLL = 30;
const THROTTLED_POLL = 5;
const HEALTH_POLL = 10;

/**
 * How soon to look again while jobs are not started: soon after a throttled start; at DRS's pace
 * while waiting for room in the account's budget, which frees as other runs see their jobs end (a
 * wait of hours at the throttled pace would pass the 25,000 events of a run's history).
 */
function pendingPoll(state: WaveState): number {
  return state.admission?.waitingSince !== undefined ? LAUNCH_POLL : THROTTLED_POLL;
}

/**
 * One wave: boot group after boot group, each launched in DRS batches within quotas, then held
 * until every launched server is healthy (status checks, SSM agent online in the launch region,
 * health documents). A critical server that fails is handed to the operators.
 */
export const recoverWave: StepExecutor<Step> = {
  async start(ctx, step, previous) {
    const state: WaveState = {
      startedAt: ctx.now(),
      group: 0,
      batch: 0,
      groupStartedAt: ctx.now(),
      stage: 'prepare',
      sources: {},
      prepared: [],
      jobs: [],
      pendingJobs: [],
      // A retry keeps what already worked and launches only what failed.
      launched: (previous?.launched as Record<string, Launched>) ?? {},
      failed: {},
      healthy: (previous?.healthy as Record<string, number>) ?? {},
      commands: {},
    };
    return keepingProgress(ctx, step, state, () => prepare(ctx, step, state));
  },

  async poll(ctx, step, raw) {
    const state = raw as WaveState;
    const stages = { prepare, launch: pollLaunch, health: pollHealth };
    return keepingProgress(ctx, step, state, () => stages[state.stage](ctx, step, state));
  },
};

/**
 * Finds each server's DRS source server and sets its launch (into which instance, SSM agent
 * re-pointed). Resumable: a throttled call keeps the servers already prepared.
 */
async function prepare(ctx: StepContext, step: Step, state: WaveState): Promise<Progress> {
  const servers = allServers(step);
  if (Object.keys(state.sources).length + Object.keys(state.failed).length < servers.length) {
    const direction = step.launchInto === 'original' ? 'to-primary' : 'to-recovery';
    const found = await sourcesFor(ctx, servers, direction);
    for (const server of servers) {
      const source = found.get(server.name);
      if (source) state.sources[server.name] = source.sourceServerId;
      else state.failed[server.name] = `No DRS source server found in ${step.region}`;
    }
  }
  const { drs } = ctx.services(step.region);
  for (const server of servers) {
    const sourceId = state.sources[server.name];
    if (!sourceId || state.healthy[server.name] || state.prepared.includes(server.name)) continue;
    await drs.prepareLaunch(sourceId, {
      ...(server.launchInto ? { launchIntoInstanceId: server.launchInto } : {}),
      postLaunch: true,
      copyPrivateIp: false,
    });
    state.prepared.push(server.name);
  }
  state.stage = 'launch';
  return launchBatch(ctx, step, state);
}

/**
 * A throttled or unreachable call mid-way keeps what was done (jobs started, servers launched)
 * and tries again shortly, rather than throwing it away for the state machine's retry.
 */
async function keepingProgress(
  ctx: StepContext,
  step: Step,
  state: WaveState,
  work: () => Promise<Progress>,
): Promise<Progress> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof AwsCallError && error.retryable && !groupTimedOut(ctx, step, state)) {
      return running(state, THROTTLED_POLL, `retrying: ${error.message}`);
    }
    throw error;
  }
}

function allServers(step: Step): ServerRef[] {
  return step.bootGroups.flatMap((g) => g.servers);
}

function serverRef(step: Step, name: string): ServerRef | undefined {
  return allServers(step).find((s) => s.name === name);
}

async function launchBatch(ctx: StepContext, step: Step, state: WaveState): Promise<Progress> {
  await releaseLeases(ctx, step, state);
  const group = step.bootGroups[state.group];
  if (!group) return finish(ctx, step, state);
  const batch = group.batches[state.batch];
  if (!batch) return startHealth(ctx, step, state);
  const excluded = new Set(ctx.execution.excluded);
  state.jobs = [];
  state.pendingJobs = batch
    .map((job) =>
      job.filter(
        (n) =>
          !excluded.has(n) &&
          state.sources[n] &&
          !state.healthy[n] &&
          !state.failed[n] &&
          !state.launched[n],
      ),
    )
    .filter((names) => names.length > 0);
  await launchPending(ctx, step, state);
  if (state.jobs.length === 0 && state.pendingJobs.length === 0) return nextBatch(ctx, step, state);
  return running(
    state,
    state.pendingJobs.length > 0 ? pendingPoll(state) : LAUNCH_POLL,
    `group ${state.group + 1}/${step.bootGroups.length}: launching`,
  );
}

/**
 * Starts the batch's jobs that are not started yet. A throttled StartRecovery leaves the rest
 * for the next poll, with what already started saved: a retry never launches a server twice.
 */
async function launchPending(ctx: StepContext, step: Step, state: WaveState): Promise<void> {
  while (state.pendingJobs.length > 0) {
    const names = state.pendingJobs[0] ?? [];
    if (!(await admitJob(ctx, step, state, names))) return;
    let jobId: string;
    try {
      jobId = await startJob(ctx, step, state, names);
    } catch (error) {
      if (error instanceof AwsCallError && error.retryable) return;
      throw error;
    }
    delete state.starting;
    state.pendingJobs.shift();
    state.jobs.push({ jobId, servers: names });
    bindLease(state, jobId);
    await ctx.journal(
      'drs-job-started',
      `DRS job ${jobId}: ${names.length} servers of wave ${step.wave}`,
      { jobId, wave: step.wave, servers: names },
    );
  }
}

/**
 * StartRecovery once per job. DRS takes no client token, so the intent is saved first; a task run
 * again after dying mid-call asks DRS for a job of this run and wave with exactly these servers,
 * created since, and takes it as its own rather than launching the servers a second time.
 */
async function startJob(
  ctx: StepContext,
  step: Step,
  state: WaveState,
  names: string[],
): Promise<string> {
  const { drs } = ctx.services(step.region);
  const sourceIds = names.map((n) => state.sources[n] ?? '');
  const tags = { 'lifeboat:execution': ctx.execution.executionId, 'lifeboat:wave': step.wave };
  if (state.starting !== undefined) {
    const known = new Set(state.jobs.map((j) => j.jobId));
    const earlier = (await drs.jobsSince(state.starting - CLOCK_SKEW_MS)).find(
      (job) =>
        !known.has(job.jobId) &&
        job.tags?.['lifeboat:execution'] === tags['lifeboat:execution'] &&
        job.tags?.['lifeboat:wave'] === tags['lifeboat:wave'] &&
        sameMembers(
          job.servers.map((s) => s.sourceServerId),
          sourceIds,
        ),
    );
    if (earlier) return earlier.jobId;
  }
  state.starting = ctx.now();
  await ctx.checkpoint(state);
  return drs.startRecovery(sourceIds, step.isDrill, tags);
}

function sameMembers(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

async function nextBatch(ctx: StepContext, step: Step, state: WaveState): Promise<Progress> {
  state.batch += 1;
  return launchBatch(ctx, step, state);
}

async function pollLaunch(ctx: StepContext, step: Step, state: WaveState): Promise<Progress> {
  const { drs } = ctx.services(step.region);
  await launchPending(ctx, step, state);
  const direction = step.launchInto === 'original' ? 'to-primary' : 'to-recovery';
  let open = 0;
  // DRS counts a job against its concurrency quotas until it completes, which may be after its
  // servers launched: the next batch waits for that, or DRS would refuse it.
  let jobsActive = 0;
  const launches: Launch[] = [];
  const completed: WaveState['jobs'] = [];
  for (const job of state.jobs) {
    const view = await drs.describeJob(job.jobId);
    if (view.status !== 'COMPLETED') jobsActive += 1;
    else completed.push(job);
    const bySource = new Map(view.servers.map((s) => [s.sourceServerId, s]));
    let events: Awaited<ReturnType<typeof drs.jobEvents>> | undefined;
    for (const name of job.servers) {
      if (state.launched[name] || state.failed[name] || relaunchedFrom(state, name, job.jobId))
        continue;
      const server = bySource.get(state.sources[name] ?? '');
      if (server?.status === 'LAUNCHED' && server.recoveryInstanceId) {
        launches.push({ name, jobId: job.jobId, recoveryInstanceId: server.recoveryInstanceId });
      } else if (server?.status === 'FAILED') {
        events ??= await drs.jobEvents(job.jobId);
        const failure = failureEventOf(events, server.sourceServerId);
        const ref = serverRef(step, name) ?? { name };
        const outcome = await meetLaunchFailure(ctx, step, state, ref, job.jobId, failure);
        if (outcome.relaunch) {
          // Another instance type instead: that server alone launches again.
          state.pendingJobs.push([name]);
          continue;
        }
        const { reason } = outcome;
        await ctx.journal('server-failed', `${name} failed to launch: ${reason}`, {
          server: name,
          wave: step.wave,
          direction,
          reason,
          critical: serverRef(step, name)?.critical ?? true,
        });
        state.failed[name] = reason;
      } else {
        open += 1;
      }
    }
  }
  await keepLeases(ctx, step, state, state.jobs, completed);
  if (launches.length > 0) await recordLaunches(ctx, step, state, launches);
  if (open > 0 || state.pendingJobs.length > 0) {
    if (groupTimedOut(ctx, step, state))
      return timeOutGroup(ctx, step, state, 'did not launch in time');
    return running(state, state.pendingJobs.length > 0 ? pendingPoll(state) : LAUNCH_POLL);
  }
  if (jobsActive > 0 && !groupTimedOut(ctx, step, state)) return running(state, LAUNCH_POLL);
  return nextBatch(ctx, step, state);
}

interface Launch {
  name: string;
  jobId: string;
  recoveryInstanceId: string;
}

/**
 * Journals each launch with its time and the moment of its data. Everything is read first, and a
 * server counts as launched only once journaled, so a throttled read repeats nothing.
 */
async function recordLaunches(
  ctx: StepContext,
  step: Step,
  state: WaveState,
  launches: Launch[],
): Promise<void> {
  const { drs, ec2 } = ctx.services(step.region);
  const direction = step.launchInto === 'original' ? 'to-primary' : 'to-recovery';
  const instances = new Map(
    (await drs.recoveryInstances(launches.map((l) => state.sources[l.name] ?? ''))).map((i) => [
      i.sourceServerId,
      i,
    ]),
  );
  const ec2Views = new Map(
    (await ec2.describe(launches.map((l) => l.recoveryInstanceId))).map((v) => [v.instanceId, v]),
  );
  // A server whose source was unreachable is recovered from its last snapshot: say so.
  const previous = new Set<string>();
  for (const jobId of new Set(launches.map((l) => l.jobId))) {
    for (const event of await drs.jobEvents(jobId)) {
      if (event.event === 'USING_PREVIOUS_SNAPSHOT' && event.sourceServerId)
        previous.add(event.sourceServerId);
    }
  }
  for (const { name, jobId, recoveryInstanceId } of launches) {
    const instance = instances.get(state.sources[name] ?? '');
    await ctx.journal('server-launched', `${name} launched as ${recoveryInstanceId}`, {
      server: name,
      wave: step.wave,
      direction,
      sourceServerId: state.sources[name],
      recoveryInstanceId,
      launchedAt: ec2Views.get(recoveryInstanceId)?.launchedAt ?? ctx.now(),
      dataAt: instance?.pointInTime,
      usedPreviousSnapshot: previous.has(state.sources[name] ?? ''),
      isDrill: instance?.isDrill ?? step.isDrill,
      ...(ec2Views.get(recoveryInstanceId)?.instanceType
        ? { instanceType: ec2Views.get(recoveryInstanceId)?.instanceType }
        : {}),
    });
    state.launched[name] = { recoveryInstanceId, jobId };
  }
}

async function startHealth(ctx: StepContext, step: Step, state: WaveState): Promise<Progress> {
  state.stage = 'health';
  state.commands = {};
  return pollHealth(ctx, step, state);
}

/** Servers of the current group that launched and are not yet healthy. */
function awaitingHealth(step: Step, state: WaveState): string[] {
  return (step.bootGroups[state.group]?.servers ?? [])
    .map((s) => s.name)
    .filter((n) => state.launched[n] && !state.healthy[n] && !state.failed[n]);
}

async function pollHealth(ctx: StepContext, step: Step, state: WaveState): Promise<Progress> {
  const waiting = awaitingHealth(step, state);
  if (waiting.length > 0) {
    const ids = waiting.map((n) => state.launched[n]?.recoveryInstanceId ?? '');
    const views = new Map(
      (await ctx.services(step.region).ec2.describe(ids)).map((v) => [v.instanceId, v]),
    );
    const wantsAgent = step.healthChecks.some((c) => c.kind !== 'instance-status');
    const online = wantsAgent
      ? await ctx.services(step.ssmAgentRegion).ssm.onlineInstances(ids)
      : new Set(ids);
    const basicOk = waiting.filter((n) => {
      const id = state.launched[n]?.recoveryInstanceId ?? '';
      const statusOk =
        !step.healthChecks.some((c) => c.kind === 'instance-status') ||
        (views.get(id)?.state === 'running' && views.get(id)?.statusOk === true);
      return statusOk && online.has(id);
    });
    const documentsOk = await runHealthDocuments(ctx, step, state, basicOk);
    for (const name of documentsOk) {
      state.healthy[name] = ctx.now();
      await ctx.journal('server-healthy', `${name} is healthy`, {
        server: name,
        wave: step.wave,
        direction: step.launchInto === 'original' ? 'to-primary' : 'to-recovery',
        healthyAt: ctx.now(),
      });
    }
  }
  if (awaitingHealth(step, state).length > 0) {
    if (groupTimedOut(ctx, step, state))
      return timeOutGroup(ctx, step, state, 'was not healthy in time');
    return running(state, HEALTH_POLL);
  }
  return nextGroup(ctx, step, state);
}

/** The next boot group starts only when no critical server of this one has failed. */
async function nextGroup(ctx: StepContext, step: Step, state: WaveState): Promise<Progress> {
  await releaseLeases(ctx, step, state);
  if (criticalFailures(ctx, step, state).length > 0) return finish(ctx, step, state);
  state.group += 1;
  state.batch = 0;
  state.stage = 'launch';
  state.groupStartedAt = ctx.now();
  return launchBatch(ctx, step, state);
}

/** Health documents run once per server whose basic checks pass; returns the servers that passed all. */
async function runHealthDocuments(
  ctx: StepContext,
  step: Step,
  state: WaveState,
  ready: string[],
): Promise<string[]> {
  const checks = step.healthChecks.flatMap((c, i) => (c.kind === 'ssm-document' ? [{ c, i }] : []));
  if (checks.length === 0) return ready;
  const { ssm } = ctx.services(step.ssmAgentRegion);
  const passed: string[] = [];
  for (const name of ready) {
    const id = state.launched[name]?.recoveryInstanceId ?? '';
    let allOk = true;
    for (const { c, i } of checks) {
      if (c.servers && !c.servers.includes(name)) continue;
      const key = `${i}:${name}`;
      const sent = state.commands[key];
      if (!sent || sent.startsWith(SENDING)) {
        state.commands[key] = await sendHealthDocument(ctx, step, state, key, c, id);
        allOk = false;
        continue;
      }
      const [result] = await ssm.commandResults(state.commands[key] ?? '', [id]);
      if (result?.status === 'Success') continue;
      allOk = false;
      if (result && !['Pending', 'InProgress'].includes(result.status)) {
        delete state.commands[key]; // failed: run it again on the next poll, until the group times out
      }
    }
    if (allOk) passed.push(name);
  }
  return passed;
}

/**
 * Sends a health document once: the intent is saved first, and the command carries the attempt's
 * key and the check's as its comment, so a task run again after a crash finds the command it
 * sent (SendCommand takes no client token) rather than running the document again.
 */
async function sendHealthDocument(
  ctx: StepContext,
  step: Step,
  state: WaveState,
  key: string,
  check: { document: string; parameters: Record<string, string[]> },
  instanceId: string,
): Promise<string> {
  const { ssm } = ctx.services(step.ssmAgentRegion);
  const comment = `${ctx.attemptKey}-${step.wave.slice(0, 16)}-${key}`.slice(0, 100);
  const intent = state.commands[key];
  if (intent?.startsWith(SENDING)) {
    const found = await ssm.findCommand(
      check.document,
      comment,
      Number(intent.slice(SENDING.length)),
    );
    if (found) return found;
  }
  state.commands[key] = `${SENDING}${ctx.now()}`;
  await ctx.checkpoint(state);
  return ssm.sendCommand(check.document, [instanceId], check.parameters, 600, comment);
}

function groupTimedOut(ctx: StepContext, step: Step, state: WaveState): boolean {
  const perGroup = step.timeoutSeconds / Math.max(1, step.bootGroups.length);
  return (ctx.now() - state.groupStartedAt) / 1000 > perGroup;
}

async function timeOutGroup(
  ctx: StepContext,
  step: Step,
  state: WaveState,
  what: string,
): Promise<Progress> {
  const group = step.bootGroups[state.group]?.servers ?? [];
  for (const server of group) {
    if (
      state.healthy[server.name] ||
      state.failed[server.name] ||
      ctx.execution.excluded.includes(server.name)
    )
      continue;
    const reason = `${server.name} ${what}`;
    state.failed[server.name] = reason;
    await ctx.journal('server-failed', reason, {
      server: server.name,
      wave: step.wave,
      direction: step.launchInto === 'original' ? 'to-primary' : 'to-recovery',
      reason,
      critical: server.critical,
    });
  }
  return nextGroup(ctx, step, state);
}

function criticalFailures(ctx: StepContext, step: Step, state: WaveState): string[] {
  const excluded = new Set(ctx.execution.excluded);
  return Object.keys(state.failed).filter(
    (n) => (serverRef(step, n)?.critical ?? true) && !excluded.has(n),
  );
}

function finish(ctx: StepContext, step: Step, state: WaveState): Progress {
  const excluded = new Set(ctx.execution.excluded);
  const critical = criticalFailures(ctx, step, state);
  if (critical.length > 0)
    return failed(
      state,
      `${critical.length} critical server${critical.length === 1 ? '' : 's'} of wave ${step.wave} failed: ${describeFailedServers(critical, state.failed)}`,
      critical,
    );
  const optional = Object.keys(state.failed).filter((n) => !excluded.has(n));
  return done(
    state,
    `Wave ${step.wave}: ${Object.keys(state.healthy).length} healthy${optional.length ? `; optional servers failed: ${optional.join(', ')}` : ''}`,
  );
}
