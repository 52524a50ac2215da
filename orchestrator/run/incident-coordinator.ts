import {
  ConcurrentUpdateError,
  LifeboatError,
  OperationInProgressError,
  UnsupportedOperationError,
} from '../domain/errors.ts';
import { type Execution, type Gate, hasEnded } from '../domain/execution.ts';
import { closedBy, closeForAbort, recordAnswer } from '../domain/gates.ts';
import {
  advanceIncident,
  asFailover,
  type ChildView,
  cancelForFailover,
  childProgress,
  type ExistingRun,
  handleExistingRun,
  INCIDENT_SCHEMA_VERSION,
  type Incident,
  type IncidentPlan,
  type IncidentReadiness,
  type IncidentRequest,
  incidentEnded,
  incidentName,
  incidentPlans,
  regionLockKey,
} from '../domain/incident.ts';
import type { Plan } from '../domain/plan.ts';
import { planRunbook } from '../domain/plan-runbook.ts';
import type { Region } from '../domain/regions.ts';
import type { PreflightResult } from '../domain/runbook.ts';
import {
  LOCK_STALE_MS,
  type RegionWideSettings,
  type RunbookSettings,
} from '../domain/settings.ts';
import type { IncidentControl, IncidentStarter, IncidentStore } from '../ports/incident.ts';
import type { PlanSource } from '../ports/plan-source.ts';
import type {
  GateAnswered,
  GateAnswerInput,
  RunControl,
  RunNotifications,
} from '../ports/run-control.ts';
import type {
  ExecutionStore,
  GateStore,
  JournalStore,
  LockStore,
  TaskTokens,
} from '../ports/state-store.ts';
import { JournalWriter } from './journal-writer.ts';

export interface IncidentCoordinatorDeps {
  incidents: IncidentStore;
  store: LockStore &
    Pick<ExecutionStore, 'getExecution' | 'getSteps' | 'putStep' | 'updateExecution'> &
    GateStore &
    JournalStore;
  plans: PlanSource;
  settings: RunbookSettings;
  /** The pre-flight checks of a customer's operation, now (the engine's readiness). */
  readiness(customerId: string, operation: 'failover'): Promise<PreflightResult[]>;
  /** Starts and aborts the child runs (the bot's run control: lock, then StartExecution). */
  runs: Pick<RunControl, 'start' | 'requestAbort'>;
  tokens: TaskTokens;
  /** Starts the incident's state machine (the bot's side only). */
  starter?: IncidentStarter;
  now(): number;
  newId(): string;
  nonce(): string;
  notify?: RunNotifications;
  warn?(message: string): void;
  /** Writes the incident's report once it has ended; returns where it went (kind -> location). */
  writeReport?(incident: Incident): Promise<Record<string, string>>;
}

/** How many customers' readiness is asked at once while an incident prepares. */
const READINESS_AT_ONCE = 6;

/**
 * A region-wide incident, as the bot requests it and its state machine drives it: prepare
 * (every plan's readiness and the runs already going), the M-of-N approval, then one look at a
 * time (`advance`) until every plan has ended. The decisions are `domain/incident.ts`; this
 * reads what they need and applies what they return.
 */
export class IncidentCoordinator implements IncidentControl {
  private readonly journal: JournalWriter;

  constructor(private readonly deps: IncidentCoordinatorDeps) {
    this.journal = new JournalWriter({
      store: deps.store,
      now: deps.now,
      ...(deps.notify ? { notify: deps.notify } : {}),
      ...(deps.warn ? { warn: deps.warn } : {}),
    });
  }

  // The bot's side

  async requestRegionFailover(request: Omit<IncidentRequest, 'incidentId'>) {
    const regionWide = this.regionWide();
    const plans = await this.plansOf(request.region);
    const executionRegion = regionWide.executionRegions.find((r) => r !== request.region);
    if (!executionRegion)
      throw new UnsupportedOperationError(
        `Every region in regionWide.executionRegions is ${request.region}; add another region to config/defaults.yaml.`,
      );
    const incidentId = incidentName(request.region, this.deps.now(), this.deps.nonce());
    // One open incident per lost region: the lock is the one conditional write.
    await this.lockRegion(request.region, incidentId);
    try {
      await this.starter().startIncident(executionRegion, { ...request, incidentId });
    } catch (error) {
      await this.deps.store.releaseLock(regionLockKey(request.region), incidentId);
      throw error;
    }
    return { incidentId, executionRegion, plans: plans.map((p) => p.customer.id) };
  }

  async getIncident(incidentId: string): Promise<Incident> {
    return (await this.deps.incidents.getIncident(incidentId)).incident;
  }

  openIncident(region: Region): Promise<string | undefined> {
    return this.deps.store.activeRun(regionLockKey(region));
  }

  listIncidents(region: Region, limit: number): Promise<Incident[]> {
    return this.deps.incidents.listIncidents(region, limit);
  }

  async answerIncident(
    incidentId: string,
    gateId: string,
    answer: GateAnswerInput,
  ): Promise<GateAnswered> {
    const gate = await this.deps.store.getGate(incidentId, gateId);
    const result = recordAnswer(gate, { ...answer, at: this.deps.now() });
    await this.deps.store.saveGateAnswer(result.gate, gate.answers.length);
    await this.journal.write(incidentId, ...result.journal);
    if (result.decided) {
      const { incident } = await this.deps.incidents.getIncident(incidentId);
      await this.deps.tokens.succeed(incident.executionRegion, gate.taskToken, {
        kind: 'approval',
        decision: result.decided,
      });
    }
    return { gate: result.gate, ...(result.decided ? { decided: result.decided } : {}) };
  }

  async abortIncident(incidentId: string, by: string, byName?: string): Promise<void> {
    await this.change(incidentId, (incident) => ({
      ...incident,
      abortRequested: true,
      abortRequestedBy: by,
    }));
    await this.journal.write(incidentId, {
      type: 'abort-requested',
      message: `<@${by}> asked to abort the incident: no more plans start, running ones abort`,
      data: { by, ...(byName ? { byName } : {}) },
    });
    // Waiting for approval: the approval closes as an abort (the state machine then ends).
    const { incident } = await this.deps.incidents.getIncident(incidentId);
    for (const gate of await this.deps.store.openGates(incidentId)) {
      const closing = closeForAbort(gate, by, this.deps.now(), byName, 'the incident');
      try {
        await this.deps.store.saveGateAnswer(closing.gate, gate.answers.length);
      } catch (error) {
        if (error instanceof ConcurrentUpdateError) continue;
        throw error;
      }
      await this.journal.write(incidentId, ...closing.journal);
      await this.deps.tokens.succeed(incident.executionRegion, gate.taskToken, {
        kind: 'approval',
        decision: 'abort',
      });
    }
  }

  // The state machine's side

  /**
   * Records the incident with every plan's readiness and the runs already going (done again
   * after a retry, it changes nothing).
   */
  async prepare(request: IncidentRequest): Promise<Incident> {
    const existing = await this.deps.incidents
      .getIncident(request.incidentId)
      .catch(() => undefined);
    if (existing) return existing.incident;
    const plans = await this.plansOf(request.region);
    const regionWide = this.regionWide();
    const ordered = incidentPlans(plans, request.region);
    const byId = new Map(plans.map((p) => [p.customer.id, p]));
    const prepared = await mapLimited(ordered, READINESS_AT_ONCE, async (entry) => {
      const plan = byId.get(entry.customerId) as Plan;
      const [readiness, running] = await Promise.all([
        this.readinessOf(plan),
        this.existingRun(plan),
      ]);
      return {
        ...entry,
        ...(readiness ? { readiness } : {}),
        ...(running ? { existing: running } : {}),
      };
    });
    const incident: Incident = {
      schemaVersion: INCIDENT_SCHEMA_VERSION,
      incidentId: request.incidentId,
      region: request.region,
      executionRegion:
        regionWide.executionRegions.find((r) => r !== request.region) ?? request.region,
      operation: 'failover',
      requestedBy: request.requestedBy,
      ...(request.requestedByName ? { requestedByName: request.requestedByName } : {}),
      ...(request.reason ? { reason: request.reason } : {}),
      ...(request.disruptionAt ? { disruptionAt: request.disruptionAt } : {}),
      channel: request.channel,
      status: 'awaiting-approval',
      createdAt: this.deps.now(),
      approvedBy: [],
      approvedByNames: {},
      abortRequested: false,
      plans: prepared,
    };
    await this.deps.incidents.createIncident(incident);
    await this.journal.write(incident.incidentId, {
      type: 'incident-requested',
      message: `<@${request.requestedBy}> requested the failover of every plan of ${request.region}`,
      data: {
        region: request.region,
        plans: prepared.map((p) => p.customerId),
        requestedBy: request.requestedBy,
        ...(request.requestedByName ? { requestedByName: request.requestedByName } : {}),
      },
    });
    return incident;
  }

  /** Opens the incident's approval (its task token kept here, never sent to Slack). */
  async openApproval(incidentId: string, taskToken: string): Promise<Gate> {
    const regionWide = this.regionWide();
    const { incident } = await this.deps.incidents.getIncident(incidentId);
    const now = this.deps.now();
    const gate: Gate = {
      gateId: `${incidentId}/approval#1`,
      executionId: incidentId,
      stepId: 'approval',
      kind: 'approval',
      prompt: `Fail over every plan of ${incident.region} (${incident.plans.length} plans)?`,
      principals: regionWide.approvers,
      required: regionWide.approvals,
      excludeRequester: true,
      requestedBy: incident.requestedBy,
      taskToken,
      openedAt: now,
      expiresAt: now + regionWide.approvalTimeout * 1000,
      answers: [],
      status: 'open',
    };
    await this.deps.store.putGate(gate);
    await this.journal.write(incidentId, {
      type: 'gate-opened',
      stepId: 'approval',
      message: `Approval needed from ${regionWide.approvals} of ${regionWide.approvers.join(', ')}`,
      data: {
        gateId: gate.gateId,
        kind: 'approval',
        principals: gate.principals,
        required: gate.required,
      },
    });
    return gate;
  }

  /** The approval's outcome applied: the incident runs, or ends (rejected, expired, aborted). */
  async applyApproval(
    incidentId: string,
    decision: string,
  ): Promise<{ approved: boolean; waitSeconds: number }> {
    const gates = await this.deps.store.openGates(incidentId);
    if (decision === 'expired')
      for (const gate of gates) await this.deps.store.expireGate(gate).catch(() => undefined);
    const gate = await this.deps.store.getGate(incidentId, `${incidentId}/approval#1`);
    if (decision === 'approve') {
      const approvers = gate.answers.filter((a) => a.decision === 'approve').map((a) => a.user);
      await this.change(incidentId, (incident) => ({
        ...incident,
        status: 'running',
        approvedAt: this.deps.now(),
        approvedBy: approvers,
      }));
      return { approved: true, waitSeconds: 0 };
    }
    const status =
      decision === 'expired' ? 'expired' : decision === 'abort' ? 'aborted' : 'rejected';
    await this.end(incidentId, status);
    return { approved: false, waitSeconds: 0 };
  }

  /** One look: children's ends, starts, conversions and aborts; `done` once every plan has ended. */
  async advance(incidentId: string): Promise<{ done: boolean; waitSeconds: number }> {
    const { incident, version } = await this.deps.incidents.getIncident(incidentId);
    if (incidentEnded(incident.status)) return { done: true, waitSeconds: 0 };
    const children = await this.childViews(incident);
    const decision = advanceIncident(
      incident,
      children,
      this.deps.now(),
      this.regionWide().maxConcurrentRuns,
    );
    const plans = new Map(decision.plans.map((p) => [p.customerId, p]));
    for (const action of decision.actions) {
      const plan = plans.get(action.customerId) as IncidentPlan;
      try {
        if (action.kind === 'start') await this.startChild(incident, plan);
        if (action.kind === 'convert') await this.convert(incident, plan, action.executionId);
        if (action.kind === 'abort' && (await this.abortable(action.executionId)))
          await this.deps.runs.requestAbort(
            action.executionId,
            incident.abortRequestedBy ?? incident.requestedBy,
          );
      } catch (error) {
        if (!(error instanceof LifeboatError)) throw error;
        // A start refused (the customer's lock is someone else's): look again next time.
        if (action.kind === 'start') {
          plan.state = 'waiting';
          delete plan.startedAt;
        }
        plan.note = error.message;
      }
    }
    for (const plan of plans.values()) {
      const child = children.get(plan.customerId);
      if (!child || !plan.executionId) continue;
      plan.progress = child.progress;
      // A child waiting for people shows on the incident card, pointing at its own channel.
      if (plan.state === 'running' && child.waitingFor)
        plan.note = `Waiting for a ${child.waitingFor} in ${plan.channel ? `<#${plan.channel}>` : 'its channel'}: ${plan.name}'s run asks what to do.`;
      else if (plan.note?.startsWith('Waiting for a ')) delete plan.note;
    }
    const next: Incident = {
      ...incident,
      plans: [...plans.values()],
      // An end recorded by a try that died before its report is kept: the report is as of it.
      ...(decision.done
        ? { status: decision.status, endedAt: incident.endedAt ?? this.deps.now() }
        : {}),
    };
    await this.deps.incidents.saveIncident(next, version);
    await this.journalChanges(incident, next);
    if (decision.done) await this.end(incidentId, decision.status as 'succeeded');
    return { done: decision.done, waitSeconds: decision.waitSeconds };
  }

  // Inside

  private async startChild(incident: Incident, plan: IncidentPlan): Promise<void> {
    const request = {
      customerId: plan.customerId,
      operation: 'failover' as const,
      requestedBy: incident.requestedBy,
      ...(incident.requestedByName ? { requestedByName: incident.requestedByName } : {}),
      channel: plan.channel ?? incident.channel,
      reason: `Region-wide failover of ${incident.region} (${incident.incidentId})${incident.reason ? `: ${incident.reason}` : ''}`,
      incident: { incidentId: incident.incidentId, approvedBy: incident.approvedBy },
      // The outage began before this customer's turn came: its RTO counts from then.
      disruptionAt: incident.disruptionAt ?? incident.createdAt,
    };
    try {
      const started = await this.deps.runs.start(request);
      plan.executionId = started.executionId;
    } catch (error) {
      if (!(error instanceof OperationInProgressError)) throw error;
      // Started by an earlier try of this look (its answer lost): follow that run.
      const holder = await this.deps.store.activeRun(plan.customerId);
      const run = holder ? await this.deps.store.getExecution(holder) : undefined;
      if (run?.incidentId !== incident.incidentId) throw error;
      plan.executionId = run.executionId;
    }
  }

  /** Whether a run may still be asked to abort (each look would ask again otherwise). */
  private async abortable(executionId: string): Promise<boolean> {
    const run = await this.deps.store.getExecution(executionId);
    return !run.abortRequested && !hasEnded(run.status);
  }

  /** A drill going on when the region was lost continues as a failover: sign-off and failback cancelled. */
  private async convert(incident: Incident, plan: IncidentPlan, executionId: string) {
    const execution = await this.deps.store.getExecution(executionId);
    if (execution.convertedToFailover) return;
    const records = await this.deps.store.getSteps(executionId);
    const cancelled = cancelForFailover(execution.runbook, records);
    if (!cancelled) {
      plan.state = 'held';
      plan.endedAt = this.deps.now();
      plan.note = `Its drill (${executionId}) had begun failing back into ${incident.region}; a person must decide where ${plan.name} runs.`;
      return;
    }
    const now = this.deps.now();
    for (const stepId of cancelled)
      await this.deps.store.putStep(executionId, {
        stepId,
        status: 'skipped',
        startedAt: now,
        endedAt: now,
        attempt: 1,
        progress: {},
        message: `Cancelled: ${incident.region} was lost, the drill continues as a failover (${incident.incidentId})`,
      });
    const { plan: customerPlan } = await this.deps.plans.loadPlan(execution.customerId);
    await this.deps.store.updateExecution(executionId, {
      incidentId: incident.incidentId,
      convertedToFailover: { incidentId: incident.incidentId, at: now },
      runbook: asFailover(
        execution.runbook,
        planRunbook(customerPlan, 'failover', this.deps.settings),
      ),
    });
    await this.journal.write(executionId, {
      type: 'joined-incident',
      message: `${incident.region} was lost: this drill continues as a failover (${incident.incidentId}); its sign-off and failback are cancelled`,
      data: {
        incidentId: incident.incidentId,
        as: 'converted-to-failover',
        cancelledSteps: cancelled,
      },
    });
    // A sign-off it was waiting for is no longer asked: the run goes on to its report.
    for (const gate of await this.deps.store.openGates(executionId)) {
      if (!cancelled.includes(gate.stepId)) continue;
      const closed = closedBy(gate, incident.incidentId, now, 'approve');
      await this.deps.store.saveGateAnswer(closed, gate.answers.length);
      await this.deps.tokens.succeed(execution.runbook.executionRegion, gate.taskToken, {
        kind: gate.kind,
        decision: 'approve',
      });
    }
  }

  private async childViews(incident: Incident) {
    const views = new Map<
      string,
      ChildView & { progress: IncidentPlan['progress']; waitingFor?: 'decision' | 'pause' }
    >();
    await mapLimited(incident.plans, READINESS_AT_ONCE, async (plan) => {
      const id = plan.executionId ?? plan.existing?.executionId;
      // An ended plan's run was read when it ended: each look reads only what may still change.
      if (!id || !['waiting', 'running'].includes(plan.state)) return;
      const [execution, records, holder, gates] = await Promise.all([
        this.deps.store.getExecution(id),
        this.deps.store.getSteps(id),
        this.deps.store.activeRun(plan.customerId),
        this.deps.store.openGates(id),
      ]);
      const asking = gates.find((g) => g.kind === 'decision' || g.kind === 'pause');
      const progress = childProgress(execution.runbook, records);
      views.set(plan.customerId, {
        status: execution.status,
        wavesDone: progress.wavesDone,
        lockFree: holder === undefined,
        ...(asking ? { waitingFor: asking.kind as 'decision' | 'pause' } : {}),
        progress: {
          wavesDone: progress.wavesDone.length,
          waveCount: progress.waveCount,
          serversRecovered: progress.serversRecovered,
        },
      });
    });
    return views;
  }

  /** Journals each plan whose state or wave count changed, so the incident card follows. */
  private async journalChanges(before: Incident, after: Incident): Promise<void> {
    const old = new Map(before.plans.map((p) => [p.customerId, p]));
    for (const plan of after.plans) {
      const was = old.get(plan.customerId);
      if (
        was?.state === plan.state &&
        was.progress?.wavesDone === plan.progress?.wavesDone &&
        was.note === plan.note
      )
        continue;
      await this.journal.write(after.incidentId, {
        type: 'incident-plan',
        message: `${plan.name}: ${plan.state}${plan.progress ? `, wave ${plan.progress.wavesDone}/${plan.progress.waveCount}` : ''}`,
        data: {
          customerId: plan.customerId,
          state: plan.state,
          ...(plan.executionId ? { executionId: plan.executionId } : {}),
          ...(plan.progress ? { wavesDone: plan.progress.wavesDone } : {}),
          ...(plan.note ? { note: plan.note } : {}),
        },
      });
    }
  }

  private async end(
    incidentId: string,
    status: 'succeeded' | 'failed' | 'aborted' | 'rejected' | 'expired',
  ): Promise<void> {
    const incident = await this.change(incidentId, (i) =>
      incidentEnded(i.status) && i.status !== 'running' && i.endedAt
        ? i
        : { ...i, status, endedAt: i.endedAt ?? this.deps.now() },
    );
    await this.deps.store.releaseLock(regionLockKey(incident.region), incidentId);
    // A report of an incident that never started would say nothing its card does not.
    const reportFiles =
      incident.approvedAt !== undefined && this.deps.writeReport
        ? await this.deps.writeReport(incident)
        : {};
    await this.journal.write(incidentId, {
      type: 'incident-finished',
      message: `The incident ended: ${status}`,
      data: { status, reportFiles },
    });
  }

  /** Reads, changes and writes the incident, again when someone wrote it meanwhile. */
  private async change(incidentId: string, edit: (incident: Incident) => Incident) {
    for (let attempt = 1; ; attempt++) {
      const { incident, version } = await this.deps.incidents.getIncident(incidentId);
      const next = edit(incident);
      try {
        await this.deps.incidents.saveIncident(next, version);
        return next;
      } catch (error) {
        if (!(error instanceof ConcurrentUpdateError) || attempt >= 10) throw error;
      }
    }
  }

  private async readinessOf(plan: Plan): Promise<IncidentReadiness | undefined> {
    try {
      const results = await this.deps.readiness(plan.customer.id, 'failover');
      const lag = results.find((r) => r.check === 'replication-lag');
      return {
        ok: results.every((r) => r.ok || r.advisory),
        results,
        expectedRpoSeconds: lag?.seconds ?? null,
      };
    } catch (error) {
      this.deps.warn?.(`Readiness of ${plan.customer.id}: ${(error as Error).message}`);
      return undefined;
    }
  }

  private async existingRun(plan: Plan): Promise<ExistingRun | undefined> {
    const holder = await this.deps.store.activeRun(plan.customer.id);
    if (!holder) return undefined;
    const execution: Execution = await this.deps.store.getExecution(holder);
    if (hasEnded(execution.status)) return undefined;
    const records = await this.deps.store.getSteps(holder);
    const moved = execution.runbook.steps.some(
      (s) => s.kind === 'dns' && s.phase === 'failover' && records.get(s.id)?.status === 'done',
    );
    const approved = execution.runbook.steps.every(
      (s) => !(s.kind === 'gate' && s.gate === 'approval') || records.get(s.id)?.status === 'done',
    );
    let handling = handleExistingRun(execution.operation);
    // A drill nobody approved yet has changed nothing: it gives way to the failover.
    if (handling === 'continue-as-failover' && !approved) handling = 'abort-then-failover';
    if (
      handling === 'continue-as-failover' &&
      cancelForFailover(execution.runbook, records) === undefined
    )
      handling = 'abort-and-hold';
    return { executionId: holder, operation: execution.operation, failedOver: moved, handling };
  }

  private async plansOf(region: Region): Promise<Plan[]> {
    const all = await Promise.all(
      (await this.deps.plans.listCustomers()).map(
        async (id) => (await this.deps.plans.loadPlan(id)).plan,
      ),
    );
    const taking = all.filter((p) => p.regions.primary === region);
    if (taking.length === 0) {
      const primaries = [...new Set(all.map((p) => p.regions.primary))].sort();
      throw new UnsupportedOperationError(
        `No plan has ${region} as its primary region, so there is nothing to fail over; the primaries are ${primaries.join(', ') || 'none'}.`,
      );
    }
    return taking;
  }

  private regionWide(): RegionWideSettings {
    const regionWide = this.deps.settings.regionWide;
    if (!regionWide)
      throw new UnsupportedOperationError(
        'Region-wide operations are not configured: add regionWide (channel, requesters, approvers) to config/defaults.yaml.',
      );
    return regionWide;
  }

  private starter(): IncidentStarter {
    if (!this.deps.starter) throw new Error('This incident coordinator cannot start incidents');
    return this.deps.starter;
  }

  private async lockRegion(region: Region, incidentId: string): Promise<void> {
    try {
      await this.deps.store.acquireLock(
        regionLockKey(region),
        incidentId,
        this.deps.now(),
        LOCK_STALE_MS,
      );
    } catch (error) {
      if (!(error instanceof OperationInProgressError)) throw error;
      const holder = await this.deps.store.activeRun(regionLockKey(region));
      throw new OperationInProgressError(
        region,
        holder ?? 'another incident',
        `A region-wide failover of ${region} is already open (${holder}); follow it with /dr status region ${region}, or abort it with /dr abort ${holder}.`,
      );
    }
  }
}

/** Maps with at most `limit` calls in flight, keeping the order. */
async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
