import { createHash } from 'node:crypto';
import type { WebClient } from '@slack/web-api';
import * as z from 'zod';
import { ConcurrentUpdateError, NotFoundError } from '../../orchestrator/domain/errors.ts';
import type { Execution, Gate } from '../../orchestrator/domain/execution.ts';
import type { PlanLoader, RunReader } from '../../orchestrator/ports/run-control.ts';
import { renderFinalReport, renderGatePrompt } from '../blocks/prompts.ts';
import { renderRequestCard, type SlackMessage } from '../blocks/request-card.ts';
import { renderStatusCard } from '../blocks/status-card.ts';
import type { NoticeStore } from './notice-store.ts';
import { foldEntry, type NoticeEvent, RunViewSchema, startView, waveProgress } from './run-view.ts';
import { SharedSlackBudget, type SlackBudget } from './shared-slack-budget.ts';
import { SLACK_LIMITS, type WritePriority } from './slack-budget.ts';
import { MemorySlackBudgetStore } from './slack-budget-store.ts';
import { type SlackWriteCounts, type SlackWriteEvent, SlackWriter } from './slack-writer.ts';

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
  /**
   * A digest of what the request card and each prompt last showed, by ts: the entries that
   * answer and close a gate come together, and one update shows both.
   */
  shown: z.record(z.string(), z.string()).default({}),
  /** Thread lines waiting for the next milestone. */
  pending: z.array(z.string()),
  /** A line waiting is a failure: the reply goes at a prompt's priority. */
  pendingFailure: z.boolean().default(false),
  done: z.boolean(),
});
export type Notice = z.infer<typeof NoticeSchema>;

export interface NotifierDeps {
  runs: RunReader & PlanLoader;
  /** Where each run's notice is kept between wake-ups. */
  notices: NoticeStore;
  client: WebClient;
  /**
   * The Slack write budget shared with every other notifier (on Lambda, the state table's).
   * @default one in this process's memory, paced by `postEveryMs`
   */
  budget?: SlackBudget;
  /**
   * The writer to share with other cards (an incident card) in this process, so its counts hold
   * them all; it must write with `client`. @default one of the notifier's own, on `budget`
   */
  writer?: SlackWriter;
  /** Each write as it went (a benchmark's counter). Only with the notifier's own writer. */
  onWrite?(event: SlackWriteEvent): void;
  /** Real time (ms), for pacing and coalescing; runs may be on a virtual clock. */
  wallNow(): number;
  sleep(ms: number): Promise<void>;
  /** Links people can open to a run's report files; the locations are shown as they are when absent. */
  reportLinks?(
    execution: Execution,
    files: Record<string, string>,
  ): Record<string, string> | Promise<Record<string, string>>;
  /** Least time between two updates of one run's status card. @default 3 s */
  cardEveryMs?: number;
  /**
   * What a wake-up does with a card update held back: `wait` for it, reading the journal again
   * meanwhile (up to `settleWithinMs`), or leave it to the next wake-up or to `settleCards`
   * (`later`: a local notifier that polls, a Lambda that settles a batch's cards at its end).
   */
  settle: 'wait' | 'later';
  /** How long a `wait`ing wake-up waits for a held card at most. @default 60 s */
  settleWithinMs?: number;
  /**
   * Least time between two messages in a channel (Slack: about 1/s), for the default budget;
   * 0 leaves posts unpaced. @default 1.1 s
   */
  postEveryMs?: number;
  /** Where a message Slack refused is reported (Powertools' Logger fits). @default console */
  log?: { warn(message: string, ...details: Record<string, unknown>[]): void };
}

class Superseded extends Error {}

/** A wake-up waiting for a held card reads the journal again this often (prompts come first). */
const SETTLE_SLICE_MS = 1_000;

type State = { version: number; notice: Notice };

/**
 * Keeps a run's Slack messages up to date from its journal: the request card, one status card
 * (updated at most every `cardEveryMs`), thread replies per
 * wave and step, prompts for the gates people answer, and the final report broadcast. Each
 * wake-up reads only the entries after its cursor; the notice is saved after every Slack write,
 * so a crash repeats at most one message. Every write goes through the Slack write budget all
 * notifiers share (`SlackWriter`): prompts and failures first, thread lines next, card updates
 * last; a card update with no token is skipped and the card kept due, so the next one carries
 * the latest state, and a run's last card state always goes out. A message Slack refuses for
 * what it is (not for a rate limit) is reported and replaced by a shorter one, its buttons kept;
 * failing that it is left out, so one bad message never holds back the run's later ones.
 */
export class Notifier {
  /** Every Slack write of this notifier (and of any card sharing its writer). */
  readonly writer: SlackWriter;

  constructor(private readonly deps: NotifierDeps) {
    this.writer =
      deps.writer ??
      new SlackWriter({
        client: deps.client,
        budget:
          deps.budget ??
          new SharedSlackBudget(new MemorySlackBudgetStore(), {
            ...SLACK_LIMITS,
            'chat.postMessage': {
              ...SLACK_LIMITS['chat.postMessage'],
              everyMs: deps.postEveryMs ?? SLACK_LIMITS['chat.postMessage'].everyMs,
            },
          }),
        wallNow: deps.wallNow,
        sleep: deps.sleep,
        ...(deps.log ? { log: deps.log } : {}),
        ...(deps.onWrite ? { onWrite: deps.onWrite } : {}),
      });
  }

  /** Slack writes so far, per run and per channel, and the 429s Slack answered (a benchmark's). */
  writeCounts(): SlackWriteCounts {
    return this.writer.counts();
  }

  /**
   * Brings the run's messages up to date. Returns `done` once the run's end is shown (or it has
   * no channel), `waiting` while the run has not recorded its start yet.
   */
  async sync(executionId: string): Promise<'more' | 'waiting' | 'done'> {
    const started = this.deps.wallNow();
    for (;;) {
      const { state, heldMs } = await this.syncOnce(executionId);
      const left = started + (this.deps.settleWithinMs ?? 60_000) - this.deps.wallNow();
      if (state !== 'more' || heldMs === 0 || this.deps.settle !== 'wait' || left <= 0)
        return state;
      await this.deps.sleep(Math.min(heldMs, left, SETTLE_SLICE_MS));
    }
  }

  /**
   * Sends the status cards these runs hold back, each once the budget has a token for it,
   * reading their journals again meanwhile; gives up at `until` (wall ms), leaving the rest due.
   * A Lambda calls it once its batch is shown, so no run's prompt waits behind another's card.
   * Ids that are not runs' (an incident's) are let go.
   */
  async settleCards(executionIds: readonly string[], until: number): Promise<void> {
    let held = [...new Set(executionIds)];
    while (held.length > 0) {
      const still: string[] = [];
      let soonest = Number.POSITIVE_INFINITY;
      for (const executionId of held) {
        let synced: Awaited<ReturnType<Notifier['syncOnce']>>;
        try {
          synced = await this.syncOnce(executionId);
        } catch (error) {
          // Its card stays due: the run's next wake-up shows it.
          (this.deps.log ?? console).warn('a held card was left for the next wake-up', {
            executionId,
            why: (error as Error).message.slice(0, 500),
          });
          continue;
        }
        if (synced.state !== 'more' || synced.heldMs === 0) continue;
        still.push(executionId);
        soonest = Math.min(soonest, synced.heldMs);
      }
      held = still;
      const left = until - this.deps.wallNow();
      if (held.length === 0 || left <= 0) return;
      await this.deps.sleep(Math.min(soonest, left, SETTLE_SLICE_MS));
    }
  }

  /** One catch-up; `heldMs`: how long until the card held back may go (0: none is). */
  private async syncOnce(
    executionId: string,
  ): Promise<{ state: 'more' | 'waiting' | 'done'; heldMs: number }> {
    const { runs } = this.deps;
    let execution: Execution;
    try {
      execution = await runs.getExecution(executionId);
    } catch (error) {
      if (error instanceof NotFoundError) return { state: 'waiting', heldMs: 0 };
      throw error;
    }
    if (!execution.channel) return { state: 'done', heldMs: 0 };
    const stored = await this.deps.notices.getNotice(executionId);
    const state = {
      version: stored?.version ?? 0,
      notice: stored ? NoticeSchema.parse(stored.doc) : initialNotice(execution, execution.channel),
    };
    if (state.notice.done) return { state: 'done', heldMs: 0 };
    let heldMs: number;
    try {
      heldMs = await this.catchUp(execution, state);
    } catch (error) {
      // Another wake-up of the same run got ahead: it shows what this one would have.
      if (error instanceof Superseded) return { state: 'more', heldMs: 0 };
      throw error;
    }
    return { state: state.notice.done ? 'done' : 'more', heldMs };
  }

  /** Shows the entries after the cursor; returns how long the card held back must wait, or 0. */
  private async catchUp(execution: Execution, state: State): Promise<number> {
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
    // A card held back (by `cardEveryMs` or the budget) stays due: this wake-up or the next sends it.
    const heldMs = state.notice.cardDue ? await this.refreshStatusCard(execution, state, 'due') : 0;
    if (entries.length > 0) await this.save(execution.executionId, state);
    return heldMs;
  }

  /** Shows one event: a card, a prompt, a thread reply at a milestone, the report. */
  private async apply(execution: Execution, state: State, event: NoticeEvent): Promise<void> {
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
            await this.refreshStatusCard(execution, state, 'now');
          }
          return;
        }
        if (event.gateId && notice.prompts[event.gateId])
          await this.showPrompt(execution, state, event.gateId);
        notice.cardDue = true;
        return;
      case 'line':
        if (event.text) notice.pending.push(event.text);
        if (event.failure) notice.pendingFailure = true;
        if (event.milestone) {
          await this.flush(execution, state);
          notice.cardDue = true;
        }
        return;
      case 'finished':
        await this.flush(execution, state);
        // The card's last state goes out (never skipped) before the report that ends the thread.
        await this.refreshStatusCard(execution, state, 'now');
        await this.postReport(execution, state, event.reportFiles);
        notice.done = true;
        return;
    }
  }

  private async showRequestCard(execution: Execution, state: State, gateId: string): Promise<void> {
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
    // The approval's question: a prompt.
    const options = { priority: 'prompt' as const, source: execution.executionId };
    if (notice.requestTs) {
      if (notice.shown[notice.requestTs] === digestOf(message)) return;
      await this.writer.update(notice.channel, notice.requestTs, message, options);
    } else {
      const ts = await this.writer.post(notice.channel, message, options);
      if (ts) notice.requestTs = ts;
    }
    if (notice.requestTs) notice.shown[notice.requestTs] = digestOf(message);
    await this.save(execution.executionId, state);
  }

  private async showPrompt(execution: Execution, state: State, gateId: string): Promise<void> {
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
    const options = { priority: 'prompt' as const, source: execution.executionId };
    if (shown) {
      if (notice.shown[shown] === digestOf(message)) return;
      await this.writer.update(notice.channel, shown, message, options);
      notice.shown[shown] = digestOf(message);
    } else {
      const threadTs = await this.parent(execution, state);
      const ts = await this.writer.post(notice.channel, message, {
        ...options,
        ...(threadTs ? { threadTs } : {}),
      });
      if (ts) {
        notice.prompts[gateId] = ts;
        notice.shown[ts] = digestOf(message);
      }
    }
    await this.save(execution.executionId, state);
  }

  /** Posts the thread lines gathered since the last milestone as one reply. */
  private async flush(execution: Execution, state: State): Promise<void> {
    const { notice } = state;
    if (notice.pending.length === 0) return;
    const text = notice.pending.join('\n');
    const priority: WritePriority = notice.pendingFailure ? 'prompt' : 'line';
    notice.pending = [];
    notice.pendingFailure = false;
    const threadTs = await this.parent(execution, state);
    await this.writer.post(
      notice.channel,
      { text, blocks: [] },
      { priority, source: execution.executionId, ...(threadTs ? { threadTs } : {}) },
    );
    await this.save(execution.executionId, state);
  }

  private async postReport(
    execution: Execution,
    state: State,
    files: Record<string, string>,
  ): Promise<void> {
    const { notice } = state;
    const report = await this.deps.runs.report(execution.executionId);
    const links = (await this.deps.reportLinks?.(execution, files)) ?? files;
    const parent = notice.statusTs ?? notice.requestTs;
    await this.writer.post(notice.channel, renderFinalReport(report, links), {
      priority: 'line',
      source: execution.executionId,
      ...(parent ? { threadTs: parent } : {}),
      broadcast: Boolean(notice.statusTs),
    });
    await this.save(execution.executionId, state);
  }

  /** The message the thread hangs from: the status card, posted first if need be. */
  private async parent(execution: Execution, state: State): Promise<string | undefined> {
    if (!state.notice.statusTs) await this.refreshStatusCard(execution, state, 'now');
    return state.notice.statusTs;
  }

  /**
   * Sends the status card if it changed. `now`: its first post or its last state, waiting for a
   * token at a thread line's priority. `due`: an update at a card's priority, only when the last
   * is `cardEveryMs` old and the budget has a token; else it stays due. Returns how long a
   * held-back update must still wait (ms), or 0.
   */
  private async refreshStatusCard(
    execution: Execution,
    state: State,
    when: 'now' | 'due',
  ): Promise<number> {
    const { notice } = state;
    // Before approval, the request card is the run's only message.
    if (!notice.statusTs && when === 'due') return 0;
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
    const source = execution.executionId;
    if (when === 'due') {
      const wait = (notice.statusAt ?? 0) + (this.deps.cardEveryMs ?? 3000) - this.deps.wallNow();
      if (wait > 0) return wait;
      const sent = await this.writer.tryUpdate(notice.channel, notice.statusTs as string, message, {
        priority: 'card',
        source,
      });
      if (!sent.sent) return sent.waitMs;
    } else if (notice.statusTs) {
      await this.writer.update(notice.channel, notice.statusTs, message, {
        priority: 'line',
        source,
      });
    } else {
      const ts = await this.writer.post(notice.channel, message, { priority: 'line', source });
      if (ts) notice.statusTs = ts;
    }
    notice.statusText = rendered;
    notice.statusAt = this.deps.wallNow();
    notice.cardDue = false;
    await this.save(execution.executionId, state);
    return 0;
  }

  private async save(executionId: string, state: State) {
    try {
      await this.deps.notices.putNotice(executionId, state.notice, state.version);
      state.version += 1;
    } catch (error) {
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
    shown: {},
    pending: [],
    pendingFailure: false,
    done: false,
  };
}

/** A short digest of a message, to know an update would change nothing. */
function digestOf(message: SlackMessage): string {
  return createHash('sha256').update(JSON.stringify(message)).digest('base64url').slice(0, 16);
}

/** How a closed approval ended: the requester's own abort is a withdrawal, not a rejection. */
function outcomeOf(
  last: Gate['answers'][number],
  requestedBy: string,
): 'approved' | 'rejected' | 'withdrawn' {
  if (last.decision === 'approve') return 'approved';
  return last.decision === 'abort' && last.user === requestedBy ? 'withdrawn' : 'rejected';
}
