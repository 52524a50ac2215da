import { AwsCallError, ThrottledError } from '../domain/errors.ts';
import type { HookRunKind } from '../domain/journal.ts';
import type { StepOf } from '../domain/runbook.ts';
import {
  done,
  elapsed,
  failed,
  type Progress,
  running,
  type StepContext,
  type StepExecutor,
} from './context.ts';
import { forwardSources, included, serverRefs, sourcesFor } from './resolve.ts';

/** Stops instances and waits until they are stopped. Stopping the sources starts the RTO clock. */
export const stopInstances: StepExecutor<StepOf<'stop-instances'>> = {
  async start(ctx, step) {
    const instances = included(
      ctx,
      step.instances.map((i) => ({ ...i, name: i.server })),
    );
    const ids = instances.map((i) => i.instanceId);
    const at = ctx.now();
    // A real incident may say when the disruption began; otherwise it begins now, with the stop.
    const declared = ctx.execution.disruptionAt;
    await ctx.journal(
      'disruption',
      declared
        ? `Disruption declared at ${new Date(declared).toISOString()}`
        : `Disruption begins: stopping ${ids.length} ${step.side} instances`,
      {
        at: declared ?? at,
        source: declared ? 'declared' : 'stop-instances',
        side: step.side,
      },
    );
    // The intent first: run again after a crash, the step asks again (stopping a stopping or
    // stopped instance changes nothing) and keeps this disruption, journaled once.
    const state = { startedAt: at, ids, asked: false };
    await ctx.checkpoint(state);
    return askToStop(ctx, step, state);
  },
  async poll(ctx, step, state) {
    if (state.asked === false) return askToStop(ctx, step, state);
    const ids = state.ids as string[];
    const views = await ctx.services(step.region).ec2.describe(ids);
    const pending = views.filter((v) => v.state !== 'stopped').map((v) => v.instanceId);
    if (pending.length === 0) return done(state, `${ids.length} instances stopped`);
    if (elapsed(ctx, state) > step.timeoutSeconds)
      return failed(
        state,
        `${pending.length} instances did not stop in time: ${pending.join(', ')}`,
      );
    return running(state, 20, `${ids.length - pending.length}/${ids.length} stopped`);
  },
};

async function askToStop(
  ctx: StepContext,
  step: StepOf<'stop-instances'>,
  state: Record<string, unknown>,
): Promise<Progress> {
  const ids = state.ids as string[];
  await ctx.services(step.region).ec2.stop(ids);
  const byId = new Map(step.instances.map((i) => [i.instanceId, i.server]));
  await ctx.journal('instances-stopped', `Asked ${step.region} to stop ${ids.length} instances`, {
    instances: ids.map((instanceId) => ({
      server: byId.get(instanceId) ?? instanceId,
      instanceId,
    })),
    unreachable: false,
  });
  return running({ ...state, asked: true }, 30);
}

/** Waits until every server's replication has caught up: CONTINUOUS with no lag. */
export const waitReplication: StepExecutor<StepOf<'wait-replication'>> = {
  async start(ctx, step) {
    return this.poll(ctx, step, { startedAt: ctx.now() });
  },
  async poll(ctx, step, state) {
    const servers = included(ctx, step.servers);
    const sources = await sourcesFor(ctx, servers, step.direction);
    const lagging = servers.filter((s) => {
      const source = sources.get(s.name);
      return (
        source?.replicationState !== 'CONTINUOUS' || (source.lagSeconds ?? 0) > step.maxLagSeconds
      );
    });
    if (lagging.length === 0)
      return done(state, `All ${servers.length} servers replicated, lag zero`);
    if (elapsed(ctx, state) > step.timeoutSeconds) {
      const names = lagging
        .map((s) => `${s.name} (${sources.get(s.name)?.replicationState ?? 'not found'})`)
        .join(', ');
      return failed(
        state,
        `Replication did not catch up in time for ${lagging.length} servers: ${names}`,
      );
    }
    return running(state, 30, `${servers.length - lagging.length}/${servers.length} caught up`);
  },
};

/**
 * Moves the plan's DNS to the target side: failover records by setting the customer's routing
 * controls on ARC's data plane (target On, the other Off, in one call that ARC's safety rules
 * check as a whole), records in `change` mode by one Route 53 batch per zone; then waits until
 * both hold (the controls read back, the changes INSYNC).
 */
export const dns: StepExecutor<StepOf<'dns'>> = {
  async start(ctx, step) {
    const state: Record<string, unknown> = { startedAt: ctx.now() };
    if (step.routing.length > 0) {
      const routed = await setRoutingControls(ctx, step);
      if ('failure' in routed) return failed(state, routed.failure);
      Object.assign(state, routed);
    }
    const { dns: route53 } = ctx.services(step.region);
    const zones = [...new Set(step.changes.map((c) => c.zoneId))];
    const changeIds: string[] = [];
    for (const zone of zones)
      changeIds.push(
        await route53.upsert(
          zone,
          step.changes.filter((c) => c.zoneId === zone),
        ),
      );
    return running({ ...state, changeIds }, step.changes.length > 0 ? 5 : 0);
  },
  async poll(ctx, step, state) {
    const { dns: route53 } = ctx.services(step.region);
    const statuses = await Promise.all(
      ((state.changeIds as string[] | undefined) ?? []).map((id) => route53.changeStatus(id)),
    );
    const arns = (state.arns as Record<string, string> | undefined) ?? {};
    const routing = ctx.routing;
    const controls =
      routing && step.routing.length > 0
        ? await Promise.all(
            step.routing.map(async (c) => ({
              ...c,
              now: await routing.stateOf(arns[c.name] ?? c.name),
            })),
          )
        : [];
    const held = controls.every((c) => c.now === c.state);
    if (statuses.every((s) => s.status === 'INSYNC') && held) {
      const answeredAt = state.answeredAt as number | undefined;
      const endpoint = state.endpoint as string | undefined;
      await ctx.journal(
        'dns-changed',
        `${step.records} DNS records point at the ${step.target} side${endpoint ? ` (ARC routing controls set through its ${endpoint} endpoint)` : ''}`,
        {
          target: step.target,
          records: step.records,
          insyncAt: ctx.now(),
          ...(answeredAt === undefined ? {} : { answeredAt }),
          ...(endpoint === undefined ? {} : { endpoint }),
        },
      );
      return done(state);
    }
    if (elapsed(ctx, state) > step.timeoutSeconds)
      return failed(
        state,
        held
          ? 'DNS changes did not propagate (INSYNC) in time'
          : `Routing controls do not read back as set: ${controls
              .filter((c) => c.now !== c.state)
              .map((c) => `${c.name} is ${c.now}, not ${c.state}`)
              .join(', ')}`,
      );
    return running(state, 5);
  },
};

/**
 * Finds the customer's routing controls by name and sets them in one call. A safety rule's
 * refusal, or a control the cluster lacks, fails the step with ARC's reason and changes nothing.
 */
async function setRoutingControls(
  ctx: StepContext,
  step: StepOf<'dns'>,
): Promise<
  { arns: Record<string, string>; answeredAt: number; endpoint: string } | { failure: string }
> {
  const routing = ctx.routing;
  if (!routing)
    return {
      failure:
        'This Lifeboat has no ARC cluster configured (LIFEBOAT_ARC_ENDPOINTS): failover records cannot be flipped. Set the arc section of config/deploy.yaml (README, DNS on ARC routing controls).',
    };
  const byName = new Map((await routing.listControls()).map((c) => [c.name, c.arn]));
  const missing = step.routing.filter((c) => !byName.has(c.name)).map((c) => c.name);
  if (missing.length > 0)
    return {
      failure: `The ARC cluster has no routing control ${missing.join(', ')}: deploy the routing stack for this customer (README, DNS on ARC routing controls). Nothing changed.`,
    };
  const arns = Object.fromEntries(step.routing.map((c) => [c.name, byName.get(c.name) ?? '']));
  try {
    const { endpoint } = await routing.update(
      step.routing.map((c) => ({ arn: arns[c.name] ?? '', state: c.state })),
    );
    return { arns, answeredAt: ctx.now(), endpoint };
  } catch (error) {
    if (error instanceof AwsCallError && error.code === 'ConflictException')
      return {
        failure: `ARC refused to set ${step.routing.map((c) => `${c.name} ${c.state}`).join(' and ')}: ${error.detail} Nothing changed.`,
      };
    throw error;
  }
}

const hookDone = async (
  ctx: StepContext,
  step: { id: string; hook: string; kind: HookRunKind; phase: string; region: string },
  ok: boolean,
  detail: string,
  endedAt?: number,
) => {
  await ctx.journal('hook-finished', `${step.hook}: ${ok ? 'ok' : 'failed'}`, {
    hook: step.hook,
    kind: step.kind,
    ok,
    detail,
  });
  if (step.phase === 'validate' || step.id.includes('.validate.')) {
    const side = step.region === ctx.execution.runbook.regions.primary ? 'primary' : 'recovery';
    await ctx.journal(
      'validation-finished',
      `Validation ${step.hook} ${ok ? 'passed' : 'failed'} in ${step.region}`,
      { hook: step.hook, ok, side, endedAt: endedAt ?? ctx.now() },
    );
  }
};

/** Runs an SSM document on its targets and waits for every invocation to end. */
/**
 * The instances a hook runs on. A plan server in the recovery region is wherever DRS launched it:
 * the pre-created instance in an in-place drill or failover, a new instance in a bubble drill.
 */
async function targetInstances(
  ctx: StepContext,
  step: StepOf<'ssm-command'>,
  targets: StepOf<'ssm-command'>['targets'],
): Promise<string[]> {
  const named = targets.filter((t) => t.server);
  if (named.length === 0 || step.region !== ctx.execution.runbook.regions.recovery)
    return targets.map((t) => t.instanceId);
  const refs = serverRefs(
    ctx,
    named.map((t) => t.server ?? ''),
  );
  const sources = await forwardSources(ctx, refs);
  return targets.map(
    (t) => (t.server ? sources.get(t.server)?.recoveryInstanceId : undefined) ?? t.instanceId,
  );
}

export const ssmCommand: StepExecutor<StepOf<'ssm-command'>> = {
  async start(ctx, step) {
    const targets = step.targets.filter(
      (t) => !t.server || !ctx.execution.excluded.includes(t.server),
    );
    const ids = await targetInstances(ctx, step, targets);
    if (ids.length === 0) return done({}, 'No targets left (all excluded)');
    const state = { startedAt: ctx.now(), ids };
    await ctx.checkpoint(state);
    return sendHookCommand(ctx, step, state, false);
  },
  async poll(ctx, step, state) {
    if (state.commandId === undefined) return sendHookCommand(ctx, step, state, true);
    const results = await ctx
      .services(step.region)
      .ssm.commandResults(String(state.commandId), state.ids as string[]);
    const open = results.filter((r) => r.status === 'Pending' || r.status === 'InProgress');
    if (open.length > 0) {
      if (elapsed(ctx, state) > step.timeoutSeconds)
        return failed(state, `${step.document} did not finish in time on ${open.length} instances`);
      return running(state, 15);
    }
    const bad = results.filter((r) => r.status !== 'Success');
    const endedAt = Math.max(...results.map((r) => r.endedAt ?? ctx.now()));
    const detail =
      bad
        .map((r) => `${r.instanceId}: ${r.status}${r.output ? ` (${r.output.slice(0, 200)})` : ''}`)
        .join('; ') || 'Success';
    await hookDone(ctx, { ...step, kind: 'ssm-document' }, bad.length === 0, detail, endedAt);
    return bad.length === 0 ? done(state) : failed(state, `${step.document} failed: ${detail}`);
  },
};

/**
 * Sends the hook's document once per attempt: SendCommand takes no client token, so the command
 * carries the attempt's key as its comment, and a task run again after a crash finds the command
 * it sent (ListCommands) rather than running the document a second time.
 */
async function sendHookCommand(
  ctx: StepContext,
  step: StepOf<'ssm-command'>,
  state: Record<string, unknown>,
  resumed: boolean,
): Promise<Progress> {
  const { ssm } = ctx.services(step.region);
  const ids = state.ids as string[];
  const sentAt = Number(state.startedAt);
  const commandId =
    (resumed ? await ssm.findCommand(step.document, ctx.attemptKey, sentAt) : undefined) ??
    (await ssm.sendCommand(
      step.document,
      ids,
      step.parameters,
      step.timeoutSeconds,
      ctx.attemptKey,
    ));
  return running({ ...state, commandId }, 10);
}

export const lambdaHook: StepExecutor<StepOf<'lambda-hook'>> = {
  async start(ctx, step) {
    // Lambda's Invoke takes no client token: the function gets one, to run once per key.
    const result = await ctx.services(step.region).hooks.invokeLambda(step.function, {
      ...step.payload,
      customerId: ctx.execution.customerId,
      executionId: ctx.execution.executionId,
      idempotencyKey: ctx.attemptKey,
    });
    await hookDone(ctx, { ...step, kind: 'lambda' }, result.ok, result.detail);
    return result.ok ? done({}) : failed({}, `${step.function} failed: ${result.detail}`);
  },
  async poll(ctx, step) {
    return this.start(ctx, step);
  },
};

export const stack: StepExecutor<StepOf<'stack'>> = {
  async start(ctx, step) {
    const { hooks } = ctx.services(step.region);
    // Deleting a stack being deleted (or gone) changes nothing; a deploy sent again is the same
    // request by its token.
    if (step.action === 'deploy')
      await hooks.deployStack(step.stackName, step.templateUrl, step.parameters, ctx.attemptKey);
    else await hooks.deleteStack(step.stackName);
    return running({ startedAt: ctx.now() }, 30);
  },
  async poll(ctx, step, state) {
    const status = await ctx.services(step.region).hooks.stackStatus(step.stackName);
    if (!status.done) {
      if (elapsed(ctx, state) > step.timeoutSeconds)
        return failed(state, `Stack ${step.stackName} did not finish in time`);
      return running(state, 30);
    }
    await hookDone(ctx, { ...step, kind: 'stack' }, status.ok, status.detail);
    return status.ok ? done(state) : failed(state, `Stack ${step.stackName}: ${status.detail}`);
  },
};

/** Starts replication in the other direction from each server's recovery instance. */
export const reverseReplication: StepExecutor<StepOf<'reverse-replication'>> = {
  async start(ctx, step) {
    return this.poll(ctx, step, { reversed: [], startedAt: ctx.now() });
  },
  /** One call per server; a throttled call keeps the servers already reversed for the next poll. */
  async poll(ctx, step, state) {
    const reversed = [...((state.reversed as string[]) ?? [])];
    const servers = included(ctx, step.servers).filter((s) => !reversed.includes(s.name));
    const fromDirection = step.direction === 'to-primary' ? 'to-recovery' : 'to-primary';
    const problems: string[] = [];
    try {
      const sources = await sourcesFor(ctx, servers, fromDirection);
      const { drs } = ctx.services(step.region);
      const instances = await drs.recoveryInstances(
        [...sources.values()].map((s) => s.sourceServerId),
      );
      const bySource = new Map(instances.map((i) => [i.sourceServerId, i]));
      for (const server of servers) {
        const instance = bySource.get(sources.get(server.name)?.sourceServerId ?? '');
        if (!instance) {
          problems.push(server.name);
          continue;
        }
        // Reversed already by a task that died before saving it: DRS says so, nothing to do.
        if (!instance.reversed) await drs.reverseReplication(instance.recoveryInstanceId);
        reversed.push(server.name);
      }
    } catch (error) {
      if (error instanceof ThrottledError && elapsed(ctx, state) < step.timeoutSeconds)
        return running({ ...state, reversed }, 5, `throttled; ${reversed.length} reversed so far`);
      throw error;
    }
    await ctx.journal(
      'replication-reversed',
      `Replication ${step.direction} started for ${reversed.length} servers`,
      { direction: step.direction, servers: reversed.length },
    );
    if (problems.length > 0)
      return failed(
        { reversed },
        `No recovery instance to reverse for ${problems.join(', ')}`,
        problems,
      );
    return done({ reversed });
  },
};

/** Terminates a bubble drill's instances and waits for the termination job. */
export const terminateDrillInstances: StepExecutor<StepOf<'terminate-drill-instances'>> = {
  async start(ctx, step) {
    const sources = await sourcesFor(ctx, step.servers, 'to-recovery');
    const { drs } = ctx.services(step.region);
    const instances = (
      await drs.recoveryInstances([...sources.values()].map((s) => s.sourceServerId))
    ).filter((i) => i.isDrill);
    if (instances.length === 0) return done({}, 'No drill instances to terminate');
    const state = { startedAt: ctx.now(), ids: instances.map((i) => i.recoveryInstanceId) };
    await ctx.checkpoint(state);
    return terminate(ctx, step, state, false);
  },
  async poll(ctx, step, state): Promise<Progress> {
    if (state.jobId === undefined) return terminate(ctx, step, state, true);
    const job = await ctx.services(step.region).drs.describeJob(String(state.jobId));
    if (job.status === 'COMPLETED')
      return done(state, `${job.servers.length} drill instances terminated`);
    if (elapsed(ctx, state) > step.timeoutSeconds)
      return failed(state, 'Termination did not finish in time');
    return running(state, 30);
  },
};

/**
 * Terminates the drill instances once: a task run again after a crash finds the termination job
 * it started (DescribeJobs since its intent) rather than starting a second one.
 */
async function terminate(
  ctx: StepContext,
  step: StepOf<'terminate-drill-instances'>,
  state: Record<string, unknown>,
  resumed: boolean,
): Promise<Progress> {
  const { drs } = ctx.services(step.region);
  const ids = state.ids as string[];
  const started = resumed
    ? (await drs.jobsSince(Number(state.startedAt))).find((job) =>
        ids.every((id) => job.servers.some((s) => s.recoveryInstanceId === id)),
      )
    : undefined;
  const jobId = started?.jobId ?? (await drs.terminateRecoveryInstances(ids));
  return running({ ...state, jobId }, 30);
}
