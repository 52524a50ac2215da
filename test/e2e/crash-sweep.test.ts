import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { defaultAnswers, firstPerson } from '../../cli/run.ts';
import { FilePlanSource } from '../../orchestrator/adapters/config-files.ts';
import { GateAnswerError, OperationInProgressError } from '../../orchestrator/domain/errors.ts';
import type { GateDecision, GateKind } from '../../orchestrator/domain/execution.ts';
import { entriesOf } from '../../orchestrator/domain/journal.ts';
import { ReportSchema } from '../../orchestrator/domain/report.ts';
import type { RunControl, StartRunRequest } from '../../orchestrator/ports/run-control.ts';
import { renderHtml } from '../../orchestrator/report/render-html.ts';
import { renderMarkdown } from '../../orchestrator/report/render-markdown.ts';
import { TOOLING_ACCOUNT } from '../../sandbox/aws/accounts.ts';
import type { TruthEvent } from '../../sandbox/aws/estate.ts';
import { LocalAws } from '../../sandbox/aws/local-aws.ts';
import type { S3Service } from '../../sandbox/aws/services/s3.ts';
import { LocalOrchestrator, localStateStore } from '../../sandbox/orchestrator.ts';
import { FIXTURES, SAMPLE_SETTINGS } from '../helpers.ts';
import { crashyTruth, ms, run } from './run-helpers.ts';

/**
 * A crash after every AWS call (issue 17): a task Lambda that dies right before one of a run's
 * mutating calls reaches AWS, or right after it took effect, is run again by the state machine,
 * and the run ends as it would have without the crash, with every effect once.
 *
 * Every call of a run costs the same few polls, so the sweep puts one crash fault per call kind
 * and position in force at once: each fault fires once, at its own call (its n-th of that
 * operation), and the truth shows each fired. Two drills swap before and after between the first
 * and a later call of each operation; a bubble drill covers the drill instances' termination.
 * `LIFEBOAT_CRASH_SWEEP=each` runs every crash point in a drill of its own instead (minutes).
 */

const PLANS = join(FIXTURES, 'plans', 'crash');
const RECOVERY = 'us-east-2';
const PRIMARY = 'us-east-1';
/** crashy's servers' instances in the primary region: stopping them begins the disruption. */

/** Each mutating call of crashy's drill, and how many times a drill without crashes makes it. */
const DRILL_CALLS: [call: string, times: number][] = [
  ['ec2:StopInstances', 2],
  ['drs:UpdateLaunchConfiguration', 6],
  ['drs:StartRecovery', 4],
  ['route53-recovery-cluster:UpdateRoutingControlStates', 2],
  ['route53:ChangeResourceRecordSets', 4],
  ['ssm:SendCommand', 6],
  ['lambda:Invoke', 2],
  ['cloudformation:CreateStack', 1],
  ['cloudformation:DeleteStack', 1],
  ['drs:ReverseReplication', 6],
];

/** Crash points as faults: one drill crashes after each first call and before each last one, the other the other way round. */
function crashPoints(order: 'after-first' | 'before-first'): string[] {
  const [first, later] =
    order === 'after-first' ? ['crash-after', 'crash-before'] : ['crash-before', 'crash-after'];
  return DRILL_CALLS.flatMap(([call, times]) => {
    const at = order === 'after-first' ? times : Math.ceil(times / 2) + 1;
    return [`${first}:${call}`, ...(times > 1 && at > 1 ? [`${later}:${call}:${at}`] : [])];
  });
}

/** What the run did to the world, from the truth: one line per effect, sorted. */
function effects(truth: TruthEvent[]): string[] {
  const lines = truth.flatMap((e): string[] => {
    switch (e.type) {
      case 'instance-stop':
        return [`stop ${e.instanceId}`];
      case 'drs-job':
        return [`job ${e.region} ${(e.servers as string[]).join(',')}`];
      case 'recovery-launched':
        return [`launch ${e.region} ${e.server}`];
      case 'instance-terminate':
        return [`terminate ${e.instanceId}`];
      case 'routing-control':
        return [`routing ${e.name} ${e.state}`];
      case 'ssm-command':
        return [`ssm ${e.region} ${e.document} ${(e.instanceIds as string[]).join(',')}`];
      case 'lambda-invoke':
        // A hook function given the same idempotency key again runs nothing again.
        return e.replayed ? [] : [`lambda ${e.region} ${e.function}`];
      case 'stack-deploy':
        return [`stack ${e.action} ${e.stackName}`];
      case 'stack-delete':
        return [`stack delete ${e.stackName}`];
      case 'reverse-replication':
        return [`reverse ${e.recoveryInstanceId}`];
      default:
        return [];
    }
  });
  return [...lines, ...recordChanges(truth)].sort();
}

/**
 * Each record's values as they changed, in order: an UPSERT sent again with the same values (a
 * task run again after a crash, to learn when the change is INSYNC) changes no answer.
 */
function recordChanges(truth: TruthEvent[]): string[] {
  const held = new Map<string, string>();
  const lines: string[] = [];
  for (const e of truth.filter((t) => t.type === 'dns-change')) {
    for (const change of e.changes as { name: string; type: string; values: string[] }[]) {
      const record = `${e.zoneId} ${change.name} ${change.type}`;
      const values = change.values.join(',');
      if (held.get(record) === values) continue;
      held.set(record, values);
      lines.push(`dns ${record} ${values}`);
    }
  }
  return lines;
}

/** The crash faults that fired, as their calls: `crash-after:drs:StartRecovery`. */
function crashesOf(truth: TruthEvent[]): string[] {
  return truth
    .filter((e) => e.type === 'task-crash')
    .map((e) => `${e.kind}:${e.service}:${e.operation}`)
    .sort();
}

const drill = (faults: string[] = []) => run('drill', 'crashy', { fault: faults }, PLANS);
type Drill = Awaited<ReturnType<typeof drill>>;

/** The report's RTO and RPO against the simulator's ground truth, and every server recovered both ways. */
function expectReportEqualsTruth(result: {
  summary: Pick<Drill['summary'], 'waves' | 'rto' | 'rpo'>;
  truth: TruthEvent[];
}): void {
  const { summary, truth } = result;
  for (const direction of ['to-recovery', 'to-primary']) {
    const servers = summary.waves
      .filter((w) => w.direction === direction)
      .flatMap((w) => w.servers);
    expect(servers.map((s) => s.status)).toEqual(['recovered', 'recovered', 'recovered']);
  }
  const { rto, rpo } = crashyTruth(truth, RECOVERY);
  expect(Math.abs((summary.rto.seconds ?? 0) - rto)).toBeLessThanOrEqual(1);
  expect(Math.abs((summary.rpo.seconds ?? 0) - rpo)).toBeLessThanOrEqual(1);
}

/** Each server launched exactly once per direction: into the recovery region, then back. */
function expectEachLaunchedOnce(truth: TruthEvent[]): void {
  for (const region of [RECOVERY, PRIMARY]) {
    const servers = truth
      .filter((e) => e.type === 'recovery-launched' && e.region === region)
      .map((e) => e.server)
      .sort();
    expect(servers, region).toEqual(['crashy-app-01', 'crashy-app-02', 'crashy-db-01']);
  }
}

/**
 * What crashy's drill does to the world, each once: what a drill without crashes does (the test
 * below checks it when the whole sweep is asked for; a drill saved keeps the sweep in budget).
 */
function drillEffects(): string[] {
  const instance = (side: 'a' | 'b', n: number) => `i-0c0000000000000${side}${n}`;
  const servers = ['crashy-db-01', 'crashy-app-01', 'crashy-app-02'];
  const sides = [
    {
      region: RECOVERY,
      side: 'b',
      target: 'use2',
      on: 'crashy-us-east-2',
      off: 'crashy-us-east-1',
    },
    { region: PRIMARY, side: 'a', target: 'use1', on: 'crashy-us-east-1', off: 'crashy-us-east-2' },
  ] as const;
  return [
    ...sides.flatMap(({ region, side, target, on, off }) => [
      ...servers.flatMap((name, i) => [
        `stop ${instance(side === 'b' ? 'a' : 'b', i + 1)}`,
        `launch ${region} ${name}`,
        `reverse ${instance(side, i + 1)}`,
      ]),
      `job ${region} crashy-db-01`,
      `job ${region} crashy-app-01,crashy-app-02`,
      `ssm ${region} Lifeboat-DbPing ${instance(side, 1)}`,
      `ssm ${region} Lifeboat-DbReconfig ${instance(side, 1)}`,
      `ssm ${region} Lifeboat-CrashySmoke ${instance(side, 2)}`,
      `routing ${on} On`,
      `routing ${off} Off`,
      ...['Z09CRASHYUSE1', 'Z09CRASHYUSE2'].map(
        (zone) => `dns ${zone} api.crashy.gc.internal. CNAME api-${target}.crashy.example.internal`,
      ),
    ]),
    'lambda us-east-2 lifeboat-eks-scale',
    'lambda us-east-2 lifeboat-eks-scale',
    'stack create lifeboat-crashy-cache-dr',
    // No stack delete: the failback's teardown runs in the region failed back to (us-east-1),
    // where the stack the failover made (in us-east-2) is not; DeleteStack there changes nothing.
  ].sort();
}

describe('a crash after every AWS call of a drill', () => {
  it.runIf(process.env.LIFEBOAT_CRASH_SWEEP)(
    'without crashes: each effect once, each server launched once per direction, the report equal to the truth',
    async () => {
      // Act
      const clean = await drill();
      // Assess
      expect(clean.summary.outcome).toBe('succeeded');
      expect(crashesOf(clean.truth)).toEqual([]);
      expect(effects(clean.truth)).toEqual(drillEffects());
      expectEachLaunchedOnce(clean.truth);
      expectReportEqualsTruth(clean);
    },
    120_000,
  );

  const bundles =
    process.env.LIFEBOAT_CRASH_SWEEP === 'each'
      ? [...crashPoints('after-first'), ...crashPoints('before-first')].map((f) => [f])
      : [crashPoints('after-first'), crashPoints('before-first')];
  it.each(
    bundles.map(
      (faults) =>
        [faults.length === 1 ? faults[0] : `${faults.length} crash points`, faults] as const,
    ),
  )(
    '%s: the run ends as without them, each server launched once per direction, every effect once, the report equal to the truth',
    async (_, faults) => {
      // Act
      const crashed = await drill(faults);
      // Assess: every crash fired, at its own call
      expect(crashesOf(crashed.truth)).toEqual(faults.map((f) => f.replace(/:\d+$/, '')).sort());
      expect(crashed.summary.outcome).toBe('succeeded');
      expectEachLaunchedOnce(crashed.truth);
      expect(effects(crashed.truth)).toEqual(drillEffects());
      expectReportEqualsTruth(crashed);
    },
    180_000,
  );
});

/** The region's report bucket, as infra names it in the tooling account. */
const REPORT_BUCKET = `lifeboat-reports-${TOOLING_ACCOUNT}-${RECOVERY}`;
/** How long a dead task Lambda takes to be run again in AWS: its timeout, then the retry's wait. */
const CRASH_RETRY_MS = 65_000;

describe('a crash in the report write, to the report bucket', () => {
  it('writes each report key again with the same bytes, the run ending as without the crashes, nothing else twice', async () => {
    // Prepare: crashy's drill writing its report through the S3 report store to the local S3, as
    // in AWS. The report is three PutObject calls at once: the task dies after the first took
    // effect, the task run again dies before its first (the 4th) reaches S3, the third writes.
    const faults = ['crash-after:s3:PutObject', 'crash-before:s3:PutObject:4'];
    const source = new FilePlanSource(PLANS);
    const { plan } = await source.loadPlan('crashy');
    const aws = await new LocalAws({
      plans: await source.loadAll(),
      speed: 0,
      seed: 1,
      faults,
    }).start();
    // Stepped time retries at once; in AWS a dead task is run again after its timeout.
    aws.onCrash(() => aws.clock.advance(CRASH_RETRY_MS));
    const requestedBy = firstPerson(plan.access.requesters) ?? 'U0LOCAL';
    const orchestrator = new LocalOrchestrator({
      aws,
      plansDir: PLANS,
      settingsFile: SAMPLE_SETTINGS,
      reportDir: await mkdtemp(join(tmpdir(), 'lifeboat-crash-report-')),
      reportBucket: REPORT_BUCKET,
      time: 'stepped',
      answers: defaultAnswers(plan, 'drill', requestedBy, {}),
    });
    const executionId = `drill-crashy-${aws.clock.now()}`;
    try {
      // Act
      const final = (await orchestrator.run({
        customerId: 'crashy',
        operation: 'drill',
        requestedBy,
        executionName: executionId,
      })) as { result: { outcome: string; reportFiles: Record<string, string> } };
      // Assess: both crashes fired, and the run ended as a drill without them
      const truth = aws.estate.truth;
      expect(crashesOf(truth)).toEqual(['crash-after:s3:PutObject', 'crash-before:s3:PutObject']);
      expect(final.result.outcome).toBe('succeeded');
      expectEachLaunchedOnce(truth);
      expect(effects(truth)).toEqual(drillEffects());
      // ... the report step started once: the task run again journals no second start
      const journal = await localStateStore(aws).journal(executionId);
      const started = entriesOf(journal, 'step-started').filter((e) => e.data.kind === 'report');
      expect(started).toHaveLength(1);
      // Assess: the bucket holds the report's three keys and nothing else
      const keyOf = (uri: string | undefined) => String(uri).replace(`s3://${REPORT_BUCKET}/`, '');
      const { reportFiles } = final.result;
      const s3 = aws.services.get('s3') as S3Service;
      const objects = s3.state.bucket(TOOLING_ACCOUNT, RECOVERY, REPORT_BUCKET).objects;
      expect([...objects.keys()].sort()).toEqual(Object.values(reportFiles).map(keyOf).sort());
      // ... a key written again under object lock keeps each version (none is overwritten):
      // harmless, as each version of a key holds the same bytes, the first write's, each locked
      const puts = truth.filter((e) => e.type === 's3-put-object');
      expect(puts.length).toBeGreaterThan(objects.size);
      for (const [key, versions] of objects) {
        expect(versions.map((v) => v.versionId).sort(), key).toEqual(
          puts
            .filter((e) => e.key === key)
            .map((e) => e.versionId)
            .sort(),
        );
        expect(new Set(versions.map((v) => v.body.toString('utf8'))).size, key).toBe(1);
        expect(versions.every((v) => v.lock?.mode === 'GOVERNANCE' && !v.deleteMarker)).toBe(true);
      }
      // ... and the three are one report, equal to the truth
      const current = (uri: string | undefined) =>
        objects.get(keyOf(uri))?.at(-1)?.body.toString('utf8') ?? '';
      const report = ReportSchema.parse(JSON.parse(current(reportFiles.json)));
      expect(report.outcome).toBe('succeeded');
      expectReportEqualsTruth({ summary: report, truth });
      expect(current(reportFiles.markdown)).toBe(renderMarkdown(report));
      expect(current(reportFiles.html)).toBe(renderHtml(report));
    } finally {
      await aws.stop();
    }
  }, 60_000);
});

/** crashy without its SSM hooks and checks, for the bubble drills: fewer calls, the same steps. */
async function bubblePlans(): Promise<string> {
  const doc = parse(await readFile(join(PLANS, 'crashy.yaml'), 'utf8'));
  doc.waves = doc.waves.map(
    ({ healthChecks, postHooks, ...wave }: Record<string, unknown>) => wave,
  );
  delete doc.validation;
  const dir = await mkdtemp(join(tmpdir(), 'lifeboat-crash-bubble-'));
  await writeFile(join(dir, 'crashy.yaml'), stringify(doc));
  return dir;
}

describe('a crash at the end of a bubble drill', () => {
  it('terminates each drill instance once when the task dies before or after TerminateRecoveryInstances', async () => {
    // Prepare: crashy drilling in its bubble network
    const dir = await bubblePlans();
    const faults = [
      'crash-after:drs:TerminateRecoveryInstances',
      'crash-after:drs:StartRecovery',
      'crash-before:drs:StartRecovery:2',
    ];
    // Act
    const { summary, truth } = await run('bubble-drill', 'crashy', { fault: faults }, dir);
    // Assess
    expect(summary.outcome).toBe('succeeded');
    expect(crashesOf(truth)).toEqual(faults.map((f) => f.replace(/:\d+$/, '')).sort());
    const launched = truth.filter((e) => e.type === 'recovery-launched');
    expect(launched.map((e) => e.server).sort()).toEqual([
      'crashy-app-01',
      'crashy-app-02',
      'crashy-db-01',
    ]);
    const terminated = truth
      .filter((e) => e.type === 'instance-terminate')
      .map((e) => e.instanceId);
    expect(terminated.sort()).toEqual(launched.map((e) => e.instanceId).sort());
    const jobs = truth.filter((e) => e.type === 'drs-job');
    expect(jobs).toHaveLength(2);
  }, 120_000);
});

/** A call that never returns: the bot's Lambda died inside it. */
const dies = (): Promise<never> => new Promise<never>(() => {});

/** Who answers each kind of gate of crashy's bubble drill, and how. */
const ANSWERS: Partial<Record<GateKind, { user: string; decision: GateDecision }>> = {
  approval: { user: 'U02BOB', decision: 'approve' },
  'sign-off': { user: 'U03CAROL', decision: 'approve' },
};

async function until<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const found = await check().catch(() => undefined);
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`Gave up waiting for ${what}`);
}

/** Answers each gate the run opens, as the bot's people would, until the run ends; the kinds answered. */
async function answerGates(
  runs: RunControl,
  store: ReturnType<typeof localStateStore>,
  executionId: string,
): Promise<GateKind[]> {
  const answered: GateKind[] = [];
  for (;;) {
    const execution = await store.getExecution(executionId);
    if (execution.status !== 'running') return answered;
    for (const gate of await store.openGates(executionId)) {
      const answer = ANSWERS[gate.kind];
      if (!answer) throw new Error(`No one answers a ${gate.kind} gate here`);
      await runs.answer(executionId, gate.gateId, { ...answer, groups: [] });
      answered.push(gate.kind);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('the bot dying in its start and answer paths', () => {
  it('starts one run however often the request dies, and resumes the run whose approval was saved but never sent', async () => {
    // Prepare: the local orchestrator, its gates waiting for people (the bot)
    const plansDir = await bubblePlans();
    const aws = await new LocalAws({
      plans: await new FilePlanSource(plansDir).loadAll(),
      speed: 0,
      seed: 1,
    }).start();
    try {
      const orchestrator = new LocalOrchestrator({
        aws,
        plansDir,
        settingsFile: SAMPLE_SETTINGS,
        reportDir: await mkdtemp(join(tmpdir(), 'lifeboat-crash-bot-')),
        time: 'stepped',
      });
      await orchestrator.configure();
      const store = localStateStore(aws);
      const control = (parts: Partial<Parameters<typeof orchestrator.wiring.runControl>[0]>) =>
        orchestrator.wiring.runControl({
          executions: orchestrator,
          tokens: orchestrator,
          ...parts,
        });
      const request: StartRunRequest = {
        customerId: 'crashy',
        operation: 'bubble-drill',
        requestedBy: 'U01ALICE',
        channel: 'C0CRASHYDR',
      };
      // Act 1: the first request dies after taking the lock, before StartExecution
      void (await control({ executions: { start: dies } })).start(request);
      const holder = await until('the lock', () => store.activeRun('crashy'));
      // Act 2: typed again, it starts the run holding the lock, and dies after StartExecution
      const afterStart = await control({
        executions: {
          start: async (region, name, input) => {
            await orchestrator.start(region, name, input);
            return dies();
          },
        },
      });
      void afterStart.start(request);
      await until('the run', () => store.getExecution(holder));
      // Act 3: typed a third time, it is told which run holds the customer
      const runs = await control({});
      await expect(runs.start(request)).rejects.toThrow(OperationInProgressError);
      await expect(runs.start(request)).rejects.toThrow(holder);
      // Act 4: the approval is saved, and the Lambda dies before SendTaskSuccess
      const approve = { user: 'U02BOB', decision: 'approve' as const, groups: [] };
      const dyingAnswer = await control({ tokens: { succeed: dies } });
      const approval = await until('the approval', async () =>
        (await store.openGates(holder)).find((g) => g.kind === 'approval'),
      );
      void dyingAnswer.answer(holder, approval.gateId, approve);
      await until('the approval saved', async () =>
        (await store.getGate(holder, approval.gateId)).status === 'closed' ? true : undefined,
      );
      // ... and the approver clicks again: told it was decided, the run resumes
      await expect(runs.answer(holder, approval.gateId, approve)).rejects.toThrow(GateAnswerError);
      const answered = answerGates(runs, store, holder);
      await orchestrator.settled(holder);
      // Assess: one run, to its end; each server launched once
      expect(await answered).toEqual(['sign-off']);
      const journal = await store.journal(holder);
      expect(entriesOf(journal, 'execution-finished').map((e) => e.data.outcome)).toEqual([
        'succeeded',
      ]);
      expect(
        aws.estate.truth
          .filter((e) => e.type === 'recovery-launched')
          .map((e) => e.server)
          .sort(),
      ).toEqual(['crashy-app-01', 'crashy-app-02', 'crashy-db-01']);
      expect(aws.estate.truth.filter((e) => e.type === 'drs-job')).toHaveLength(2);
    } finally {
      await aws.stop();
    }
  }, 120_000);
});

/**
 * bcbsaz's 44 servers, with a crash among its many calls: a failover takes ~45 s here, past the
 * sweep's share of `npm test`, so it runs when asked (`LIFEBOAT_CRASH_SWEEP=bcbsaz` or `each`).
 */
describe.runIf(['bcbsaz', 'each'].includes(process.env.LIFEBOAT_CRASH_SWEEP ?? ''))(
  'a crash in bcbsaz’s failover',
  () => {
    it('launches each of its 44 servers once, the report equal to the truth', async () => {
      // Prepare: the third job, a hook's command, the DNS flip and a reversal, each crashed
      const faults = [
        'crash-after:drs:StartRecovery:3',
        'crash-before:ssm:SendCommand:3',
        'crash-after:route53-recovery-cluster:UpdateRoutingControlStates',
        'crash-after:drs:ReverseReplication:20',
      ];
      // Act
      const { summary, truth } = await run('failover', 'bcbsaz', { fault: faults });
      // Assess
      expect(summary.outcome).toBe('succeeded');
      expect(crashesOf(truth)).toEqual(faults.map((f) => f.replace(/:\d+$/, '')).sort());
      const launched = truth.filter((e) => e.type === 'recovery-launched');
      expect(new Set(launched.map((e) => e.server)).size).toBe(44);
      expect(launched).toHaveLength(44);
      expect(truth.filter((e) => e.type === 'reverse-replication')).toHaveLength(44);
      expect(
        truth.filter((e) => e.type === 'routing-control').map((e) => [e.name, e.state]),
      ).toEqual([
        ['bcbsaz-us-east-2', 'On'],
        ['bcbsaz-us-east-1', 'Off'],
      ]);
      const servers = summary.waves.flatMap((w) => w.servers);
      expect(servers.every((s) => s.status === 'recovered')).toBe(true);
      const disruption = Math.min(
        ...truth.filter((e) => e.type === 'instance-stop').map((e) => ms(e.at)),
      );
      const rpo = Math.max(...launched.map((e) => Math.max(0, (disruption - ms(e.dataAt)) / 1000)));
      expect(Math.abs((summary.rpo.seconds ?? 0) - rpo)).toBeLessThanOrEqual(1);
    }, 300_000);
  },
);
