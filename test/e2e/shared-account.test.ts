import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { defaultAnswers, firstPerson } from '../../cli/run.ts';
import { FilePlanSource } from '../../orchestrator/adapters/config-files.ts';
import { entriesOf } from '../../orchestrator/domain/journal.ts';
import { PLAN_TAG_KEY } from '../../orchestrator/domain/workload-access.ts';
import { LocalAws } from '../../sandbox/aws/local-aws.ts';
import { LocalOrchestrator, localStateStore } from '../../sandbox/orchestrator.ts';
import { SAMPLE_PLANS, SAMPLE_SETTINGS } from '../helpers.ts';
import { ms } from './run-helpers.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const CUSTOMERS = ['bcbsaz', 'nwhealth'] as const;
/** The recovery account both customers share (bcbsaz's). */
const SHARED = {
  id: '410000000101',
  roleName: 'LifeboatExecution',
  externalId: 'a54797ec5e073652af569e40f9e45ccb',
};
/** Each wave alone launches in one round (its plan's timeout allows no more); two at once do not fit. */
const LIMITS = { maxConcurrentJobs: 2, maxServersInActiveJobs: 24, maxServersPerJob: 12 };

/** The two plans recovering into one account, and runbook defaults whose DRS budget binds. */
async function sharedWorld(): Promise<{ plansDir: string; settingsFile: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'lifeboat-shared-'));
  for (const id of CUSTOMERS) {
    const doc = parse(await readFile(join(SAMPLE_PLANS, `${id}.yaml`), 'utf8'));
    await writeFile(join(dir, `${id}.yaml`), stringify({ ...doc, account: SHARED }));
  }
  const settings = parse(await readFile(SAMPLE_SETTINGS, 'utf8'));
  const settingsFile = join(
    await mkdtemp(join(tmpdir(), 'lifeboat-shared-config-')),
    'defaults.yaml',
  );
  await writeFile(settingsFile, stringify({ ...settings, ...LIMITS }));
  return { plansDir: dir, settingsFile };
}

/** The most DRS jobs, and servers in them, active at once in one account and region, from the truth. */
function peakUse(truth: LocalAws['estate']['truth'], account: string, region: string) {
  const ends = new Map<string, number>();
  for (const e of truth)
    if (e.type === 'recovery-launched' || e.type === 'recovery-failed')
      ends.set(String(e.jobId), Math.max(ends.get(String(e.jobId)) ?? 0, ms(e.at)));
  const jobs = truth
    .filter((e) => e.type === 'drs-job' && e.account === account && e.region === region)
    .map((e) => ({
      start: ms(e.at),
      end: ends.get(String(e.jobId)) ?? Number.POSITIVE_INFINITY,
      servers: (e.servers as string[]).length,
    }));
  let peak = { jobs: 0, servers: 0 };
  for (const { start } of jobs) {
    const active = jobs.filter((j) => j.start <= start && j.end > start);
    peak = {
      jobs: Math.max(peak.jobs, active.length),
      servers: Math.max(
        peak.servers,
        active.reduce((n, j) => n + j.servers, 0),
      ),
    };
  }
  return { peak, jobs: jobs.length };
}

describe('two customers failing over at once into one recovery account', () => {
  it('share its DRS budget: never more jobs or servers in jobs than the settings allow, nothing refused, both complete', async () => {
    // Prepare
    const { plansDir, settingsFile } = await sharedWorld();
    const source = new FilePlanSource(plansDir);
    const plans = await source.loadAll();
    const aws = new LocalAws({ plans, speed: 0, seed: 1 });
    await aws.start();
    const reportDir = await mkdtemp(join(tmpdir(), 'lifeboat-shared-reports-'));
    try {
      const runs = await Promise.all(
        CUSTOMERS.map(async (customerId, i) => {
          const { plan } = await source.loadPlan(customerId);
          const requestedBy = firstPerson(plan.access.requesters) ?? 'U0LOCAL';
          const orchestrator = new LocalOrchestrator({
            aws,
            plansDir,
            settingsFile,
            reportDir,
            time: 'stepped',
            answers: defaultAnswers(plan, 'failover', requestedBy, {}),
          });
          const executionName = `failover-${customerId}-${i}`;
          return { customerId, executionName, orchestrator, requestedBy };
        }),
      );
      // Act: both at once, in one local world
      await Promise.all(
        runs.map((r) =>
          r.orchestrator.run({
            customerId: r.customerId,
            operation: 'failover',
            requestedBy: r.requestedBy,
            executionName: r.executionName,
          }),
        ),
      );
      // Assess
      const store = localStateStore(aws);
      for (const r of runs) {
        const journal = await store.journal(r.executionName);
        const finished = entriesOf(journal, 'execution-finished')[0];
        expect(finished?.data.outcome, `${r.customerId}: ${finished?.data.reason}`).toBe(
          'succeeded',
        );
        // A DRS refusal would have failed a wave step
        expect(
          entriesOf(journal, 'step-finished').filter((e) => e.data.status === 'failed'),
        ).toEqual([]);
        expect(entriesOf(journal, 'server-failed')).toEqual([]);
      }
      const { peak, jobs } = peakUse(aws.estate.truth, SHARED.id, 'us-east-2');
      expect(peak.jobs).toBeLessThanOrEqual(LIMITS.maxConcurrentJobs);
      expect(peak.servers).toBeLessThanOrEqual(LIMITS.maxServersInActiveJobs);
      // The budget bound: a job waited for room, journaled in its own run
      const waits = await Promise.all(
        runs.map(async (r) => entriesOf(await store.journal(r.executionName), 'admission-waiting')),
      );
      expect(waits.flat().length).toBeGreaterThan(0);
      expect(jobs).toBeGreaterThan(LIMITS.maxConcurrentJobs);
      const launches = aws.estate.truth.filter((e) => e.type === 'recovery-launched');
      expect(new Set(launches.map((e) => e.server)).size).toBe(launches.length);
    } finally {
      await aws.stop();
    }
  }, 240_000);
});

describe('a run in a recovery account shared with another plan', () => {
  it("cannot recover the other plan's source server that its plan names: the role, acting for the run's plan only, answers AccessDenied", async () => {
    // Prepare: bcbsaz's plan names, as its first server, a source server onboarding tagged for
    // nwhealth (a plan of the same account, so a role scoped to the account's plans would allow it)
    const { plansDir, settingsFile } = await sharedWorld();
    const source = new FilePlanSource(plansDir);
    const aws = new LocalAws({ plans: await source.loadAll(), speed: 0, seed: 1 });
    await aws.start();
    try {
      const home = [...aws.estate.servers.values()].find((s) => s.customerId === 'bcbsaz');
      const sourceServerId = home?.sourceServerId ?? '';
      const drs = aws.services.get('drs') as unknown as {
        state: { sources: Map<string, { tags: Record<string, string> }> };
      };
      const server = drs.state.sources.get(sourceServerId);
      if (!server) throw new Error(`no source server ${sourceServerId}`);
      server.tags = { ...server.tags, [PLAN_TAG_KEY]: 'nwhealth' };
      const { plan } = await source.loadPlan('bcbsaz');
      const requestedBy = firstPerson(plan.access.requesters) ?? 'U0LOCAL';
      const orchestrator = new LocalOrchestrator({
        aws,
        plansDir,
        settingsFile,
        reportDir: await mkdtemp(join(tmpdir(), 'lifeboat-shared-reports-')),
        time: 'stepped',
        answers: defaultAnswers(plan, 'failover', requestedBy, {}),
      });
      const executionName = 'failover-bcbsaz-names-nwhealth';
      // Act
      await orchestrator.run({
        customerId: 'bcbsaz',
        operation: 'failover',
        requestedBy,
        executionName,
      });
      // Assess: refused by IAM, naming the role, the action and the server; nothing of it launched
      const journal = await localStateStore(aws).journal(executionName);
      expect(entriesOf(journal, 'execution-finished')[0]?.data.outcome).toBe('aborted');
      const said = journal.map((e) => e.message).join('\n');
      expect(said).toMatch(/AccessDeniedException/);
      expect(said).toMatch(
        new RegExp(
          `assumed-role/LifeboatExecution/\\S+ is not authorized to perform: drs:\\w+ on resource: arn:aws:drs:us-east-2:${SHARED.id}:source-server/${sourceServerId}`,
        ),
      );
      expect(
        aws.estate.truth.filter(
          (e) => e.type === 'drs-job' && (e.servers as string[]).includes(sourceServerId),
        ),
      ).toEqual([]);
      expect(aws.iam?.stats.denied).toBeGreaterThan(0);
    } finally {
      await aws.stop();
    }
  }, 240_000);
});
