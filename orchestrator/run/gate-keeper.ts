import { ConcurrentUpdateError } from '../domain/errors.ts';
import type { Gate, GateDecision, GateKind } from '../domain/execution.ts';
import {
  applyDecision,
  closeForAbort,
  expire,
  type GateOpening,
  isDue,
  openGate,
  type RunChanges,
  recordAnswer,
} from '../domain/gates.ts';
import { isIncidentId } from '../domain/incident.ts';
import type { Region } from '../domain/regions.ts';
import type { PlanSource } from '../ports/plan-source.ts';
import type { ExecutionStore, GateStore } from '../ports/state-store.ts';
import type { JournalWriter } from './journal-writer.ts';
import type { StepLifecycle } from './step-lifecycle.ts';

export interface GateKeeperDeps {
  store: ExecutionStore & GateStore;
  plans: PlanSource;
  journal: JournalWriter;
  steps: Pick<StepLifecycle, 'load'>;
  now(): number;
}

/** A gate the caller must resume the state machine for: its task token, in its run's region. */
export interface ResumableGate {
  taskToken: string;
  kind: GateKind;
  executionId: string;
  region: Region;
}

/**
 * The gates of runs: opened with their task tokens kept server-side, answered by people,
 * closed by an abort, expired by the sweeper, and their decisions applied to the run. The rules
 * are the domain's (`domain/gates.ts`); this applies what they return.
 */
export class GateKeeper {
  constructor(private readonly deps: GateKeeperDeps) {}

  async open(executionId: string, stepId: string, opening: GateOpening, taskToken: string) {
    const { execution, step, record } = await this.deps.steps.load(executionId, stepId);
    const { plan } = await this.deps.plans.loadPlan(execution.customerId);
    const opened = openGate({
      opening,
      execution,
      step,
      ...(record ? { record } : {}),
      access: plan.access,
      taskToken,
      now: this.deps.now(),
    });
    await this.deps.store.putGate(opened.gate);
    await this.deps.journal.write(executionId, ...opened.journal);
    return opened.gate;
  }

  /**
   * One person's answer. Returns the decision and the task token when the gate is decided, so
   * the caller (the bot, or the local runner) can resume the state machine.
   */
  async answer(
    executionId: string,
    gateId: string,
    answer: {
      user: string;
      userName?: string;
      groups: string[];
      decision: GateDecision;
      note?: string;
    },
  ): Promise<{ decided?: GateDecision; taskToken?: string; gate: Gate }> {
    const gate = await this.deps.store.getGate(executionId, gateId);
    const result = recordAnswer(gate, { ...answer, at: this.deps.now() });
    await this.deps.store.saveGateAnswer(result.gate, gate.answers.length);
    await this.deps.journal.write(executionId, ...result.journal);
    return result.decided
      ? { decided: result.decided, taskToken: gate.taskToken, gate: result.gate }
      : { gate: result.gate };
  }

  /** Pauses at the next step boundary; a Paused gate then waits for resume or abort. */
  async requestPause(executionId: string, by: string, byName?: string): Promise<void> {
    await this.deps.store.updateExecution(executionId, { pauseRequested: true });
    await this.deps.journal.write(executionId, {
      type: 'pause-requested',
      message: `<@${by}> asked to pause at the next step`,
      data: { by, ...(byName ? { byName } : {}) },
    });
  }

  /**
   * Aborts at the next step boundary: the run ends with a report of where each server is. A
   * gate waiting for people (an approval, a sign-off) is closed at once: its task tokens are
   * returned so the caller resumes the state machine, which then finishes the run.
   */
  async requestAbort(executionId: string, by: string, byName?: string): Promise<ResumableGate[]> {
    await this.deps.store.updateExecution(executionId, { abortRequested: true });
    await this.deps.journal.write(executionId, {
      type: 'abort-requested',
      message: `<@${by}> asked to abort at the next step`,
      data: { by, ...(byName ? { byName } : {}) },
    });
    const { runbook } = await this.deps.store.getExecution(executionId);
    const closed: ResumableGate[] = [];
    for (const gate of await this.deps.store.openGates(executionId)) {
      const closing = closeForAbort(gate, by, this.deps.now(), byName);
      if (
        !(await this.settle(() =>
          this.deps.store.saveGateAnswer(closing.gate, gate.answers.length),
        ))
      )
        continue; // answered at the same moment
      await this.deps.journal.write(executionId, ...closing.journal);
      closed.push({
        taskToken: gate.taskToken,
        kind: gate.kind,
        executionId,
        region: runbook.executionRegion,
      });
    }
    return closed;
  }

  /**
   * Ends the gates nobody answered in time (an approval expires, a sign-off waits days at most):
   * each is marked expired and its task token returned, so the caller resumes the state machine,
   * which then aborts the run with its report.
   */
  async expireDue(
    /** Only the gates of runs executing here: each region's sweeper ends its own region's gates. */
    region?: Region,
  ): Promise<ResumableGate[]> {
    const now = this.deps.now();
    const expired: ResumableGate[] = [];
    for (const due of await this.deps.store.dueGates(now)) {
      const gate = await this.deps.store.getGate(due.executionId, due.gateId);
      if (!isDue(gate, now)) continue;
      // An incident's approval expires by its own state machine's timeout (it has no run record).
      if (isIncidentId(gate.executionId)) continue;
      // A global table's conditional writes hold within one region: two regions' sweepers must
      // not race for one gate, and a token is only known where its execution runs.
      const { runbook } = await this.deps.store.getExecution(gate.executionId);
      if (region && runbook.executionRegion !== region) continue;
      const expiry = expire(gate);
      if (!(await this.settle(() => this.deps.store.expireGate(gate)))) continue; // answered at the last moment
      await this.deps.journal.write(gate.executionId, ...expiry.journal);
      expired.push({
        taskToken: gate.taskToken,
        kind: gate.kind,
        executionId: gate.executionId,
        region: runbook.executionRegion,
      });
    }
    return expired;
  }

  /** Applies a decided gate to the run: the state machine calls this when the gate's task resumes. */
  async applyDecision(
    executionId: string,
    stepId: string,
    kind: GateKind,
    decision: GateDecision | 'expired',
  ): Promise<void> {
    const { execution, step, record } = await this.deps.steps.load(executionId, stepId);
    const openGate =
      decision === 'expired'
        ? (await this.deps.store.openGates(executionId)).find((g) => g.stepId === stepId)
        : undefined;
    const changes = applyDecision({
      execution,
      step,
      ...(record ? { record } : {}),
      kind,
      decision,
      ...(openGate ? { openGate } : {}),
      now: this.deps.now(),
    });
    await this.apply(executionId, changes);
  }

  private async apply(executionId: string, changes: RunChanges): Promise<void> {
    const { gate } = changes;
    // A gate the sweeper or a last answer closed meanwhile is theirs to journal.
    const gateSaved = gate ? await this.settle(() => this.deps.store.expireGate(gate)) : true;
    if (changes.execution) await this.deps.store.updateExecution(executionId, changes.execution);
    if (changes.step) await this.deps.store.putStep(executionId, changes.step);
    const journal = gateSaved
      ? changes.journal
      : changes.journal.filter((e) => e.type !== 'gate-expired');
    await this.deps.journal.write(executionId, ...journal);
  }

  /** Runs a conditional write; false when someone else changed the record at the same moment. */
  private async settle(write: () => Promise<void>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (error) {
      if (error instanceof ConcurrentUpdateError) return false;
      throw error;
    }
  }
}
