import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { FilePlanSource } from '../../orchestrator/adapters/config-files.ts';
import { buildReport } from '../../orchestrator/domain/build-report.ts';
import { entriesOf } from '../../orchestrator/domain/journal.ts';
import { LocalAws } from '../../sandbox/aws/local-aws.ts';
import { syntheticAccountId, writeSyntheticEstate } from '../../sandbox/aws/synthetic-estate.ts';
import { LocalOrchestrator, localStateStore } from '../../sandbox/orchestrator.ts';
import { SAMPLE_SETTINGS } from '../helpers.ts';
import { ms } from './run-helpers.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** A DRS budget small enough to bind: two jobs of at most 8 servers, 12 servers in jobs at once. */
const LIMITS = { maxConcurrentJobs: 2, maxServersInActiveJobs: 12, maxServersPerJob: 8 };
const REGION_WIDE = {
  channel: 'C0DROPS',
  requesters: ['U01ALICE'],
  approvers: ['U02BOB', 'U04DAVE'],
  approvals: 2,
  executionRegions: ['us-west-2', 'us-east-2'],
};
/** The customer drilling when the region goes, the one whose server fails to launch, one short of capacity. */
const DRILLING = 'cust-03';
const LAUNCH_FAILS = 'cust-04';
const SHORT = 'cust-02';

async function world() {
  const plansDir = await mkdtemp(join(tmpdir(), 'lifeboat-incident-plans-'));
  await writeSyntheticEstate(plansDir, {
    customers: 6,
    accounts: 2,
    sizes: [4, 6],
    mean: 5,
    afterEdges: 1,
    seed: 5,
  });
  // The recovery region is short of the database type: every database server has an alternative.
  for (const file of await readdir(plansDir)) {
    const doc = parse(await readFile(join(plansDir, file), 'utf8'));
    for (const server of doc.servers)
      if (server.role === 'database') server.alternativeInstanceTypes = ['r6i.8xlarge'];
    await writeFile(join(plansDir, file), stringify(doc));
  }
  const settings = parse(await readFile(SAMPLE_SETTINGS, 'utf8'));
  const settingsFile = join(
    await mkdtemp(join(tmpdir(), 'lifeboat-incident-config-')),
    'defaults.yaml',
  );
  await writeFile(settingsFile, stringify({ ...settings, ...LIMITS, regionWide: REGION_WIDE }));
  const source = new FilePlanSource(plansDir);
  return { plansDir, settingsFile, source, plans: await source.loadAll() };
}

describe('a region-wide failover of us-east-1', () => {
  it('recovers every plan from one approved request: shared services first, priorities and DRS budgets kept, a drill under way continued as a failover, a launch failure decided in its own run, a capacity shortage met by the alternative type, RTO and RPO equal to the truth', async () => {
    // Prepare
    const { plansDir, settingsFile, source, plans } = await world();
    const aws = new LocalAws({ plans, speed: 0, seed: 1 });
    // DRS itself enforces the lowered budget: a start beyond it would be a refusal in the truth.
    aws.estate.drsQuotas = {
      serversPerJob: LIMITS.maxServersPerJob,
      concurrentJobs: LIMITS.maxConcurrentJobs,
      serversInActiveJobs: LIMITS.maxServersInActiveJobs,
    };
    await aws.start();
    const reportDir = await mkdtemp(join(tmpdir(), 'lifeboat-incident-reports-'));
    const events: string[] = [];
    try {
      const orchestrator = new LocalOrchestrator({
        aws,
        plansDir,
        settingsFile,
        reportDir,
        time: 'stepped',
        answers: {
          approveAs: ['U02BOB', 'U04DAVE'],
          signOffAs: 'U03CAROL',
          manualAs: 'U01ALICE',
          onFailure: 'continue',
        },
        onEvent: (line) => events.push(line),
      });
      await orchestrator.configure();
      const store = localStateStore(aws);
      // A drill of one customer, started before the region goes, reaches its first wave.
      const drillId = `drill-${DRILLING}-before`;
      await orchestrator.start('us-east-2', drillId, {
        customerId: DRILLING,
        operation: 'drill',
        requestedBy: 'U01ALICE',
        channel: 'C0CUST03',
      });
      for (let i = 0; i < 2400; i++) {
        const steps = await store.getSteps(drillId).catch(() => new Map());
        if (
          [...steps.values()].some(
            (s) => s.stepId.startsWith('failover.wave') && s.status === 'done',
          )
        )
          break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // The region goes; a server fails to launch; the recovery region lacks one type.
      aws.addFault('region-down:us-east-1');
      const failing = plans.find((p) => p.customer.id === LAUNCH_FAILS)?.servers[0]?.name;
      aws.addFault(`launch-fail:${failing}`);
      aws.addFault('capacity:r6i.4xlarge:us-east-2');

      // Act: alice asks for the whole region; bob and dave approve (the local approvers)
      const incidents = await orchestrator.wiring.incidents({
        starter: orchestrator,
        tokens: orchestrator,
      });
      const requested = await incidents.requestRegionFailover({
        region: 'us-east-1',
        requestedBy: 'U01ALICE',
        reason: 'us-east-1 is down',
        channel: 'C0DROPS',
      });
      await orchestrator.settled(requested.incidentId);
      await orchestrator.settled(drillId);

      // Assess: the incident succeeded, every plan of us-east-1 took part
      const incident = await incidents.getIncident(requested.incidentId);
      expect(incident.plans.map((p) => p.customerId).sort()).toEqual(
        plans.map((p) => p.customer.id).sort(),
      );
      expect(
        incident.plans.map((p) => `${p.customerId}:${p.state}`),
        events.join('\n'),
      ).toEqual(incident.plans.map((p) => `${p.customerId}:succeeded`));
      expect(incident.approvedBy.sort()).toEqual(['U02BOB', 'U04DAVE']);
      // The drill under way was followed, not started again, and ended as a failover
      const drilling = incident.plans.find((p) => p.customerId === DRILLING);
      expect(drilling?.executionId).toBe(drillId);
      expect(drilling?.existing?.handling).toBe('continue-as-failover');
      const drill = await store.getExecution(drillId);
      expect(drill.convertedToFailover?.incidentId).toBe(requested.incidentId);
      // as a failover: replicating back to the lost region was tried, not a decision to wait on
      const drillJournal = await store.journal(drillId);
      expect(entriesOf(drillJournal, 'gate-opened').map((e) => e.data.kind)).not.toContain(
        'decision',
      );
      expect(entriesOf(drillJournal, 'best-effort-failed').length).toBeGreaterThan(0);
      // after: every customer started once the shared services had recovered
      const shared = incident.plans.find((p) => p.kind === 'shared-services');
      // (the drill already under way was not started by the incident: it went on)
      const waiting = incident.plans.filter(
        (p) => !p.existing && p.waitsFor.some((w) => w.plan === shared?.customerId),
      );
      expect(waiting.length).toBeGreaterThan(0);
      for (const plan of waiting)
        expect(
          plan.startedAt ?? 0,
          `${plan.customerId} started ${new Date(plan.startedAt ?? 0).toISOString()}, ${shared?.customerId} ended ${new Date(shared?.endedAt ?? 0).toISOString()}: ${events
            .filter((e) => /incident|Customer|Shared/.test(e))
            .join('; ')
            .slice(0, 1500)}`,
        ).toBeGreaterThanOrEqual(shared?.endedAt ?? Number.POSITIVE_INFINITY);
      // No DRS quota refusal, no server launched twice, the budget never exceeded
      const truth = aws.estate.truth;
      const launches = truth.filter((e) => e.type === 'recovery-launched');
      expect(new Set(launches.map((e) => e.server)).size).toBe(launches.length);
      expect(truth.filter((e) => e.type === 'drs-quota-refused')).toEqual([]);
      for (const account of [syntheticAccountId(1), syntheticAccountId(2)]) {
        const jobs = truth.filter((e) => e.type === 'drs-job' && e.account === account);
        expect(jobs.length).toBeGreaterThan(0);
        for (const job of jobs)
          expect((job.servers as string[]).length).toBeLessThanOrEqual(LIMITS.maxServersPerJob);
      }
      // The launch failure was decided in its own run; the capacity shortage met by the alternative
      const failed = incident.plans.find((p) => p.customerId === LAUNCH_FAILS);
      const failedJournal = await store.journal(String(failed?.executionId));
      expect(entriesOf(failedJournal, 'gate-opened').some((e) => e.data.kind === 'decision')).toBe(
        true,
      );
      const shortRun = incident.plans.find((p) => p.customerId === SHORT);
      const changed = entriesOf(
        await store.journal(String(shortRun?.executionId)),
        'instance-type-changed',
      );
      expect(changed.length).toBeGreaterThan(0);
      expect(new Set(changed.map((e) => `${e.data.from}->${e.data.to}`))).toEqual(
        new Set(['r6i.4xlarge->r6i.8xlarge']),
      );
      // Each child's RTO and RPO against the truth, within one simulated second
      const disruption = incident.createdAt;
      for (const plan of incident.plans) {
        const id = String(plan.executionId);
        const [execution, journal, steps, loaded] = await Promise.all([
          store.getExecution(id),
          store.journal(id),
          store.getSteps(id),
          source.loadPlan(plan.customerId),
        ]);
        const report = buildReport({
          execution,
          journal,
          steps,
          customerName: plan.name,
          now: Date.now(),
        });
        const names = new Set(loaded.plan.servers.map((s) => s.name));
        const mine = launches.filter(
          (e) => names.has(String(e.server)) && e.region === 'us-east-2',
        );
        for (const server of report.rpo.perServer) {
          const truthOf = mine.find((e) => e.server === server.server);
          if (!truthOf || server.seconds === null) continue;
          const from = plan.customerId === DRILLING ? ms(report.disruption?.at) : disruption;
          expect(
            Math.abs(server.seconds - Math.max(0, (from - ms(truthOf.dataAt)) / 1000)),
            `${plan.customerId} ${server.server}`,
          ).toBeLessThanOrEqual(1);
        }
        if (plan.customerId !== DRILLING)
          expect(ms(report.disruption?.at), plan.customerId).toBe(disruption);
      }
    } finally {
      await aws.stop();
    }
  }, 420_000);
});
