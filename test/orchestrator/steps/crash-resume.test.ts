import { describe, expect, it } from 'vitest';
import type { StepKind } from '../../../orchestrator/domain/runbook.ts';
import type { Progress } from '../../../orchestrator/steps/context.ts';
import { advanceStep } from '../../../orchestrator/steps/run-step.ts';
import { tinyRunbook } from '../../fixtures/report-runs.ts';
import type { FakeAws } from '../../support/fake-aws.ts';
import { fakeEstate, fakeStepContext } from '../../support/step-context.ts';

const TINY = ['tiny-db-01', 'tiny-app-01', 'tiny-app-02', 'tiny-web-01'];

/** What Step Functions reports for a task Lambda that died. */
function death(): Error {
  const error = new Error('The task died');
  error.name = 'Lambda.Unknown';
  return error;
}

/** Each step's mutating call, and how many times its effect happened (the fake's own record). */
const CASES: {
  kind: StepKind;
  call: string;
  /** The port's method that makes the call. */
  method: [service: 'drs' | 'ec2' | 'ssm', name: string];
  arrange?: (aws: FakeAws, region: string) => Promise<void>;
  effects: (aws: FakeAws, region: string) => unknown[];
}[] = [
  {
    kind: 'stop-instances',
    call: 'ec2.StopInstances',
    method: ['ec2', 'stop'],
    effects: (aws, region) =>
      [...aws.region(region).ec2.instances.values()].filter((i) => i.state === 'stopped'),
  },
  {
    kind: 'recover-wave',
    call: 'drs.StartRecovery',
    method: ['drs', 'startRecovery'],
    effects: (aws, region) => aws.region(region).drs.jobs.flatMap((j) => j.sourceServerIds),
  },
  {
    kind: 'ssm-command',
    call: 'ssm.SendCommand',
    method: ['ssm', 'sendCommand'],
    effects: (aws, region) => aws.region(region).ssm.commands,
  },
  {
    kind: 'reverse-replication',
    call: 'drs.ReverseReplication',
    method: ['drs', 'reverseReplication'],
    // Every server recovered: each has a recovery instance to reverse from.
    arrange: async (aws, region) => {
      const { drs } = aws.region(region);
      await drs.startRecovery(
        TINY.map((n) => `s-${n}`),
        false,
        {},
      );
      aws.advance(drs.launchSeconds);
    },
    effects: (aws, region) => aws.region(region).drs.reversed,
  },
];

/**
 * Runs a step's first invocation with the task dying before its mutating call reaches AWS, or
 * after it took effect (the result then never saved); then runs it again as the engine does, from
 * the intent it saved, to its end.
 */
async function crashAndResume(kind: StepKind, when: 'before' | 'after' | 'never') {
  const runbook = await tinyRunbook('failover');
  const step = runbook.steps.find((s) => s.kind === kind);
  if (!step || !('region' in step)) throw new Error(`tiny's failover has no ${kind} step`);
  const aws = fakeEstate(runbook);
  const fake = fakeStepContext(aws, runbook);
  const { checkpoints, journaled } = fake;
  const region = kind === 'reverse-replication' ? runbook.regions.recovery : step.region;
  const { arrange, method } = CASES.find((c) => c.kind === kind) ?? {};
  await arrange?.(aws, region);
  // A dead task writes nothing more: its journal entries and intents after the call are lost.
  let dead = false;
  const ctx = {
    ...fake.ctx,
    journal: (async (...entry) => {
      if (!dead) await fake.ctx.journal(...entry);
    }) as typeof fake.ctx.journal,
    checkpoint: async (state: Record<string, unknown>) => {
      if (!dead) await fake.ctx.checkpoint(state);
    },
  };
  if (when !== 'never' && method) {
    const [service, name] = method;
    const port = aws.region(region)[service] as unknown as Record<
      string,
      (...a: unknown[]) => unknown
    >;
    const real = port[name]?.bind(port);
    let fired = false;
    port[name] = async (...args: unknown[]) => {
      if (fired) return real?.(...args);
      fired = true;
      if (when === 'after') await real?.(...args);
      dead = true;
      throw death();
    };
  }
  let progress: Progress | undefined;
  try {
    progress = await advanceStep(ctx, step, undefined);
  } catch (error) {
    if ((error as Error).name !== 'Lambda.Unknown') throw error;
  }
  if (when !== 'never') {
    // The task died: the engine runs it again, from the intent it saved if it saved one (a
    // start that saved none starts again).
    dead = false;
    const intent = checkpoints.at(-1);
    progress = await advanceStep(ctx, step, intent);
  }
  for (let polls = 0; progress?.status === 'running' && polls < 500; polls += 1) {
    aws.advance(progress.waitSeconds);
    progress = await advanceStep(ctx, step, progress.state);
  }
  return { progress, aws, region, journaled, calls: aws.region(region).calls };
}

describe('a step whose task dies at its mutating call', () => {
  it.each(
    CASES.flatMap(({ kind, call }) =>
      (['before', 'after'] as const).map((when) => [kind, when, call] as const),
    ),
  )('%s: a crash %s %s ends as a run without it, every effect once', async (kind, when) => {
    // Prepare: the same step, run without a crash
    const clean = await crashAndResume(kind, 'never');
    const effects = CASES.find((c) => c.kind === kind)?.effects ?? (() => []);
    // Act
    const crashed = await crashAndResume(kind, when);
    // Assess
    expect(crashed.progress?.status, crashed.progress?.message).toBe(clean.progress?.status);
    const done = effects(crashed.aws, crashed.region);
    expect(done).toEqual(effects(clean.aws, clean.region));
    expect(new Set(done.map((d) => JSON.stringify(d))).size).toBe(done.length);
    for (const type of ['disruption', 'instances-stopped', 'drs-job-started', 'server-launched'])
      expect(crashed.journaled(type), type).toHaveLength(clean.journaled(type).length);
  });
});
