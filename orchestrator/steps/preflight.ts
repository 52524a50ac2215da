import { ThrottledError } from '../domain/errors.ts';
import type { PreflightCheck, PreflightResult, StepOf } from '../domain/runbook.ts';
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
  /** Runs the checks not run yet; a throttled call leaves the rest for a poll a few seconds later. */
  async poll(ctx, step, state) {
    const results = [...((state.results as PreflightResult[]) ?? [])];
    for (const check of step.checks.filter((c) => !results.some((r) => r.check === c))) {
      const advisory = step.advisory.includes(check);
      try {
        const { ok, detail } = await runCheck(ctx, step, check);
        results.push({ check, ok, detail, advisory });
      } catch (error) {
        // Throttling is no finding: try that check again shortly.
        if (error instanceof ThrottledError) {
          return running({ results }, 5, `throttled during ${check}; retrying`);
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

async function runCheck(
  ctx: StepContext,
  step: Step,
  check: PreflightCheck,
): Promise<{ ok: boolean; detail: string }> {
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
      };
    }
    case 'recovery-instances':
    case 'original-instances': {
      const region = check === 'recovery-instances' ? recovery : primary;
      const ids = step.servers.map((s) => s.launchInto).filter((id): id is string => Boolean(id));
      const found = new Set(
        (await ctx.services(region).ec2.describe(ids)).map((v) => v.instanceId),
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
    case 'dns-zones': {
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
    }
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
