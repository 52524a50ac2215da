import type { Execution } from '../../orchestrator/domain/execution.ts';
import type { Runbook, Step, StepKind, StepOf } from '../../orchestrator/domain/runbook.ts';
import { PLAN_TAG_KEY } from '../../orchestrator/domain/workload-access.ts';
import type { Progress, StepContext } from '../../orchestrator/steps/context.ts';
import { advanceStep } from '../../orchestrator/steps/run-step.ts';
import { FakeAws } from './fake-aws.ts';
import { fakeExecution } from './runs.ts';

/** A journal entry as a step wrote it. */
export interface Journaled {
  type: string;
  message: string;
  data: Record<string, unknown>;
}

export interface FakeStepContext {
  ctx: StepContext;
  journal: Journaled[];
  /** Each state the step saved as its intent, in order. */
  checkpoints: Record<string, unknown>[];
  /** The entries of one type, in order. */
  journaled(type: string): Journaled[];
}

/**
 * What a step executor gets from the engine, over fake AWS: the run's record (running, nothing
 * excluded unless said), the fake services and clock, and a journal kept in memory.
 */
export function fakeStepContext(
  aws: FakeAws,
  runbook: Runbook,
  overrides: Partial<Execution> = {},
): FakeStepContext {
  const execution = fakeExecution(runbook, { startedAt: aws.now(), ...overrides });
  const journal: Journaled[] = [];
  const checkpoints: Record<string, unknown>[] = [];
  const ctx: StepContext = {
    execution,
    services: aws.servicesFor,
    routing: aws.routing,
    now: aws.now,
    journal: async (type: string, message: string, data: object) => {
      journal.push({ type, message, data: { ...data } });
    },
    checkpoint: async (state) => {
      checkpoints.push(structuredClone({ ...state, checkpointed: true }));
    },
    attemptKey: 'lbtestattempt',
  };
  return {
    ctx,
    journal,
    checkpoints,
    journaled: (type) => journal.filter((e) => e.type === type),
  };
}

/**
 * Fake AWS holding the customer's estate as its runbook describes it: the instances on both
 * sides, the DRS source servers replicating into the recovery region, the DNS zones.
 */
export function fakeEstate(runbook: Runbook): FakeAws {
  const aws = new FakeAws();
  const { primary, recovery } = runbook.regions;
  // Onboarding tags the plan's instances for it (README, "Onboarding a customer").
  const tagged = { [PLAN_TAG_KEY]: runbook.customerId };
  for (const step of runbook.steps) {
    if (step.kind === 'preflight' && step.region === recovery) {
      aws.region(recovery).drs.addServers(step.servers.map((s) => s.name));
      aws.region(recovery).ec2.addInstances(
        step.servers.flatMap((s) => s.launchInto ?? []),
        'running',
        tagged,
      );
      aws.region(primary).ec2.addInstances(step.peerInstances, 'running', tagged);
      for (const control of step.routing) aws.routing.add(control.name, control.state);
      for (const zone of step.zones) {
        aws.region(primary).dns.zones.add(zone);
        aws.region(recovery).dns.zones.add(zone);
      }
    }
    if (step.kind === 'stop-instances')
      aws.region(step.region).ec2.addInstances(
        step.instances.map((i) => i.instanceId),
        'running',
        tagged,
      );
  }
  return aws;
}

/** The runbook's one step of this id and kind; throws naming what is there instead. */
export function stepOf<K extends StepKind>(runbook: Runbook, kind: K, id: string): StepOf<K> {
  const step = runbook.steps.find((s): s is StepOf<K> => s.kind === kind && s.id === id);
  if (!step)
    throw new Error(
      `No ${kind} step ${id}; the runbook has ${runbook.steps.map((s) => s.id).join(', ')}`,
    );
  return step;
}

/**
 * Runs a step as the engine does, through `advanceStep`: a start, then polls, the fake clock
 * moved on by each wait, until it is done or failed. Throws what the step throws (for the state
 * machine's Retry), and after `maxPolls` polls that never end.
 */
export async function driveStep(
  aws: FakeAws,
  ctx: StepContext,
  step: Step,
  options: { previous?: Record<string, unknown>; maxPolls?: number } = {},
): Promise<{ progress: Progress; polls: number }> {
  let progress = await advanceStep(ctx, step, undefined, options.previous);
  let polls = 0;
  while (progress.status === 'running') {
    if (++polls > (options.maxPolls ?? 1000))
      throw new Error(`${step.id} still running after ${polls - 1} polls: ${progress.message}`);
    aws.advance(progress.waitSeconds);
    progress = await advanceStep(ctx, step, progress.state);
  }
  return { progress, polls };
}
