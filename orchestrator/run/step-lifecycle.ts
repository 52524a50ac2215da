import { createHash } from 'node:crypto';
import { budgetLimits } from '../domain/admission.ts';
import { UnknownStepError } from '../domain/errors.ts';
import {
  EXECUTION_SCHEMA_VERSION,
  type Execution,
  nextStep,
  type StepRecord,
} from '../domain/execution.ts';
import { stepStarted } from '../domain/gates.ts';
import { incidentChildRunbook } from '../domain/incident.ts';
import type { StartRequest } from '../domain/messages.ts';
import type { Operation } from '../domain/plan.ts';
import { planRunbook } from '../domain/plan-runbook.ts';
import type { PreflightResult, Runbook, Step, StepKind, StepOf } from '../domain/runbook.ts';
import {
  DECISION_GATE_EXPIRY_SECONDS,
  LOCK_STALE_MS,
  type RunbookSettings,
} from '../domain/settings.ts';
import type { AdmissionStore } from '../ports/admission.ts';
import type { RoutingPort, ServicesFor } from '../ports/aws.ts';
import type { LoadedPlan, PlanSource } from '../ports/plan-source.ts';
import type { ExecutionStore, LockStore } from '../ports/state-store.ts';
import { CHECKPOINTED, isCheckpoint, type Progress, type StepContext } from '../steps/context.ts';
import type { JournalWriter } from './journal-writer.ts';

/**
 * The steps' executors (DRS, EC2, SSM, DNS, hooks): only the task Lambdas run steps, so the bot's
 * engine, which starts, answers and reads runs, never loads them. A bundle keeps them in a chunk
 * of their own.
 */
let executors: Promise<typeof import('../steps/run-step.ts')> | undefined;
const stepExecutors = () => (executors ??= import('../steps/run-step.ts'));

/** What the state machine routes on after each step. */
export type Next =
  | { kind: 'finish'; outcome: 'succeeded' | 'aborted' }
  | { kind: 'pause'; stepId: string; timeoutSeconds: number }
  | { kind: StepKind; stepId: string; timeoutSeconds: number };

export interface StepLifecycleDeps {
  store: LockStore & ExecutionStore;
  plans: PlanSource;
  settings: RunbookSettings;
  journal: JournalWriter;
  /** The customer's AWS services, through its workload account's role. */
  servicesFor(plan: LoadedPlan['plan']): ServicesFor;
  /** ARC's routing controls, when the deployment has a cluster. */
  routing?: RoutingPort;
  /** DRS budgets shared across runs; absent, waves start their jobs without leases. */
  admission?: AdmissionStore;
  now(): number;
  newId(): string;
  /** Writes the report of a run as of `at`; returns where it went. */
  writeReport(execution: Execution, at: number): Promise<Record<string, string>>;
}

/** A run from its start through each step: prepare, what comes next, start, poll, fail. */
export class StepLifecycle {
  constructor(private readonly deps: StepLifecycleDeps) {}

  async prepare(
    request: StartRequest & { executionId?: string },
  ): Promise<{ executionId: string }> {
    const { plan, revision } = await this.deps.plans.loadPlan(request.customerId);
    const planned = planRunbook(plan, request.operation, this.deps.settings);
    const runbook = request.incident ? incidentChildRunbook(planned) : planned;
    const executionId = request.executionId ?? this.deps.newId();
    const now = this.deps.now();
    await this.deps.store.acquireLock(plan.customer.id, executionId, now, LOCK_STALE_MS);
    await this.deps.store.createExecution(
      newExecution(executionId, runbook, revision, now, request),
    );
    await this.deps.journal.write(executionId, {
      type: 'execution-started',
      message: `${request.requestedBy} requested ${runbook.operation} of ${plan.customer.name}`,
      data: {
        operation: runbook.operation,
        requestedBy: request.requestedBy,
        ...(request.requestedByName ? { requestedByName: request.requestedByName } : {}),
      },
    });
    if (request.incident)
      await this.deps.journal.write(executionId, {
        type: 'joined-incident',
        message: `Part of the region-wide incident ${request.incident.incidentId}, approved by ${request.incident.approvedBy.join(', ')}`,
        data: {
          incidentId: request.incident.incidentId,
          as: 'child',
          approvedBy: request.incident.approvedBy,
        },
      });
    return { executionId };
  }

  async next(executionId: string): Promise<Next> {
    const execution = await this.deps.store.getExecution(executionId);
    if (execution.abortRequested) return { kind: 'finish', outcome: 'aborted' };
    const found = nextStep(execution.runbook, await this.deps.store.getSteps(executionId));
    if (!found) return { kind: 'finish', outcome: 'succeeded' };
    if (execution.pauseRequested)
      return { kind: 'pause', stepId: found.step.id, timeoutSeconds: DECISION_GATE_EXPIRY_SECONDS };
    return {
      kind: found.step.kind,
      stepId: found.step.id,
      timeoutSeconds: found.step.timeoutSeconds,
    };
  }

  /** Starts a step, or restarts it after a retry or continue decision, keeping what worked. */
  async startStep(executionId: string, stepId: string): Promise<Progress> {
    const { execution, step, record } = await this.load(executionId, stepId);
    if (step.kind === 'report') return this.report(execution, step, record);
    let started = record;
    if (record?.status !== 'running') {
      // Recorded before the executor runs, so a start the state machine retries is one start.
      started = {
        ...(record ?? { stepId, attempt: 1, progress: {} }),
        status: 'running',
        startedAt: this.deps.now(),
      };
      await this.deps.store.putStep(executionId, started);
      await this.deps.journal.write(executionId, stepStarted(step));
    }
    const ctx = await this.context(execution, step, started);
    // A start that died after saving its intent goes on from there, not from the beginning.
    const { advanceStep } = await stepExecutors();
    const progress =
      record?.status === 'running' && isCheckpoint(record.progress)
        ? await advanceStep(ctx, step, record.progress)
        : await advanceStep(ctx, step, undefined, record?.progress);
    return this.save(execution, step, progress, started);
  }

  async pollStep(executionId: string, stepId: string): Promise<Progress> {
    const { execution, step, record } = await this.load(executionId, stepId);
    const ctx = await this.context(execution, step, record);
    const { advanceStep } = await stepExecutors();
    return this.save(execution, step, await advanceStep(ctx, step, record?.progress ?? {}), record);
  }

  /** Records an error the state machine caught after its retries: the step fails, people decide. */
  async failStep(executionId: string, stepId: string, error: string): Promise<Progress> {
    const { execution, step, record } = await this.load(executionId, stepId);
    const progress: Progress = {
      status: 'failed',
      waitSeconds: 0,
      state: record?.progress ?? {},
      message: error,
    };
    return this.save(execution, step, progress, record);
  }

  /**
   * Readiness now (`/dr readiness`): the pre-flight checks of the operation, run outside any
   * run and journaled nowhere; a throttled check is tried again a few times.
   */
  async readiness(customerId: string, operation: Operation): Promise<PreflightResult[]> {
    const { plan, revision } = await this.deps.plans.loadPlan(customerId);
    const runbook = planRunbook(plan, operation, this.deps.settings);
    const step = runbook.steps.find((s): s is StepOf<'preflight'> => s.kind === 'preflight');
    if (!step) return [];
    const now = this.deps.now();
    const ctx: StepContext = {
      execution: newExecution(`readiness-${customerId}-${now}`, runbook, revision, now, {
        requestedBy: 'readiness',
      }),
      services: this.deps.servicesFor(plan),
      ...(this.deps.routing ? { routing: this.deps.routing } : {}),
      now: () => this.deps.now(),
      journal: async () => {},
      checkpoint: async () => {},
      attemptKey: `readiness-${customerId}-${now}`,
    };
    const { preflight } = await stepExecutors();
    let progress = await preflight.start(ctx, step);
    for (let tries = 0; progress.status === 'running' && tries < 3; tries += 1)
      progress = await preflight.poll(ctx, step, progress.state);
    const results = (progress.state.results as PreflightResult[] | undefined) ?? [];
    const holder = await this.deps.store.activeRun(customerId);
    return results.map((r) =>
      r.check === 'no-active-operation'
        ? {
            ...r,
            ok: !holder,
            detail: holder ? `Run ${holder} is in progress` : 'No run in progress',
          }
        : r,
    );
  }

  /** The run, one of its steps and the step's record. */
  async load(
    executionId: string,
    stepId: string,
  ): Promise<{ execution: Execution; step: Step; record?: StepRecord }> {
    const execution = await this.deps.store.getExecution(executionId);
    const step = execution.runbook.steps.find((s) => s.id === stepId);
    if (!step) throw new UnknownStepError(executionId, stepId);
    const record = await this.deps.store.getStep(executionId, stepId);
    return { execution, step, ...(record ? { record } : {}) };
  }

  /**
   * Writes the report as of the step's start, saved before the write: a task that died in the
   * write and runs again writes the same keys with the same bytes (a second version of each in a
   * versioned bucket, not a second report), and journals no second start.
   */
  private async report(
    execution: Execution,
    step: StepOf<'report'>,
    record: StepRecord | undefined,
  ): Promise<Progress> {
    const started: StepRecord =
      record?.status === 'running'
        ? record
        : {
            ...(record ?? { stepId: step.id, attempt: 1, progress: {} }),
            status: 'running',
            startedAt: this.deps.now(),
          };
    if (started !== record) {
      await this.deps.store.putStep(execution.executionId, started);
      await this.deps.journal.write(execution.executionId, stepStarted(step));
    }
    const files = await this.deps.writeReport(execution, started.startedAt);
    return this.save(
      execution,
      step,
      { status: 'done', waitSeconds: 0, state: { files } },
      started,
    );
  }

  private async context(
    execution: Execution,
    step: Step,
    record: StepRecord | undefined,
  ): Promise<StepContext> {
    const { plan } = await this.deps.plans.loadPlan(execution.customerId);
    const startedAt = record?.startedAt ?? this.deps.now();
    return {
      execution,
      services: this.deps.servicesFor(plan),
      ...(this.deps.routing ? { routing: this.deps.routing } : {}),
      ...(this.deps.admission
        ? {
            admission: {
              store: this.deps.admission,
              account: plan.account.id,
              // Plans without a priority (older schemas) go in the middle, as SRM's default.
              priority: (plan as { priority?: number }).priority ?? 3,
              limits: budgetLimits(this.deps.settings),
            },
          }
        : {}),
      now: () => this.deps.now(),
      journal: this.deps.journal.forStep(execution.executionId, step.id),
      checkpoint: (state) =>
        this.deps.store.putStep(execution.executionId, {
          stepId: step.id,
          status: 'running',
          startedAt,
          attempt: record?.attempt ?? 1,
          progress: { ...state, [CHECKPOINTED]: true },
        }),
      attemptKey: attemptKey(execution.executionId, step.id, startedAt),
    };
  }

  private async save(
    execution: Execution,
    step: Step,
    progress: Progress,
    record?: StepRecord,
  ): Promise<Progress> {
    const now = this.deps.now();
    const status = progress.status;
    await this.deps.store.putStep(execution.executionId, {
      stepId: step.id,
      status,
      startedAt: record?.startedAt ?? now,
      ...(status !== 'running' ? { endedAt: now } : {}),
      attempt: record?.attempt ?? 1,
      progress: progress.state,
      ...(progress.message ? { message: progress.message } : {}),
      ...(progress.failedServers ? { failedServers: progress.failedServers } : {}),
    });
    if (status !== 'running')
      await this.deps.journal.write(execution.executionId, {
        type: 'step-finished',
        stepId: step.id,
        message: `${step.title}: ${status}${progress.message ? ` (${progress.message})` : ''}`,
        data: { status, kind: step.kind },
      });
    return progress;
  }
}

/**
 * A client token for one attempt of one step (a task run again keeps it; people's retry is a new
 * attempt): `lb` and 40 hex digits, within every token's limits (SSM's comment, CloudFormation's
 * ClientRequestToken).
 */
export function attemptKey(executionId: string, stepId: string, startedAt: number): string {
  const digest = createHash('sha256').update(`${executionId}/${stepId}/${startedAt}`);
  return `lb${digest.digest('hex').slice(0, 40)}`;
}

/** A run's record as it starts. */
export function newExecution(
  executionId: string,
  runbook: Runbook,
  planRevision: string,
  now: number,
  request: Pick<StartRequest, 'requestedBy' | 'channel' | 'reason' | 'disruptionAt' | 'incident'>,
): Execution {
  return {
    schemaVersion: EXECUTION_SCHEMA_VERSION,
    executionId,
    customerId: runbook.customerId,
    operation: runbook.operation,
    planRevision,
    requestedBy: request.requestedBy,
    ...(request.channel ? { channel: request.channel } : {}),
    ...(request.reason ? { reason: request.reason } : {}),
    ...(request.disruptionAt ? { disruptionAt: request.disruptionAt } : {}),
    ...(request.incident ? { incidentId: request.incident.incidentId } : {}),
    status: 'running',
    startedAt: now,
    excluded: [],
    pauseRequested: false,
    abortRequested: false,
    runbook,
  };
}
