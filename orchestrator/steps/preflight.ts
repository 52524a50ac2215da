import { RegionUnreachableError, ServerError, ThrottledError } from '../domain/errors.ts';
import { planTagMismatch } from '../domain/onboarding.ts';
import { ARC_ENDPOINT_QUORUM } from '../domain/routing.ts';
import type { PreflightCheck, PreflightResult, StepOf } from '../domain/runbook.ts';
import { PLAN_TAG_KEY } from '../domain/workload-access.ts';
import { done, failed, running, type StepContext, type StepExecutor } from './context.ts';
import { forwardSources, reversedSources } from './resolve.ts';

type Step = StepOf<'preflight'>;

/**
 * Readiness, now: replication state and lag against the RPO target, the instances Lifeboat will
 * launch into, the DNS zones, DRS quota headroom. Shown on the approval card; a failed check
 * that is not advisory stops the run before anyone is asked to approve it.
 */
export const preflight: StepExecutor<Step> = {
  async start(ctx, step) {
    return this.poll(ctx, step, { results: [] });
  },
  /** Runs the checks not run yet; a throttled call or a 5xx leaves the rest for a later poll. */
  async poll(ctx, step, state) {
    const results = [...((state.results as PreflightResult[]) ?? [])];
    for (const check of step.checks.filter((c) => !results.some((r) => r.check === c))) {
      const advisory = step.advisory.includes(check);
      try {
        const result = await runCheck(ctx, step, check);
        results.push({
          check,
          ok: result.ok,
          detail: result.detail,
          advisory: advisory || result.advisory === true,
          ...(result.seconds === undefined ? {} : { seconds: result.seconds }),
        });
      } catch (error) {
        // Throttling or a 5xx is no finding: try that check again shortly.
        if (error instanceof ThrottledError || error instanceof ServerError) {
          const why = error instanceof ThrottledError ? 'throttled' : error.code;
          return running({ results }, 5, `${why} during ${check}; retrying`);
        }
        results.push({ check, ok: false, detail: (error as Error).message, advisory });
      }
    }
    const blocking = results.filter((r) => !r.ok && !r.advisory);
    await ctx.journal(
      'preflight',
      `Pre-flight: ${results.length - blocking.length}/${results.length} checks pass`,
      { results },
    );
    if (blocking.length > 0)
      return failed(
        { results },
        `Pre-flight failed: ${blocking.map((r) => `${r.check}: ${r.detail}`).join('; ')}`,
      );
    return done({ results });
  },
};

async function runCheck(ctx: StepContext, step: Step, check: PreflightCheck): Promise<CheckResult> {
  const { primary, recovery } = ctx.execution.runbook.regions;
  const names = step.servers.map((s) => s.name);
  switch (check) {
    case 'no-active-operation':
      return { ok: true, detail: 'This run holds the customer’s lock' };
    case 'primary-reachable': {
      const probe = step.peerInstances.slice(0, 1);
      const found = await ctx.services(primary).ec2.describe(probe);
      return { ok: found.length === probe.length, detail: `${primary} answers` };
    }
    case 'replication-healthy': {
      const sources = await forwardSources(ctx, step.servers);
      const bad = names.filter((n) => sources.get(n)?.replicationState !== 'CONTINUOUS');
      return {
        ok: bad.length === 0,
        detail:
          bad.length === 0
            ? `${names.length} servers replicating`
            : `not replicating: ${bad.map((n) => `${n} (${sources.get(n)?.replicationState ?? 'not found'})`).join(', ')}`,
      };
    }
    case 'replication-lag': {
      const sources = await forwardSources(ctx, step.servers);
      const worst = Math.max(0, ...[...sources.values()].map((s) => s.lagSeconds ?? 0));
      return {
        ok: worst <= step.rpoSeconds,
        detail: `worst lag ${worst}s against an RPO of ${step.rpoSeconds}s`,
        seconds: worst,
      };
    }
    case 'recovery-instances':
    case 'original-instances': {
      const region = check === 'recovery-instances' ? recovery : primary;
      const ids = step.servers.map((s) => s.launchInto).filter((id): id is string => Boolean(id));
      // Not by InstanceIds: one missing id would fail the call and hide which.
      const found = new Set(
        (await ctx.services(region).ec2.findInstances(ids)).map((v) => v.instanceId),
      );
      const absent = ids.filter((id) => !found.has(id));
      return {
        ok: absent.length === 0,
        detail:
          absent.length === 0
            ? `${ids.length} instances present in ${region}`
            : `missing in ${region}: ${absent.join(', ')}`,
      };
    }
    case 'plan-tags':
      return planTagged(ctx, step);
    case 'reverse-replication': {
      const sources = await reversedSources(ctx, step.servers);
      const bad = names.filter((n) => sources.get(n)?.replicationState !== 'CONTINUOUS');
      return {
        ok: bad.length === 0,
        detail:
          bad.length === 0
            ? `${names.length} servers replicating back to ${primary}`
            : `not replicating back: ${bad.join(', ')}`,
      };
    }
    case 'dns-zones':
      return onRoute53(async () => {
        const absent: string[] = [];
        for (const zone of step.zones)
          if (!(await ctx.services(step.region).dns.zoneExists(zone))) absent.push(zone);
        return {
          ok: absent.length === 0,
          detail:
            absent.length === 0
              ? `${step.zones.length} zones present`
              : `missing zones: ${absent.join(', ')}`,
        };
      }, 'the zones');
    case 'failover-records':
      return onRoute53(async () => {
        const missing: string[] = [];
        for (const zone of step.zones)
          for (const name of step.failoverRecords) {
            const sides = await ctx.services(step.region).dns.failoverSets(zone, name);
            for (const side of ['PRIMARY', 'SECONDARY'] as const)
              if (!sides.includes(side)) missing.push(`${name} ${side} in ${zone}`);
          }
        const count = step.failoverRecords.length * step.zones.length;
        return {
          ok: missing.length === 0,
          detail:
            missing.length === 0
              ? `${count} failover record pairs present`
              : `missing failover records (deploy the customer's DNS template): ${missing.join(', ')}`,
        };
      }, 'the failover records');
    case 'routing-controls':
      return routingReady(ctx, step);
    case 'dns-control-plane':
      return {
        ok: false,
        detail: `${step.changeRecords.length} DNS record${step.changeRecords.length === 1 ? '' : 's'} (${step.changeRecords.join(', ')}) change on Route 53's control plane, which runs in us-east-1 only: while us-east-1 is down they cannot be flipped. Make them failover records (mode: failover).`,
      };
    case 'drs-quota': {
      const active = await ctx.services(step.region).drs.activeJobCount();
      // Room for the first batch: one more job, and its servers, within the planned limits.
      const limits = step.jobLimits;
      const ok =
        active.jobs < limits.maxConcurrentJobs &&
        active.servers + Math.min(limits.maxServersPerJob, names.length) <=
          limits.maxServersInActiveJobs;
      return {
        ok,
        detail: `${active.jobs} DRS jobs and ${active.servers} servers in flight in ${step.region}`,
      };
    }
    case 'isolated-network': {
      if (!step.isolated) return { ok: false, detail: 'The plan names no isolated network' };
      const absent = await ctx
        .services(recovery)
        .ec2.missingNetwork(step.isolated.subnetId, step.isolated.securityGroupIds);
      return {
        ok: absent.length === 0,
        detail:
          absent.length === 0
            ? `bubble subnet ${step.isolated.subnetId} and its security groups are present in ${recovery}`
            : `missing in ${recovery}: ${absent.join(', ')}`,
      };
    }
  }
}

/**
 * The instances the run stops or launches into carry the plan tag onboarding puts on them
 * (`lifeboat:plan=<customer id>`): the workload role acts only on those, so an instance of
 * another environment named in the plan, or one onboarding missed, is found here rather than
 * refused halfway through the run. An unreachable primary leaves its part unknown (advisory).
 */
async function planTagged(ctx: StepContext, step: Step): Promise<CheckResult> {
  const { primary, recovery } = ctx.execution.runbook.regions;
  const plan = ctx.execution.customerId;
  const launchRegion = step.checks.includes('original-instances') ? primary : recovery;
  const launchInto = step.servers
    .map((s) => s.launchInto)
    .filter((id): id is string => Boolean(id));
  const groups: [string, string[]][] = [
    [primary, launchRegion === primary ? [] : step.peerInstances],
    [launchRegion, launchInto],
  ];
  const untagged: string[] = [];
  const unknown: string[] = [];
  for (const [region, ids] of groups.filter(([, ids]) => ids.length > 0)) {
    try {
      const seen = new Map(
        (await ctx.services(region).ec2.findInstances(ids)).map((v) => [v.instanceId, v.tags]),
      );
      for (const id of ids) {
        const mismatch = planTagMismatch(plan, seen.get(id));
        if (mismatch) untagged.push(`${id} (${mismatch})`);
      }
    } catch (error) {
      if (!(error instanceof RegionUnreachableError)) throw error;
      unknown.push(region);
    }
  }
  const count = groups.reduce((n, [, ids]) => n + ids.length, 0);
  if (untagged.length > 0)
    return {
      ok: false,
      detail: `not tagged ${PLAN_TAG_KEY}=${plan}, so Lifeboat may not act on them: ${untagged.join(', ')}; tag them (README, "Onboarding a customer") or correct the plan`,
    };
  if (unknown.length > 0)
    return {
      ok: false,
      advisory: true,
      detail: `${unknown.join(', ')} did not answer; the tags there are unknown`,
    };
  return { ok: true, detail: `${count} instances tagged ${PLAN_TAG_KEY}=${plan}` };
}

interface CheckResult {
  ok: boolean;
  detail: string;
  /** Reported but not blocking, whatever the step says: a check that could not be made. */
  advisory?: boolean;
  /** The figure measured, in seconds. */
  seconds?: number;
}

/**
 * A check on Route 53's API, whose control plane lives in us-east-1: when it does not answer,
 * the check cannot be made. That alone blocks nothing (failover records flip through ARC).
 */
async function onRoute53(check: () => Promise<CheckResult>, what: string): Promise<CheckResult> {
  try {
    return await check();
  } catch (error) {
    if (!(error instanceof RegionUnreachableError)) throw error;
    return {
      ok: false,
      advisory: true,
      detail: `Route 53's API (served from us-east-1) does not answer, so ${what} cannot be checked; failover records flip through ARC without it.`,
    };
  }
}

/**
 * The cluster answers on enough endpoints, and the customer's routing controls exist and read
 * as where traffic is now (or already as this run would set them: a flip made by hand).
 */
async function routingReady(ctx: StepContext, step: Step): Promise<CheckResult> {
  const routing = ctx.routing;
  if (!routing)
    return { ok: false, detail: 'No ARC cluster is configured (LIFEBOAT_ARC_ENDPOINTS).' };
  const probes = await routing.probeEndpoints();
  const up = probes.filter((p) => p.ok).map((p) => p.region);
  const down = probes.filter((p) => !p.ok).map((p) => p.region);
  const endpoints = `${up.length}/${probes.length} cluster endpoints answer${down.length > 0 ? ` (not ${down.join(', ')})` : ''}`;
  if (up.length < Math.min(ARC_ENDPOINT_QUORUM, probes.length))
    return { ok: false, detail: `${endpoints}; ARC needs ${ARC_ENDPOINT_QUORUM}.` };
  const controls = new Map((await routing.listControls()).map((c) => [c.name, c.state]));
  const missing = step.routing.filter((c) => !controls.has(c.name)).map((c) => c.name);
  if (missing.length > 0)
    return { ok: false, detail: `${endpoints}; no routing control ${missing.join(', ')}` };
  const now = step.routing.map((c) => `${c.name} ${controls.get(c.name)}`).join(', ');
  const asBefore = step.routing.every((c) => controls.get(c.name) === c.state);
  const flipped = step.routing.every((c) => controls.get(c.name) !== c.state);
  return {
    ok: asBefore || flipped,
    detail: asBefore
      ? `${endpoints}; ${now}`
      : flipped
        ? `${endpoints}; ${now}: already set as this run sets them`
        : `${endpoints}; ${now}: both sides ${controls.get(step.routing[0]?.name ?? '')}, expected ${step.routing.map((c) => `${c.name} ${c.state}`).join(', ')}`,
  };
}
