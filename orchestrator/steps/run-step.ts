import { AwsCallError, ThrottledError } from '../domain/errors.ts';
import type { Step, StepKind, StepOf } from '../domain/runbook.ts';
import { done, failed, type Progress, type StepContext, type StepExecutor } from './context.ts';
import { preflight } from './preflight.ts';
import { recoverWave } from './recover-wave.ts';
import {
  dns,
  lambdaHook,
  reverseReplication,
  ssmCommand,
  stack,
  stopInstances,
  terminateDrillInstances,
  waitReplication,
} from './simple-steps.ts';

/** The pre-flight's executor, also run outside any run (`/dr readiness`). */
export { preflight };

type Executable = Exclude<StepKind, 'gate' | 'report'>;

const EXECUTORS: { [K in Executable]: StepExecutor<StepOf<K>> } = {
  preflight,
  'stop-instances': stopInstances,
  'wait-replication': waitReplication,
  'recover-wave': recoverWave,
  'ssm-command': ssmCommand,
  'lambda-hook': lambdaHook,
  stack,
  dns,
  'reverse-replication': reverseReplication,
  'terminate-drill-instances': terminateDrillInstances,
};

function executorOf(step: Step): StepExecutor<Step> {
  if (step.kind === 'gate' || step.kind === 'report') {
    // The state machine routes gates and the report to the engine: only a routing bug gets here.
    throw new Error(`${step.kind} steps are run by the engine, not by an executor`);
  }
  return EXECUTORS[step.kind] as StepExecutor<Step>;
}

/**
 * Runs one start or poll of a step. Throttling, 5xx answers and unreachable services are thrown,
 * for the state machine's Retry with backoff; in a best-effort step, anything but throttling is
 * journaled and the run goes on (the primary region may be gone).
 */
export async function advanceStep(
  ctx: StepContext,
  step: Step,
  state: Record<string, unknown> | undefined,
  previous?: Record<string, unknown>,
): Promise<Progress> {
  const executor = executorOf(step);
  try {
    const progress =
      state === undefined
        ? await executor.start(ctx, step, previous)
        : await executor.poll(ctx, step, state);
    if (progress.status === 'failed' && step.bestEffort)
      return bestEffort(ctx, step, progress.message ?? 'failed', progress.state);
    return progress;
  } catch (error) {
    // Throttling is retried even in a best-effort step: the service is there. A 5xx that reaches
    // here has outlasted the SDK's own retries; where the lost region answers 500 for as long as
    // it is gone (replicating back to it), the state machine's retries would end in a decision.
    if (error instanceof ThrottledError) throw error;
    if (step.bestEffort) return bestEffort(ctx, step, (error as Error).message, state ?? {});
    if (error instanceof AwsCallError && error.retryable) throw error;
    if (error instanceof AwsCallError) return failed(state ?? {}, error.message);
    throw error;
  }
}

async function bestEffort(
  ctx: StepContext,
  step: Step,
  message: string,
  state: Record<string, unknown>,
): Promise<Progress> {
  await ctx.journal(
    'best-effort-failed',
    `${step.title}: ${message} (best effort, the run goes on)`,
    { reason: message },
  );
  if (step.kind === 'stop-instances') {
    await ctx.journal(
      'instances-stopped',
      `Could not stop the ${step.side} instances: ${message}`,
      { instances: [], unreachable: true },
    );
  }
  return done(state, `best effort: ${message}`);
}
