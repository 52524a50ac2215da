import type { WebAPIPlatformError, WebClient } from '@slack/web-api';
import { z } from 'zod';
import { ConcurrentUpdateError, NotFoundError } from '../../orchestrator/domain/errors.ts';
import type { Execution, Gate } from '../../orchestrator/domain/execution.ts';
import type { PlanLoader, RunReader } from '../../orchestrator/ports/run-control.ts';
import { renderFinalReport, renderGatePrompt } from '../blocks/prompts.ts';
import { renderRequestCard, type SlackMessage } from '../blocks/request-card.ts';
import { renderStatusCard } from '../blocks/status-card.ts';
import { fallbacks, isRefusal } from './fallbacks.ts';
import type { NoticeStore } from './notice-store.ts';
import { foldEntry, type NoticeEvent, RunViewSchema, startView, waveProgress } from './run-view.ts';

/** What the bot has shown in Slack for one run; stored with the run, versioned. */
export const NoticeSchema = z.object({
  schemaVersion: z.literal(1),
  channel: z.string(),
  /** The last journal entry shown. */
  cursor: z.number(),
  view: RunViewSchema,
  requestTs: z.string().optional(),
  statusTs: z.string().optional(),
  /** The status card last sent, to skip updates that change nothing. */
  statusText: z.string().optional(),
  statusAt: z.number().optional(),
  /** A milestone happened that the status card does not show yet. */
  cardDue: z.boolean().default(false),
  /** Thread messages that ask people something, by gate id. */
  prompts: z.record(z.string(), z.string()),
  /** Thread lines waiting for the next milestone. */
  pending: z.array(z.string()),
  lastPostAt: z.number(),
  done: z.boolean(),
});
export type Notice = z.infer<typeof NoticeSchema>;

export interface NotifierDeps {
  runs: RunReader & PlanLoader;
  /** Where each run's notice is kept between wake-ups. */
  notices: NoticeStore;
  client: WebClient;
  /** Real time (ms), for pacing and coalescing; runs may be on a virtual clock. */
  wallNow(): number;
  sleep(ms: number): Promise<void>;
  /** Links people can open to a run's report files; the locations are shown as they are when absent. */
  reportLinks?(
    execution: Execution,
    files: Record<string, string>,
  ): Record<string, string> | Promise<Record<string, string>>;
  /** Least time between two status card updates (Slack's chat.update is Tier 3). @default 3 s */
  cardEveryMs?: number;
  /**
   * What a wake-up does with a card update held back: `wait` for it (the Lambda, woken only by
   * the queue), or leave it to the next wake-up (`later`, a local notifier that polls).
   */
  settle: 'wait' | 'later';
  /** Least time between two messages the notifier posts in a channel (Slack: about 1/s). @default 1.1 s */
  postEveryMs?: number;
  /** Where a message Slack refused is reported (Powertools' Logger fits). @default console */
  log?: { warn(message: string, ...details: Record<string, unknown>[]): void };
}

class Superseded extends Error {}

/**
 * Keeps a run's Slack messages up to date from its journal: the request card, one status card
 * (updated at most every `cardEveryMs`), thread replies per
 * wave and step, prompts for the gates people answer, and the final report broadcast. Each
 * wake-up reads only the entries after its cursor; the notice is saved after every Slack write,
 * so a crash repeats at most one message. A message Slack refuses for what it is (not for a rate
 * limit) is reported and replaced by a shorter one, its buttons kept; failing that it is left
 * out, so one bad message never holds back the run's later ones.
 */
export class Notifier {
  constructor(private readonly deps: NotifierDeps) {}

  /**
   * Brings the run's messages up to date. Returns `done` once the run's end is shown (or it has
   * no channel), `waiting` while the run has not recorded its start yet.
   */
  async sync(executionId: string): Promise<'more' | 'waiting' | 'done'> {
    const { runs } = this.deps;
    let execution: Execution;
    try {
      execution = await runs.getExecution(executionId);
    } catch (error) {
      if (error instanceof NotFoundError) return 'waiting';
      throw error;
    }
    if (!execution.channel) return 'done';
    const stored = await this.deps.notices.getNotice(executionId);
    const state = {
      version: stored?.version ?? 0,
      notice: stored ? NoticeSchema.parse(stored.doc) : initialNotice(execution, execution.channel),
    };
    if (state.notice.done) return 'done';
    try {
      await this.catchUp(execution, state);
    } catch (error) {
      if (error instanceof Superseded) return 'more';
      throw error;
    }
    return state.notice.done ? 'done' : 'more';
  }

  private async catchUp(
    execution: Execution,
    state: { version: number; notice: Notice },
  ): Promise<void> {
    const entries = await this.deps.runs.journal(execution.executionId, state.notice.cursor);
    for (const entry of entries) {
      const folded = foldEntry(state.notice.view, entry, execution.runbook);
      state.notice.view = folded.view;
      state.notice.cursor = entry.seq;
      for (const event of folded.events) await this.apply(execution, state, event);
    }
    // The card follows milestones only (a wave done, a gate, a failure, the end), at most one
    // update per wake-up and one every `cardEveryMs`: servers coming up inside a wave are told
    // by the wave's thread reply, so a drill's writes do not grow with its servers or its hours.
    // A card held back is sent once due, by this wake-up (waiting) or the next (polling).
    if (!state.notice.cardDue) {
      if (entries.length > 0) await this.save(execution.executionId, state);
      return;
    }
    const wait = await this.refreshStatusCard(execution, state, false);
    if (wait > 0 && this.deps.settle === 'wait') {
      await this.deps.sleep(wait);
      await this.refreshStatusCard(execution, state, true);
    }
    if (entries.length > 0) await this.save(execution.executionId, state);
  }

  /** Shows one event: a card, a prompt, a thread reply at a milestone, the report. */
  private async apply(
    execution: Execution,
    state: { version: number; notice: Notice },
    event: NoticeEvent,
  ): Promise<void> {
    const { notice } = state;
    switch (event.type) {
      case 'gate-opened':
      case 'gate-answered':
        if (event.kind === 'approval') {
          await this.showRequestCard(execution, state, event.gateId);
          return;
        }
        if (event.type === 'gate-answered') return;
        await this.flush(execution, state);
        await this.showPrompt(execution, state, event.gateId);
        notice.cardDue = true;
        return;
      case 'gate-closed':
      case 'gate-expired':
        if (event.kind === 'approval') {
          if (event.gateId) await this.showRequestCard(execution, state, event.gateId);
          if (event.type === 'gate-closed' && event.decision === 'approve' && !notice.statusTs) {
            await this.refreshStatusCard(execution, state, true);
          }
          return;
        }
        if (event.gateId && notice.prompts[event.gateId])
          await this.showPrompt(execution, state, event.gateId);
        notice.cardDue = true;
        return;
      case 'line':
        if (event.text) notice.pending.push(event.text);
        if (event.milestone) {
          await this.flush(execution, state);
          notice.cardDue = true;
        }
        return;
      case 'finished':
        await this.flush(execution, state);
        // The card's last state goes out before the report that ends the thread.
        await this.refreshStatusCard(execution, state, true);
        await this.postReport(execution, state, event.reportFiles);
        notice.done = true;
        return;
    }
  }

  private async showRequestCard(
    execution: Execution,
    state: { version: number; notice: Notice },
    gateId: string,
  ): Promise<void> {
    const { notice } = state;
    const [{ plan, revision }, gate] = await Promise.all([
      this.deps.runs.loadPlan(execution.customerId),
      this.deps.runs.getGate(execution.executionId, gateId),
    ]);
    const approvals = gate.answers.filter((a) => a.decision === 'approve').map((a) => a.user);
    const last = gate.answers.at(-1);
    const message = renderRequestCard({
      plan,
      operation: execution.operation,
      activeRegion: execution.runbook.executionRegion,
      planRevision: execution.planRevision || revision,
      requestedBy: execution.requestedBy,
      ...(execution.reason ? { reason: execution.reason } : {}),
      ...(execution.disruptionAt ? { disruptionAt: execution.disruptionAt } : {}),
      gateId,
      ...(notice.view.preflight ? { preflight: notice.view.preflight } : {}),
      approvals: { required: gate.required, by: approvals },
      names: notice.view.names,
      ...(gate.status === 'expired'
        ? { decision: { outcome: 'expired' as const, at: gate.expiresAt } }
        : gate.status === 'closed' && last
          ? {
              decision: {
                outcome: outcomeOf(last, execution.requestedBy),
                by: last.decision === 'approve' ? approvals : last.user,
                at: last.at,
              },
            }
          : {}),
    });
    if (notice.requestTs) await this.update(execution, notice.channel, notice.requestTs, message);
    else {
      const ts = await this.post(execution, state, message);
      if (ts) notice.requestTs = ts;
    }
    await this.save(execution.executionId, state);
  }

  private async showPrompt(
    execution: Execution,
    state: { version: number; notice: Notice },
    gateId: string,
  ): Promise<void> {
    const { notice } = state;
    const gate = await this.deps.runs.getGate(execution.executionId, gateId);
    if (gate.kind === 'approval') return;
    const closing = gate.answers.at(-1);
    const message = renderGatePrompt({
      gateId,
      kind: gate.kind,
      prompt: gate.prompt,
      principals: gate.principals,
      ...(gate.failedServers ? { failedServers: gate.failedServers } : {}),
      ...(gate.status === 'expired'
        ? { decided: { expiredAt: gate.expiresAt } }
        : gate.status === 'closed' && closing
          ? {
              decided: {
                decision: closing.decision,
                users: gate.answers.map((a) => a.user),
                at: closing.at,
              },
            }
          : {}),
    });
    const shown = notice.prompts[gateId];
    if (shown) await this.update(execution, notice.channel, shown, message);
    else {
      const ts = await this.post(execution, state, message, await this.parent(execution, state));
      if (ts) notice.prompts[gateId] = ts;
    }
    await this.save(execution.executionId, state);
  }

  /** Posts the thread lines gathered since the last milestone as one reply. */
  private async flush(
    execution: Execution,
    state: { version: number; notice: Notice },
  ): Promise<void> {
    const { notice } = state;
    if (notice.pending.length === 0) return;
    const text = notice.pending.join('\n');
    notice.pending = [];
    await this.post(execution, state, { text, blocks: [] }, await this.parent(execution, state));
    await this.save(execution.executionId, state);
  }

  private async postReport(
    execution: Execution,
    state: { version: number; notice: Notice },
    files: Record<string, string>,
  ): Promise<void> {
    const { notice } = state;
    const report = await this.deps.runs.report(execution.executionId);
    const links = (await this.deps.reportLinks?.(execution, files)) ?? files;
    const parent = notice.statusTs ?? notice.requestTs;
    await this.post(
      execution,
      state,
      renderFinalReport(report, links),
      parent,
      Boolean(notice.statusTs),
    );
    await this.save(execution.executionId, state);
  }

  /** The message the thread hangs from: the status card, posted first if need be. */
  private async parent(
    execution: Execution,
    state: { version: number; notice: Notice },
  ): Promise<string | undefined> {
    if (!state.notice.statusTs) await this.refreshStatusCard(execution, state, true);
    return state.notice.statusTs;
  }

  /**
   * Sends the status card if it changed: at once when `force`d, else only when the last update
   * is `cardEveryMs` old. Returns how long a held-back update must still wait (ms), or 0.
   */
  private async refreshStatusCard(
    execution: Execution,
    state: { version: number; notice: Notice },
    force: boolean,
  ): Promise<number> {
    const { notice } = state;
    // Before approval, the request card is the run's only message.
    if (!notice.statusTs && !force) return 0;
    const { plan } = await this.deps.runs.loadPlan(execution.customerId);
    const { view } = notice;
    const index = execution.runbook.steps.findIndex((s) => s.id === view.currentStepId);
    const step = execution.runbook.steps[index];
    const message = renderStatusCard({
      executionId: execution.executionId,
      customer: plan.customer,
      operation: execution.operation,
      status: view.status,
      phase: view.phase,
      ...(step
        ? { currentStep: { title: step.title, index, count: execution.runbook.steps.length } }
        : {}),
      waves: waveProgress(view, execution.runbook),
      startedAt: execution.startedAt,
      ...(view.endedAt ? { endedAt: view.endedAt } : {}),
      now: view.lastAt,
      requestedBy: execution.requestedBy,
    });
    const rendered = JSON.stringify(message.blocks);
    if (rendered === notice.statusText) {
      notice.cardDue = false;
      return 0;
    }
    const wall = this.deps.wallNow();
    const wait = (notice.statusAt ?? 0) + (this.deps.cardEveryMs ?? 3000) - wall;
    if (notice.statusTs && !force && wait > 0) return wait;
    if (notice.statusTs) await this.update(execution, notice.channel, notice.statusTs, message);
    else {
      const ts = await this.post(execution, state, message);
      if (ts) notice.statusTs = ts;
    }
    notice.statusText = rendered;
    notice.statusAt = wall;
    notice.cardDue = false;
    await this.save(execution.executionId, state);
    return 0;
  }

  /** Posts a message; its ts, or undefined when Slack refused it and every shorter one. */
  private async post(
    execution: Execution,
    state: { notice: Notice },
    message: SlackMessage,
    threadTs?: string,
    broadcast = false,
  ): Promise<string | undefined> {
    const { notice } = state;
    const result = await this.write(execution, 'chat.postMessage', message, async (shown) => {
      const wait = notice.lastPostAt + (this.deps.postEveryMs ?? 1100) - this.deps.wallNow();
      if (wait > 0) await this.deps.sleep(wait);
      const args = {
        channel: notice.channel,
        text: shown.text,
        ...(shown.blocks.length ? { blocks: shown.blocks } : {}),
        ...(threadTs ? { thread_ts: threadTs } : {}),
        ...(broadcast ? { reply_broadcast: true } : {}),
        unfurl_links: false,
        unfurl_media: false,
      };
      try {
        return await this.deps.client.chat.postMessage(
          args as Parameters<WebClient['chat']['postMessage']>[0],
        );
      } finally {
        // A refused post counts against the channel's rate as much as one Slack took.
        notice.lastPostAt = this.deps.wallNow();
      }
    });
    return result?.ts ? String(result.ts) : undefined;
  }

  private async update(
    execution: Execution,
    channel: string,
    ts: string,
    message: SlackMessage,
  ): Promise<void> {
    await this.write(execution, 'chat.update', message, (shown) =>
      this.deps.client.chat.update({ channel, ts, text: shown.text, blocks: shown.blocks }),
    );
  }

  /**
   * Sends a message; when Slack refuses it for what it is, reports that once and sends the
   * shorter forms of it in turn (`fallbacks`). Errors that may pass (a rate limit, Slack's own
   * failures, the network) are thrown, and the wake-up is tried again.
   */
  private async write<T>(
    execution: Execution,
    method: string,
    message: SlackMessage,
    send: (shown: SlackMessage) => Promise<T>,
  ): Promise<T | undefined> {
    let refused: WebAPIPlatformError;
    try {
      return await send(message);
    } catch (error) {
      if (!isRefusal(error)) throw error;
      refused = error;
    }
    const log = this.deps.log ?? console;
    log.warn('Slack refused a message; a shorter one is sent instead', {
      executionId: execution.executionId,
      method,
      error: refused.data.error,
      detail: refused.data.response_metadata?.messages?.slice(0, 5) ?? [],
      text: message.text.slice(0, 200),
    });
    for (const shorter of fallbacks(message)) {
      try {
        return await send(shorter);
      } catch (error) {
        if (!isRefusal(error)) throw error;
      }
    }
    log.warn('Slack refused the shorter messages too; the run goes on without this one', {
      executionId: execution.executionId,
      method,
      error: refused.data.error,
    });
    return undefined;
  }

  private async save(executionId: string, state: { version: number; notice: Notice }) {
    try {
      await this.deps.notices.putNotice(executionId, state.notice, state.version);
      state.version += 1;
    } catch (error) {
      // Another wake-up of the same run got ahead: it shows what this one would have.
      if (error instanceof ConcurrentUpdateError) throw new Superseded();
      throw error;
    }
  }
}

function initialNotice(execution: Execution, channel: string): Notice {
  return {
    schemaVersion: 1,
    channel,
    cursor: 0,
    view: startView(execution.startedAt, execution.runbook.steps[0]?.phase ?? 'prepare'),
    cardDue: false,
    prompts: {},
    pending: [],
    lastPostAt: 0,
    done: false,
  };
}

/** How a closed approval ended: the requester's own abort is a withdrawal, not a rejection. */
function outcomeOf(
  last: Gate['answers'][number],
  requestedBy: string,
): 'approved' | 'rejected' | 'withdrawn' {
  if (last.decision === 'approve') return 'approved';
  return last.decision === 'abort' && last.user === requestedBy ? 'withdrawn' : 'rejected';
}
