import { describe, expect, it } from 'vitest';
import type { AdmissionRequest, BudgetLimits } from '../../../orchestrator/domain/admission.ts';
import { parsePlan } from '../../../orchestrator/domain/plan-rules.ts';
import { planRunbook } from '../../../orchestrator/domain/plan-runbook.ts';
import type { StepOf } from '../../../orchestrator/domain/runbook.ts';
import { DEFAULT_SETTINGS } from '../../../orchestrator/domain/settings.ts';
import type { Progress, StepContext } from '../../../orchestrator/steps/context.ts';
import { advanceStep } from '../../../orchestrator/steps/run-step.ts';
import { syntheticPlanDocument } from '../../../sandbox/aws/synthetic-plan.ts';
import { tinyRunbook } from '../../fixtures/report-runs.ts';
import { FakeAdmissionStore } from '../../support/fake-admission.ts';
import { FakeAws } from '../../support/fake-aws.ts';
import { driveStep, type FakeStepContext, fakeStepContext } from '../../support/step-context.ts';

const RECOVERY = 'us-east-2';
const ACCOUNT = '499999999999';
const KEY = { account: ACCOUNT, region: RECOVERY } as const;

/** A customer of `count` servers named `<id>-<i>`, its one wave in batches of `jobs` jobs of `perJob`. */
function customer(id: string, count: number, perJob: number, jobs: number) {
  const doc = syntheticPlanDocument(count);
  const rename = (name: string) => name.replace('big', id);
  const plan = parsePlan(
    {
      ...doc,
      customer: { id, name: id, productLine: 'HRP' },
      servers: (doc.servers as { name: string; drs: { tags: { Name: string } } }[]).map((s) => ({
        ...s,
        name: rename(s.name),
        drs: { tags: { Name: rename(s.name) } },
      })),
      waves: (doc.waves as { name: string; servers: string[] }[]).map((w) => ({
        ...w,
        servers: w.servers.map(rename),
      })),
    },
    id,
  );
  const runbook = planRunbook(plan, 'failover', {
    ...DEFAULT_SETTINGS,
    maxServersPerJob: perJob,
    maxConcurrentJobs: jobs,
  });
  const wave = runbook.steps.find((s): s is StepOf<'recover-wave'> => s.kind === 'recover-wave');
  if (!wave) throw new Error('no wave');
  return { runbook, wave, names: plan.servers.map((s) => s.name) };
}

/** One recovery account whose DRS refuses what `limits` refuse. */
function sharedAws(limits: BudgetLimits, perJob: number): FakeAws {
  return new FakeAws({
    quotas: {
      serversPerJob: perJob,
      concurrentJobs: limits.jobs,
      serversInActiveJobs: limits.servers,
    },
  });
}

interface Run extends FakeStepContext {
  step: StepOf<'recover-wave'>;
  progress?: Progress;
  nextAt: number;
}

function runOf(
  aws: FakeAws,
  store: FakeAdmissionStore,
  limits: BudgetLimits,
  id: string,
  count: number,
  priority: number,
  perJob = count,
): Run {
  const { runbook, wave, names } = customer(id, count, perJob, limits.jobs);
  aws.region(RECOVERY).drs.addServers(names);
  const fake = fakeStepContext(aws, runbook, { executionId: `${id}-run` });
  const ctx: StepContext = {
    ...fake.ctx,
    admission: { store, account: ACCOUNT, priority, limits },
  };
  return { ...fake, ctx, step: wave, nextAt: aws.now() };
}

/** One start or poll of a run, as the engine does it. */
async function advance(aws: FakeAws, run: Run): Promise<Progress> {
  run.progress = await advanceStep(run.ctx, run.step, run.progress?.state);
  run.nextAt = aws.now() + run.progress.waitSeconds * 1000;
  return run.progress;
}

/** Runs every wave to its end, polling whichever is due first, the clock moved to it. */
async function driveAll(aws: FakeAws, runs: Run[], check: () => Promise<void> = async () => {}) {
  for (let polls = 0; polls < 2000; polls += 1) {
    const due = runs
      .filter((r) => r.progress?.status === 'running' || !r.progress)
      .sort((a, b) => a.nextAt - b.nextAt)[0];
    if (!due) return;
    if (due.nextAt > aws.now()) aws.advance((due.nextAt - aws.now()) / 1000);
    await advance(aws, due);
    await check();
  }
  throw new Error('the waves did not end');
}

/** Another run's lease holding room in the budget. */
async function holder(store: FakeAdmissionStore, limits: BudgetLimits, aws: FakeAws, servers = 1) {
  const request: AdmissionRequest = {
    ...KEY,
    runId: 'other-run',
    customerId: 'other',
    priority: 1,
    servers,
    job: 'other-01',
  };
  const decision = await store.acquire(request, limits, aws.now());
  if (decision.kind !== 'grant') throw new Error('the holder got no lease');
  return decision.lease;
}

describe('recoverWave with an admission store', () => {
  it('waits while the account has no room, journals it once, and starts when room frees', async () => {
    // Prepare: another run holds the only job slot for longer than the wave's own timeout
    const limits = { jobs: 1, servers: 100 };
    const aws = sharedAws(limits, 4);
    const store = new FakeAdmissionStore();
    const held = await holder(store, limits, aws);
    const run = runOf(aws, store, limits, 'dmnt', 4, 3);
    // Act: the other run keeps its lease alive while this one waits
    const polls: number[] = [];
    for (let waited = 0; waited < run.step.timeoutSeconds + 600; waited += polls.at(-1) ?? 5) {
      expect((await advance(aws, run)).status).toBe('running');
      polls.push(run.progress?.waitSeconds ?? 0);
      aws.advance(polls.at(-1) ?? 5);
      await store.renew(KEY, held.token, aws.now());
    }
    // a wait of hours at a throttled start's pace would pass a run's 25,000 history events
    expect(new Set(polls)).toEqual(new Set([30]));
    const waitedFrom = run.journaled('admission-waiting');
    expect(aws.region(RECOVERY).drs.jobs).toHaveLength(0);
    await store.release(KEY, held.token, aws.now());
    await driveAll(aws, [run]);
    // Assess
    expect(run.progress?.status, run.progress?.message).toBe('done');
    expect(waitedFrom).toHaveLength(1);
    expect(waitedFrom[0]).toMatchObject({
      message: expect.stringContaining(`account ${ACCOUNT} (${RECOVERY})`),
      data: { account: ACCOUNT, reason: 'jobs', position: 1, wave: run.step.wave },
    });
    expect(run.journaled('admission-granted')).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ servers: expect.any(Array) }) }),
    ]);
    expect(run.journaled('server-healthy')).toHaveLength(4);
    expect((await store.budget(KEY))?.leases).toEqual([]);
  });

  it('holds a lease per running job, renewed past its expiry, freed when DRS completes the job', async () => {
    // Prepare: jobs that run longer than a lease lasts
    const limits = { jobs: 2, servers: 100 };
    const aws = sharedAws(limits, 3);
    aws.region(RECOVERY).drs.launchSeconds = 900;
    aws.region(RECOVERY).drs.completeAfterLaunchSeconds = 300;
    const store = new FakeAdmissionStore();
    const run = runOf(aws, store, limits, 'dmnt', 6, 3, 3);
    const seen: number[] = [];
    // Act
    await driveAll(aws, [run], async () => {
      const live = (await store.budget(KEY))?.leases.filter((l) => l.expiresAt > aws.now()) ?? [];
      const active = aws.region(RECOVERY).drs.jobs.filter((j) => j.endsAt > aws.now());
      // Every job DRS counts holds a live lease
      expect(live.length).toBeGreaterThanOrEqual(active.length);
      seen.push(live.length);
    });
    // Assess
    expect(run.progress?.status, run.progress?.message).toBe('done');
    expect(Math.max(...seen)).toBe(2);
    expect((await store.budget(KEY))?.leases).toEqual([]);
  });

  it('a higher priority waiting is not overtaken by a lower one, even one that asks when room frees', async () => {
    // Prepare: one job slot held by another run; the priority-1 customer asks first
    const limits = { jobs: 1, servers: 100 };
    const aws = sharedAws(limits, 2);
    const store = new FakeAdmissionStore();
    const held = await holder(store, limits, aws);
    const urgent = runOf(aws, store, limits, 'bcbsaz', 2, 1);
    const later = runOf(aws, store, limits, 'dmnt', 2, 5);
    await advance(aws, urgent);
    aws.advance(1);
    await advance(aws, later);
    // Act: room frees, and the priority-5 run polls first
    await store.release(KEY, held.token, aws.now());
    aws.advance(5);
    await advance(aws, later);
    const startedBeforeUrgent = aws.region(RECOVERY).drs.jobs.length;
    await advance(aws, urgent);
    await driveAll(aws, [urgent, later]);
    // Assess
    expect(startedBeforeUrgent).toBe(0);
    expect(later.journaled('admission-waiting')).toEqual([
      expect.objectContaining({
        data: expect.objectContaining({ reason: 'queued', position: 2, behind: 'bcbsaz' }),
      }),
    ]);
    const jobs = aws.region(RECOVERY).drs.jobs;
    expect(jobs[0]?.sourceServerIds).toEqual(['s-bcbsaz-0', 's-bcbsaz-1']);
    expect(urgent.progress?.status).toBe('done');
    expect(later.progress?.status).toBe('done');
  });

  it('two customers sharing one account stay within its quotas: DRS refuses nothing, both complete', async () => {
    // Prepare: 3 jobs, 8 servers in active jobs; 10 and 7 servers in jobs of up to 3
    const limits = { jobs: 3, servers: 8 };
    const aws = sharedAws(limits, 3);
    const store = new FakeAdmissionStore();
    const runs = [
      runOf(aws, store, limits, 'bcbsaz', 10, 2, 3),
      runOf(aws, store, limits, 'dmnt', 7, 4, 3),
    ];
    // Act: a quota refusal throws out of the step
    await driveAll(aws, runs);
    // Assess
    for (const run of runs) expect(run.progress?.status, run.progress?.message).toBe('done');
    const { drs } = aws.region(RECOVERY);
    expect(drs.peak.jobs).toBeLessThanOrEqual(3);
    expect(drs.peak.servers).toBeLessThanOrEqual(8);
    expect([...drs.launchCounts().values()].every((n) => n === 1)).toBe(true);
    expect(drs.launchCounts().size).toBe(17);
  });

  it('gives a server relaunched on another instance type a lease of its own: DRS refuses nothing', async () => {
    // Prepare: one job at a time; no capacity for the job's first server's type; jobs complete late
    const runbook = await tinyRunbook('failover', (raw) => {
      const servers = raw.servers as Record<string, unknown>[];
      const app1 = servers.find((s) => s.name === 'tiny-app-01');
      if (app1) app1.alternativeInstanceTypes = ['m6i.xlarge'];
    });
    const wave = runbook.steps.find(
      (s): s is StepOf<'recover-wave'> => s.kind === 'recover-wave' && s.wave === 'application',
    );
    if (!wave) throw new Error('no application wave');
    const aws = new FakeAws({
      quotas: { serversPerJob: 100, concurrentJobs: 1, serversInActiveJobs: 10 },
    });
    const { drs, ec2 } = aws.region(RECOVERY);
    drs.addServers(['tiny-app-01', 'tiny-app-02']);
    drs.completeAfterLaunchSeconds = 300;
    ec2
      .addInstances(['i-0b000000000000002', 'i-0b000000000000003'], 'stopped')
      .typeInstances('m5.xlarge', 'i-0b000000000000002')
      .typeInstances('r6i.4xlarge', 'i-0b000000000000003');
    drs.noCapacityOf('m5.xlarge');
    const store = new FakeAdmissionStore();
    const fake = fakeStepContext(aws, runbook);
    const ctx: StepContext = {
      ...fake.ctx,
      admission: { store, account: ACCOUNT, priority: 3, limits: { jobs: 1, servers: 10 } },
    };
    // Act: a quota refusal would throw out of the step
    const { progress } = await driveStep(aws, ctx, wave);
    // Assess
    expect(progress.status, progress.message).toBe('done');
    expect(drs.jobs.map((j) => j.sourceServerIds)).toEqual([
      ['s-tiny-app-01', 's-tiny-app-02'],
      ['s-tiny-app-01'],
    ]);
    expect(drs.peak.jobs).toBe(1);
    expect(fake.journaled('admission-waiting')).toHaveLength(1);
    expect((await store.budget(KEY))?.leases).toEqual([]);
  });
});
