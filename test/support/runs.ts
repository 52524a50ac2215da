import type { BotDeps } from '../../bot/deps.ts';
import {
  EXECUTION_SCHEMA_VERSION,
  type Execution,
  type Gate,
  type GateKind,
} from '../../orchestrator/domain/execution.ts';
import type { ReadinessJob } from '../../orchestrator/domain/messages.ts';
import { planRunbook } from '../../orchestrator/domain/plan-runbook.ts';
import type { Runbook } from '../../orchestrator/domain/runbook.ts';
import type { RegionWideSettings } from '../../orchestrator/domain/settings.ts';
import type { IncidentControl } from '../../orchestrator/ports/incident.ts';
import type { LoadedPlan } from '../../orchestrator/ports/plan-source.ts';
import { readSample } from '../helpers.ts';

/** A run's record as the state store keeps it: running, nothing excluded, unless said. */
export function fakeExecution(runbook: Runbook, overrides: Partial<Execution> = {}): Execution {
  return {
    schemaVersion: EXECUTION_SCHEMA_VERSION,
    executionId: `${runbook.customerId}-${runbook.operation}-1`,
    customerId: runbook.customerId,
    operation: runbook.operation,
    planRevision: 'fake',
    requestedBy: 'U01ALICE',
    status: 'running',
    startedAt: Date.UTC(2026, 0, 5, 3),
    excluded: [],
    pauseRequested: false,
    abortRequested: false,
    runbook,
    ...overrides,
  };
}

/** An open gate of the run at its step, answered by no one yet. */
export function fakeGate(
  execution: Execution,
  kind: GateKind,
  stepId: string,
  overrides: Partial<Gate> = {},
): Gate {
  const step = execution.runbook.steps.find((s) => s.id === stepId);
  return {
    gateId: `${execution.executionId}/${stepId}#1`,
    executionId: execution.executionId,
    stepId,
    kind,
    prompt: step?.title ?? stepId,
    principals: step?.kind === 'gate' ? step.principals : [],
    required: step?.kind === 'gate' ? step.required : 1,
    excludeRequester: step?.kind === 'gate' ? step.excludeRequester : false,
    requestedBy: execution.requestedBy,
    taskToken: 'fake-task-token',
    openedAt: execution.startedAt,
    expiresAt: execution.startedAt + 3600_000,
    answers: [],
    status: 'open',
    ...overrides,
  };
}

type Runs = BotDeps['runs'];

/** One call a listener made on the run control. */
export type RunCall = [method: string, ...args: unknown[]];

/**
 * A run control with only the methods a test gives it, each call recorded. A listener that
 * calls any other method fails the test, naming it.
 */
export function fakeRuns(methods: Partial<Runs>): { runs: Runs; calls: RunCall[] } {
  const calls: RunCall[] = [];
  const runs = new Proxy(methods, {
    get(target, name) {
      if (typeof name !== 'string') return undefined;
      const method = target[name as keyof Runs] as ((...args: unknown[]) => unknown) | undefined;
      if (!method) throw new Error(`The fake run control has no ${name}: the listener called it`);
      return (...args: unknown[]) => {
        calls.push([name, ...args]);
        return method.apply(target, args);
      };
    },
  }) as Runs;
  return { runs, calls };
}

/**
 * The listeners' dependencies around a fake run control: the user groups each user is in, no
 * admins unless said, deferred jobs kept, a fixed clock. Incidents: those given, else a control
 * that fails the test when a listener asks it anything.
 */
export function fakeBotDeps(
  runs: Runs,
  options: {
    groups?: Record<string, string[]>;
    admins?: string[];
    incidents?: IncidentControl;
    regionWide?: RegionWideSettings;
  } = {},
): { deps: BotDeps; deferred: ReadinessJob[] } {
  const deferred: ReadinessJob[] = [];
  const deps: BotDeps = {
    runs,
    incidents:
      options.incidents ??
      new Proxy({} as IncidentControl, {
        get(_, name) {
          throw new Error(`The listener asked incidents.${String(name)} of a run's fake deps`);
        },
      }),
    ...(options.regionWide ? { regionWide: options.regionWide } : {}),
    admins: options.admins ?? [],
    groupsOf: async (_client, userId, candidates) =>
      (options.groups?.[userId] ?? []).filter((g) => candidates.includes(g)),
    defer: async (job) => {
      deferred.push(job);
    },
    now: () => Date.UTC(2026, 0, 5, 3, 5),
  };
  return { deps, deferred };
}

/** bcbsaz's drill waiting for the customer's sign-off, requested in its channel. */
export async function bcbsazAtSignOff(): Promise<{
  bcbsaz: LoadedPlan;
  execution: Execution;
  signOff: Gate;
}> {
  const plan = await readSample('bcbsaz');
  const execution = fakeExecution(planRunbook(plan, 'drill'), { channel: 'C0BCBSAZDR' });
  return {
    bcbsaz: { plan, source: 'bcbsaz.yaml', revision: 'fake' },
    execution,
    signOff: fakeGate(execution, 'sign-off', 'sign-off'),
  };
}
