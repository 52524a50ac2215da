import {
  answerGate,
  EXECUTION_SCHEMA_VERSION,
  type Execution,
  type Gate,
  type GateDecision,
  type GateKind,
  nextStep,
  type StepRecord,
} from '../domain/execution.ts';
import type { Operation } from '../domain/plan.ts';
import { planRunbook } from '../domain/plan-runbook.ts';
import type { Region } from '../domain/regions.ts';
import { buildReport, type Report } from '../domain/report.ts';
import type { PreflightResult, Runbook, Step, StepKind, StepOf } from '../domain/runbook.ts';
import type { RunbookSettings } from '../domain/settings.ts';
import { ConcurrentUpdateError } from '../domain/state-errors.ts';
import type { ServicesFor } from '../ports/aws.ts';
import type { LoadedPlan, PlanSource } from '../ports/plan-source.ts';
import type { RunNotifications } from '../ports/run-control.ts';
import type { StateStore } from '../ports/state-store.ts';
import type { Progress, StepContext } from '../steps/context.ts';
import { preflight } from '../steps/preflight.ts';
import { advanceStep } from '../steps/run-step.ts';

export interface EngineDeps {
  store: StateStore;
  plans: PlanSource;
  settings: RunbookSettings;
  /** The customer's AWS services, through its workload account's role. */
  servicesFor(plan: LoadedPlan['plan']): ServicesFor;
  now(): number;
  /** Writes the report of a finished run; returns where it went. */
  writeReport(execution: Execution): Promise<Record<string, string>>;
  newId(): string;
  /** Wakes the notifier after each journal entry. @default none (the local notifier polls) */
  notify?: RunNotifications;
}

export interface StartRequest {
  customerId: string;
  operation: Operation;
  requestedBy: string;
  channel?: string;
  reason?: string;
  disruptionAt?: number;
  executionId?: string;
}

/** What the state machine routes on after each step. */
export type Next =
  | { kind: 'finish'; outcome: 'succeeded' | 'aborted' }
  | { kind: 'pause'; stepId: string; timeoutSeconds: number }
  | { kind: StepKind; stepId: string; timeoutSeconds: number };

const LOCK_STALE_MS = 24 * 3600_000;

/**
 * The run, step by step, as the state machine drives it: every decision is TypeScript here and
 * in the domain; the state machine only routes on what these functions return.
 */
export class Engine {
  constructor(private readonly deps: EngineDeps) {}

  async prepare(request: StartRequest): Promise<{ executionId: string }> {
    const { plan, revision } = await this.deps.plans.loadPlan(request.customerId);
    const runbook = planRunbook(plan, request.operation, this.deps.settings);
    const executionId = request.executionId ?? this.deps.newId();
    const now = this.deps.now();
    await this.deps.store.acquireLock(plan.customer.id, executionId, now, LOCK_STALE_MS);
    await this.deps.store.createExecution(
      newExecution(executionId, runbook, revision, now, request),
    );
    await this.journal(
      executionId,
      'execution-started',
      `${request.requestedBy} requested ${runbook.operation} of ${plan.customer.name}`,
      { operation: runbook.operation, requestedBy: request.requestedBy },
    );
    return { executionId };
  }

  async next(executionId: string): Promise<Next> {
    const execution = await this.deps.store.getExecution(executionId);
    if (execution.abortRequested) return { kind: 'finish', outcome: 'aborted' };
    const found = nextStep(execution.runbook, await this.deps.store.getSteps(executionId));
    if (!found) return { kind: 'finish', outcome: 'succeeded' };
    if (execution.pauseRequested)
      return { kind: 'pause', stepId: found.step.id, timeoutSeconds: 7 * 86_400 };
    return {
      kind: found.step.kind,
      stepId: found.step.id,
      timeoutSeconds: found.step.timeoutSeconds,
    };
  }

  /** Starts a step, or restarts it after a retry or continue decision, keeping what worked. */
  async startStep(executionId: string, stepId: string): Promise<Progress> {
    const { execution, step, record } = await this.load(executionId, stepId);
    if (step.kind === 'report') return this.report(execution, step);
    const ctx = await this.context(execution, step);
    if (record?.status !== 'running') {
      // Recorded before the executor runs, so a start the state machine retries is one start.
      await this.deps.store.putStep(executionId, {
        ...(record ?? { stepId, attempt: 1, progress: {} }),
        status: 'running',
        startedAt: this.deps.now(),
      });
      await this.journalStarted(executionId, step);
    }
    const progress = await advanceStep(ctx, step, undefined, record?.progress);
    return this.save(execution, step, progress, record);
  }

  async pollStep(executionId: string, stepId: string): Promise<Progress> {
    const { execution, step, record } = await this.load(executionId, stepId);
    const progress = await advanceStep(
      await this.context(execution, step),
      step,
      record?.progress ?? {},
    );
    return this.save(execution, step, progress, record);
  }

  /** Records an error the state machine caught after its retries: the step fails, people decide. */
  async failStep(executionId: string, stepId: string, error: string): Promise<Progress> {
    const { execution, step, record } = await this.load(executionId, stepId);
    return this.save(
      execution,
      step,
      { status: 'failed', waitSeconds: 0, state: record?.progress ?? {}, message: error },
      record,
    );
  }

  /** Opens a gate: the gate step itself, a decision after a failure, or a pause. Keeps the task token server-side. */
  async openGate(
    executionId: string,
    stepId: string,
    kind: 'step' | 'decision' | 'pause',
    taskToken: string,
  ): Promise<Gate> {
    const { execution, step, record } = await this.load(executionId, stepId);
    const now = this.deps.now();
    const plan = (await this.deps.plans.loadPlan(execution.customerId)).plan;
    let gate: Gate;
    const base = {
      executionId,
      stepId,
      requestedBy: execution.requestedBy,
      taskToken,
      openedAt: now,
      answers: [],
      status: 'open' as const,
    };
    if (kind === 'step' && step.kind === 'gate') {
      gate = {
        ...base,
        gateId: `${executionId}/${stepId}#${record?.attempt ?? 1}`,
        kind: step.gate,
        prompt: step.prompt,
        principals: step.principals,
        required: step.required,
        excludeRequester: step.excludeRequester,
        expiresAt: now + step.timeoutSeconds * 1000,
      };
      if (!record) await this.journalStarted(executionId, step);
    } else if (kind === 'decision') {
      const failedServers = record?.failedServers ?? [];
      gate = {
        ...base,
        gateId: `${executionId}/${stepId}#decision#${record?.attempt ?? 1}`,
        kind: 'decision',
        prompt: `${step.title} failed: ${record?.message ?? 'unknown error'}. Retry the failed, continue without them, or abort?`,
        principals: [...plan.access.requesters, ...plan.access.approvers],
        required: 1,
        excludeRequester: false,
        expiresAt: now + 7 * 86_400_000,
        ...(failedServers.length ? { failedServers } : {}),
      };
    } else {
      gate = {
        ...base,
        gateId: `${executionId}/${stepId}#pause#${now}`,
        kind: 'pause',
        prompt: `The run is paused before "${step.title}". Resume or abort?`,
        principals: [...plan.access.requesters, ...plan.access.approvers],
        required: 1,
        excludeRequester: false,
        expiresAt: now + 7 * 86_400_000,
      };
    }
    await this.deps.store.putGate(gate);
    await this.journal(
      executionId,
      'gate-opened',
      gate.prompt,
      {
        gateId: gate.gateId,
        kind: gate.kind,
        principals: gate.principals,
        required: gate.required,
        failedServers: gate.failedServers,
      },
      stepId,
    );
    return gate;
  }

  /**
   * One person's answer. Returns the decision and the task token when the gate is decided, so
   * the caller (the bot, or the local runner) can resume the state machine.
   */
  async answer(
    executionId: string,
    gateId: string,
    answer: { user: string; groups: string[]; decision: GateDecision; note?: string },
  ): Promise<{ decided?: GateDecision; taskToken?: string; gate: Gate }> {
    const gate = await this.deps.store.getGate(executionId, gateId);
    const result = answerGate(gate, { ...answer, at: this.deps.now() });
    await this.deps.store.saveGateAnswer(result.gate, gate.answers.length);
    await this.journal(
      executionId,
      'gate-answered',
      `<@${answer.user}> answered ${answer.decision}`,
      {
        gateId,
        kind: gate.kind,
        user: answer.user,
        decision: answer.decision,
        ...(answer.note ? { note: answer.note } : {}),
      },
      gate.stepId,
    );
    if (!result.decided) return { gate: result.gate };
    await this.journal(
      executionId,
      'gate-closed',
      `${gate.kind} ${result.decided}`,
      {
        gateId,
        kind: gate.kind,
        decision: result.decided,
        users: result.gate.answers.map((a) => a.user),
      },
      gate.stepId,
    );
    return { decided: result.decided, taskToken: gate.taskToken, gate: result.gate };
  }

  /** Pauses at the next step boundary; a Paused gate then waits for resume or abort. */
  async requestPause(executionId: string, by: string): Promise<void> {
    await this.deps.store.updateExecution(executionId, { pauseRequested: true });
    await this.journal(executionId, 'pause-requested', `<@${by}> asked to pause at the next step`, {
      by,
    });
  }

  /**
   * Aborts at the next step boundary: the run ends with a report of where each server is. A
   * gate waiting for people (an approval, a sign-off) is closed at once: its task tokens are
   * returned so the caller resumes the state machine, which then finishes the run.
   */
  async requestAbort(
    executionId: string,
    by: string,
  ): Promise<{ taskToken: string; kind: GateKind }[]> {
    await this.deps.store.updateExecution(executionId, { abortRequested: true });
    await this.journal(executionId, 'abort-requested', `<@${by}> asked to abort at the next step`, {
      by,
    });
    const closed: { taskToken: string; kind: GateKind }[] = [];
    for (const gate of await this.deps.store.openGates(executionId)) {
      const at = this.deps.now();
      try {
        await this.deps.store.saveGateAnswer(
          {
            ...gate,
            status: 'closed',
            answers: [...gate.answers, { user: by, decision: 'abort', at }],
          },
          gate.answers.length,
        );
      } catch (error) {
        if (error instanceof ConcurrentUpdateError) continue; // answered at the same moment
        throw error;
      }
      await this.journal(
        executionId,
        'gate-closed',
        `${gate.kind} closed: the run is aborting`,
        { gateId: gate.gateId, kind: gate.kind, decision: 'abort', users: [by] },
        gate.stepId,
      );
      closed.push({ taskToken: gate.taskToken, kind: gate.kind });
    }
    return closed;
  }

  /**
   * Ends the gates nobody answered in time (an approval expires, a sign-off waits days at most):
   * each is marked expired and its task token returned, so the caller resumes the state machine,
   * which then aborts the run with its report.
   */
  async expireDueGates(
    /** Only the gates of runs executing here: each region's sweeper ends its own region's gates. */
    region?: Region,
  ): Promise<{ taskToken: string; kind: GateKind; executionId: string; region: Region }[]> {
    const now = this.deps.now();
    const expired: { taskToken: string; kind: GateKind; executionId: string; region: Region }[] =
      [];
    for (const due of await this.deps.store.dueGates(now)) {
      const gate = await this.deps.store.getGate(due.executionId, due.gateId);
      if (gate.status !== 'open' || gate.expiresAt > now) continue;
      // A global table's conditional writes hold within one region: two regions' sweepers must
      // not race for one gate, and a token is only known where its execution runs.
      const { runbook } = await this.deps.store.getExecution(gate.executionId);
      if (region && runbook.executionRegion !== region) continue;
      try {
        await this.deps.store.expireGate(gate);
      } catch (error) {
        if (error instanceof ConcurrentUpdateError) continue; // answered at the last moment
        throw error;
      }
      await this.journal(
        gate.executionId,
        'gate-expired',
        `The ${gate.kind} expired unanswered`,
        { gateId: gate.gateId, kind: gate.kind },
        gate.stepId,
      );
      expired.push({
        taskToken: gate.taskToken,
        kind: gate.kind,
        executionId: gate.executionId,
        region: runbook.executionRegion,
      });
    }
    return expired;
  }

  openGatesOf(executionId: string): Promise<Gate[]> {
    return this.deps.store.openGates(executionId);
  }

  /** Applies a decided gate to the run: the state machine calls this when the gate's task resumes. */
  async applyDecision(
    executionId: string,
    stepId: string,
    kind: GateKind,
    decision: GateDecision | 'expired',
  ): Promise<void> {
    const { execution, step, record } = await this.load(executionId, stepId);
    const now = this.deps.now();
    const close = async (status: 'done' | 'skipped', message: string) => {
      await this.deps.store.putStep(executionId, {
        stepId,
        status,
        startedAt: record?.startedAt ?? now,
        endedAt: now,
        attempt: record?.attempt ?? 1,
        progress: record?.progress ?? {},
        message,
      });
      await this.journal(
        executionId,
        'step-finished',
        `${step.title}: ${status}`,
        { status, kind: step.kind },
        stepId,
      );
    };
    if (decision === 'expired') {
      await this.journal(
        executionId,
        'gate-expired',
        `${kind} expired without a decision`,
        { kind },
        stepId,
      );
      await this.deps.store.updateExecution(executionId, { abortRequested: true });
      return;
    }
    if (kind === 'pause') {
      await this.deps.store.updateExecution(
        executionId,
        decision === 'resume'
          ? { pauseRequested: false, status: 'running' }
          : { abortRequested: true },
      );
      return;
    }
    if (decision === 'approve' || decision === 'done') {
      await close('done', `${kind}: ${decision}`);
      return;
    }
    if (decision === 'reject' || decision === 'abort') {
      await this.deps.store.updateExecution(executionId, { abortRequested: true });
      return;
    }
    // retry or continue: the step starts again, keeping its progress; continue leaves the failed behind.
    if (decision === 'continue') {
      const excluded = [...new Set([...execution.excluded, ...(record?.failedServers ?? [])])];
      await this.deps.store.updateExecution(executionId, { excluded });
      await this.journal(
        executionId,
        'servers-excluded',
        `Continuing without ${(record?.failedServers ?? []).join(', ') || 'the failed step'}`,
        { servers: record?.failedServers ?? [] },
        stepId,
      );
      if (!record?.failedServers?.length) {
        await close('skipped', 'continued without this step');
        return;
      }
    }
    await this.deps.store.putStep(executionId, {
      stepId,
      status: 'failed',
      startedAt: record?.startedAt ?? now,
      attempt: (record?.attempt ?? 1) + 1,
      progress: record?.progress ?? {},
      message: `restarting after ${decision}`,
    });
  }

  /** Ends the run: the report when it did not run as a step (an abort), status, lock. */
  async finish(
    executionId: string,
    outcome: 'succeeded' | 'aborted',
  ): Promise<{ outcome: string; reportFiles: Record<string, string> }> {
    const execution = await this.deps.store.getExecution(executionId);
    const now = this.deps.now();
    await this.deps.store.updateExecution(executionId, { status: outcome, endedAt: now });
    // An aborted run's report is written here (its outcome from the run's status); either way
    // the last journal entry says where the report is, for the notifier's final message.
    const reportFiles =
      outcome === 'aborted'
        ? await this.deps.writeReport(await this.deps.store.getExecution(executionId))
        : (((await this.deps.store.getSteps(executionId)).get('report')?.progress.files as Record<
            string,
            string
          >) ?? {});
    await this.journal(executionId, 'execution-finished', `Run ${outcome}`, {
      outcome,
      reportFiles,
    });
    await this.saveSummary(executionId);
    await this.deps.store.releaseLock(execution.customerId, executionId);
    return { outcome, reportFiles };
  }

  /** The ended run's figures, for the customer's history (`/dr history`). */
  private async saveSummary(executionId: string): Promise<void> {
    const execution = await this.deps.store.getExecution(executionId);
    const { plan } = await this.deps.plans.loadPlan(execution.customerId);
    const [journal, steps] = await Promise.all([
      this.deps.store.journal(executionId),
      this.deps.store.getSteps(executionId),
    ]);
    const report = buildReport({
      execution,
      journal,
      steps,
      customerName: plan.customer.name,
      now: this.deps.now(),
    });
    const figures = (m: Report['rto'] | Report['rpo']) => ({
      seconds: m.seconds,
      target: m.target,
      met: m.met,
    });
    await this.deps.store.saveRunSummary({
      executionId,
      customerId: execution.customerId,
      operation: execution.operation,
      requestedBy: execution.requestedBy,
      startedAt: execution.startedAt,
      ...(execution.endedAt ? { endedAt: execution.endedAt } : {}),
      outcome: report.outcome,
      rto: figures(report.rto),
      rpo: figures(report.rpo),
    });
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
      now: () => this.deps.now(),
      journal: async () => {},
    };
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

  private async report(execution: Execution, step: StepOf<'report'>): Promise<Progress> {
    await this.journalStarted(execution.executionId, step);
    const files = await this.deps.writeReport(execution);
    return this.save(execution, step, { status: 'done', waitSeconds: 0, state: { files } });
  }

  private async journalStarted(executionId: string, step: Step): Promise<void> {
    await this.journal(
      executionId,
      'step-started',
      step.title,
      { kind: step.kind, title: step.title, phase: step.phase },
      step.id,
    );
  }

  private async load(
    executionId: string,
    stepId: string,
  ): Promise<{ execution: Execution; step: Step; record?: StepRecord }> {
    const execution = await this.deps.store.getExecution(executionId);
    const step = execution.runbook.steps.find((s) => s.id === stepId);
    if (!step) throw new Error(`Step ${stepId} is not in run ${executionId}`);
    const record = await this.deps.store.getStep(executionId, stepId);
    return { execution, step, ...(record ? { record } : {}) };
  }

  private async context(execution: Execution, step: Step): Promise<StepContext> {
    const { plan } = await this.deps.plans.loadPlan(execution.customerId);
    return {
      execution,
      services: this.deps.servicesFor(plan),
      now: () => this.deps.now(),
      journal: (type, message, data) =>
        this.journal(execution.executionId, type, message, data, step.id),
    };
  }

  private async save(
    execution: Execution,
    step: Step,
    progress: Progress,
    record?: StepRecord,
  ): Promise<Progress> {
    const now = this.deps.now();
    const status = progress.status === 'running' ? 'running' : progress.status;
    await this.deps.store.putStep(execution.executionId, {
      stepId: step.id,
      status,
      startedAt:
        record && record.status === 'running' ? record.startedAt : (record?.startedAt ?? now),
      ...(status !== 'running' ? { endedAt: now } : {}),
      attempt: record?.attempt ?? 1,
      progress: progress.state,
      ...(progress.message ? { message: progress.message } : {}),
      ...(progress.failedServers ? { failedServers: progress.failedServers } : {}),
    });
    if (status !== 'running') {
      await this.journal(
        execution.executionId,
        'step-finished',
        `${step.title}: ${status}${progress.message ? ` (${progress.message})` : ''}`,
        { status, kind: step.kind },
        step.id,
      );
    }
    return progress;
  }

  private async journal(
    executionId: string,
    type: string,
    message: string,
    data?: Record<string, unknown>,
    stepId?: string,
  ): Promise<void> {
    const entry = await this.deps.store.append(executionId, {
      at: this.deps.now(),
      type,
      message,
      ...(stepId ? { stepId } : {}),
      ...(data ? { data } : {}),
    });
    // Slack lagging behind must not fail a step: the next entry wakes the notifier again.
    await this.deps.notify?.changed(executionId, entry.seq).catch((error: Error) => {
      console.warn(`Could not wake the notifier for ${executionId}: ${error.message}`);
    });
  }
}

/** A run's record as it starts. */
function newExecution(
  executionId: string,
  runbook: Runbook,
  planRevision: string,
  now: number,
  request: Pick<StartRequest, 'requestedBy' | 'channel' | 'reason' | 'disruptionAt'>,
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
    status: 'running',
    startedAt: now,
    excluded: [],
    pauseRequested: false,
    abortRequested: false,
    runbook,
  };
}
