import * as z from 'zod';
import { ConcurrentUpdateError, NotFoundError } from '../../orchestrator/domain/errors.ts';
import type { Incident } from '../../orchestrator/domain/incident.ts';
import type { JournalEntry } from '../../orchestrator/domain/journal.ts';
import { DRS_QUOTAS } from '../../orchestrator/domain/settings.ts';
import type { IncidentControl } from '../../orchestrator/ports/incident.ts';
import type { RunReader } from '../../orchestrator/ports/run-control.ts';
import {
  renderIncidentCard,
  renderIncidentFinal,
  renderIncidentRequestCard,
} from '../blocks/incident-card.ts';
import type { NoticeStore } from './notice-store.ts';
import type { SlackWriter } from './slack-writer.ts';

const OutcomeSchema = z.enum(['approved', 'rejected', 'withdrawn', 'expired', 'aborted']);

/** What the bot has shown in Slack for one incident; kept in the same store as runs' notices. */
export const IncidentNoticeSchema = z.object({
  schemaVersion: z.literal(1),
  kind: z.literal('incident'),
  channel: z.string(),
  /** The last journal entry shown. */
  cursor: z.number(),
  /** The latest journal time: the incident's own clock, for "RTO so far". */
  lastAt: z.number(),
  /** The incident's approval, as its journal told it. */
  gate: z
    .object({
      gateId: z.string(),
      required: z.number(),
      principals: z.number(),
      approvals: z.array(z.string()),
      decision: z
        .object({ outcome: OutcomeSchema, by: z.array(z.string()), at: z.number() })
        .optional(),
    })
    .optional(),
  names: z.record(z.string(), z.string()),
  requestTs: z.string().optional(),
  /** The request card shows less than the journal: the next wake-up (or this one) sends it. */
  requestDue: z.boolean(),
  cardTs: z.string().optional(),
  /** The incident card last sent, to skip updates that change nothing. */
  cardText: z.string().optional(),
  cardAt: z.number().optional(),
  /** A milestone happened that the incident card does not show yet. */
  cardDue: z.boolean(),
  /** The incident ended (its report files, as it journaled them): the final message is due. */
  finished: z.object({ reportFiles: z.record(z.string(), z.string()) }).optional(),
  done: z.boolean(),
});
export type IncidentNotice = z.infer<typeof IncidentNoticeSchema>;

export interface IncidentNotifierDeps {
  incidents: Pick<IncidentControl, 'getIncident'>;
  /** The incident's journal (kept under its id, as a run's). */
  journal: Pick<RunReader, 'journal'>;
  /** Where each incident's notice is kept between wake-ups (the runs' store: ids do not clash). */
  notices: NoticeStore;
  /** The Slack writer every notifier of this process shares (the run notifier's). */
  writer: SlackWriter;
  /** Real time (ms), for pacing card updates. */
  wallNow(): number;
  /** The DRS budget per recovery account the request card weighs plans against. @default DRS's quotas */
  limits?: { jobs: number; servers: number };
  /** Links people can open to the incident's report files. @default the locations as they are */
  reportLinks?(
    incident: Incident,
    files: Record<string, string>,
  ): Record<string, string> | Promise<Record<string, string>>;
  /** Least time between two updates of the incident card. @default 3 s */
  cardEveryMs?: number;
  /** Told of each child run the incident carries (a local notifier follows them). */
  onChildRun?(executionId: string): void;
  /** Waits (`settleCards`, a Lambda at the end of its batch). @default no waiting: one pass */
  sleep?(ms: number): Promise<void>;
}

class Superseded extends Error {}

/** `settleCards` reads a held card's journal again this often. */
const SETTLE_SLICE_MS = 1_000;

type State = { version: number; notice: IncidentNotice };

/**
 * Keeps one incident's messages in its operations channel up to date from its journal and
 * record: the request card (from the approval's opening to its decision), the incident card
 * posted once approved and updated on every milestone (`incident-plan`, an abort), and the final
 * message. Each wake-up reads the entries after its cursor and saves the notice after every Slack
 * write, as the run notifier does; writes go through the shared SlackWriter: the request card at
 * a prompt's priority, the incident card's updates at a card's (skipped without a token and kept
 * due, so the next carries the latest state), its first post and last state at a line's.
 */
export class IncidentNotifier {
  constructor(private readonly deps: IncidentNotifierDeps) {}

  /**
   * Sends the incident cards these incidents hold back, each once the budget has a token for it,
   * reading their journals again meanwhile; gives up at `until` (wall ms), leaving the rest due.
   * A Lambda calls it once its batch is shown, beside the run notifier's `settleCards`.
   */
  async settleCards(incidentIds: readonly string[], until: number): Promise<void> {
    let held = [...new Set(incidentIds)];
    while (held.length > 0) {
      const still: string[] = [];
      let soonest = Number.POSITIVE_INFINITY;
      for (const incidentId of held) {
        const { state, heldMs } = await this.sync(incidentId);
        if (state !== 'more' || heldMs === 0) continue;
        still.push(incidentId);
        soonest = Math.min(soonest, heldMs);
      }
      held = still;
      const left = until - this.deps.wallNow();
      if (held.length === 0 || left <= 0 || !this.deps.sleep) return;
      await this.deps.sleep(Math.min(soonest, left, SETTLE_SLICE_MS));
    }
  }

  /**
   * Brings the incident's messages up to date. `done` once its end is shown, `waiting` while it
   * has no record yet (its pre-flight is running). `heldMs`: how long until a card update held
   * back may go (0: none is).
   */
  async sync(incidentId: string): Promise<{ state: 'more' | 'waiting' | 'done'; heldMs: number }> {
    let incident: Incident;
    try {
      incident = await this.deps.incidents.getIncident(incidentId);
    } catch (error) {
      if (error instanceof NotFoundError) return { state: 'waiting', heldMs: 0 };
      throw error;
    }
    for (const plan of incident.plans)
      if (plan.executionId) this.deps.onChildRun?.(plan.executionId);
    const stored = await this.deps.notices.getNotice(incidentId);
    const state: State = {
      version: stored?.version ?? 0,
      notice: stored ? IncidentNoticeSchema.parse(stored.doc) : initialNotice(incident),
    };
    if (state.notice.done) return { state: 'done', heldMs: 0 };
    try {
      const heldMs = await this.catchUp(incident, state);
      return { state: state.notice.done ? 'done' : 'more', heldMs };
    } catch (error) {
      // Another wake-up of the same incident got ahead: it shows what this one would have.
      if (error instanceof Superseded) return { state: 'more', heldMs: 0 };
      throw error;
    }
  }

  private async catchUp(read: Incident, state: State): Promise<number> {
    const { notice } = state;
    const entries = await this.deps.journal.journal(read.incidentId, notice.cursor);
    // The record is written before each entry that tells of it: read after the entries, it shows
    // at least what they tell (the end's status with the end's entry).
    const incident =
      entries.length > 0 ? await this.deps.incidents.getIncident(read.incidentId) : read;
    for (const entry of entries) {
      foldEntry(notice, entry, incident.requestedBy);
      notice.cursor = entry.seq;
    }
    if (notice.requestDue) await this.showRequestCard(incident, state);
    if (notice.gate?.decision?.outcome === 'approved' && !notice.cardTs)
      await this.showCard(incident, state, 'now');
    if (notice.finished) {
      if (notice.cardTs) await this.showCard(incident, state, 'now');
      await this.postFinal(incident, state, notice.finished.reportFiles);
      return 0;
    }
    const heldMs = notice.cardDue ? await this.showCard(incident, state, 'due') : 0;
    if (entries.length > 0) await this.save(incident.incidentId, state);
    return heldMs;
  }

  private async showRequestCard(incident: Incident, state: State): Promise<void> {
    const { notice } = state;
    const gate = notice.gate;
    if (!gate) return;
    const message = renderIncidentRequestCard({
      incident,
      gateId: gate.gateId,
      approvals: { required: gate.required, by: gate.approvals },
      approvers: gate.principals,
      limits: this.deps.limits ?? {
        jobs: DRS_QUOTAS.concurrentJobs,
        servers: DRS_QUOTAS.serversInActiveJobs,
      },
      replicatingLimit: DRS_QUOTAS.replicatingServers,
      ...(gate.decision ? { decision: gate.decision } : {}),
      names: notice.names,
    });
    const options = { priority: 'prompt' as const, source: sourceOf(incident) };
    if (notice.requestTs)
      await this.deps.writer.update(notice.channel, notice.requestTs, message, options);
    else {
      const ts = await this.deps.writer.post(notice.channel, message, options);
      if (ts) notice.requestTs = ts;
    }
    notice.requestDue = false;
    await this.save(incident.incidentId, state);
  }

  /**
   * Sends the incident card if it changed. `now`: its first post or its last state, waiting for a
   * token at a line's priority. `due`: an update at a card's priority once the last is
   * `cardEveryMs` old and the budget has a token; else it stays due. Returns how long a
   * held-back update must still wait (ms), or 0.
   */
  private async showCard(incident: Incident, state: State, when: 'now' | 'due'): Promise<number> {
    const { notice } = state;
    if (!notice.cardTs && when === 'due') {
      notice.cardDue = false;
      return 0;
    }
    const message = renderIncidentCard(shownAs(incident, notice), notice.lastAt);
    const rendered = JSON.stringify(message.blocks);
    if (rendered === notice.cardText) {
      notice.cardDue = false;
      return 0;
    }
    const source = sourceOf(incident);
    if (when === 'due') {
      const wait = (notice.cardAt ?? 0) + (this.deps.cardEveryMs ?? 3000) - this.deps.wallNow();
      if (wait > 0) return wait;
      const sent = await this.deps.writer.tryUpdate(
        notice.channel,
        notice.cardTs as string,
        message,
        {
          priority: 'card',
          source,
        },
      );
      if (!sent.sent) return sent.waitMs;
    } else if (notice.cardTs) {
      await this.deps.writer.update(notice.channel, notice.cardTs, message, {
        priority: 'line',
        source,
      });
    } else {
      const ts = await this.deps.writer.post(notice.channel, message, { priority: 'line', source });
      if (ts) notice.cardTs = ts;
    }
    notice.cardText = rendered;
    notice.cardAt = this.deps.wallNow();
    notice.cardDue = false;
    await this.save(incident.incidentId, state);
    return 0;
  }

  /** The outcome and the report, under the incident card (or the request card), shown in the channel. */
  private async postFinal(
    incident: Incident,
    state: State,
    files: Record<string, string>,
  ): Promise<void> {
    const { notice } = state;
    const links = (await this.deps.reportLinks?.(incident, files)) ?? files;
    const parent = notice.cardTs ?? notice.requestTs;
    await this.deps.writer.post(notice.channel, renderIncidentFinal(incident, links), {
      priority: 'line',
      source: sourceOf(incident),
      ...(parent ? { threadTs: parent, broadcast: true } : {}),
    });
    notice.done = true;
    await this.save(incident.incidentId, state);
  }

  private async save(incidentId: string, state: State): Promise<void> {
    try {
      await this.deps.notices.putNotice(incidentId, state.notice, state.version);
      state.version += 1;
    } catch (error) {
      if (error instanceof ConcurrentUpdateError) throw new Superseded();
      throw error;
    }
  }
}

/**
 * The incident as its card shows it: approved as the journal says, though the state machine has
 * not yet recorded the approval on the incident (it does once its task token is sent).
 */
function shownAs(incident: Incident, notice: IncidentNotice): Incident {
  const gate = notice.gate;
  if (incident.status !== 'awaiting-approval' || gate?.decision?.outcome !== 'approved')
    return incident;
  return {
    ...incident,
    status: 'running',
    approvedBy: gate.approvals,
    approvedByNames: { ...notice.names, ...incident.approvedByNames },
  };
}

/** Whose writes these are, in the writer's counts. */
function sourceOf(incident: Incident): string {
  return `incident:${incident.incidentId}`;
}

function initialNotice(incident: Incident): IncidentNotice {
  return {
    schemaVersion: 1,
    kind: 'incident',
    channel: incident.channel,
    cursor: 0,
    lastAt: incident.createdAt,
    names: {
      ...(incident.requestedByName ? { [incident.requestedBy]: incident.requestedByName } : {}),
    },
    requestDue: false,
    cardDue: false,
    done: false,
  };
}

/** Folds one journal entry of the incident into its notice: what is due now. */
function foldEntry(notice: IncidentNotice, entry: JournalEntry, requestedBy: string): void {
  notice.lastAt = Math.max(notice.lastAt, entry.at);
  switch (entry.type) {
    case 'gate-opened':
      if (entry.data.kind !== 'approval') return;
      notice.gate = {
        gateId: entry.data.gateId,
        required: entry.data.required,
        principals: entry.data.principals.length,
        approvals: [],
      };
      notice.requestDue = true;
      return;
    case 'gate-answered':
      if (!notice.gate || entry.data.gateId !== notice.gate.gateId) return;
      if (entry.data.userName) notice.names[entry.data.user] = entry.data.userName;
      if (entry.data.decision === 'approve' && !notice.gate.approvals.includes(entry.data.user))
        notice.gate.approvals.push(entry.data.user);
      notice.requestDue = true;
      return;
    case 'gate-closed': {
      if (!notice.gate || entry.data.gateId !== notice.gate.gateId) return;
      Object.assign(notice.names, entry.data.names ?? {});
      const last = entry.data.users.at(-1) ?? '';
      const decision = entry.data.decision;
      const outcome =
        decision === 'approve'
          ? 'approved'
          : last === requestedBy
            ? 'withdrawn'
            : decision === 'abort'
              ? 'aborted'
              : 'rejected';
      notice.gate.decision = {
        outcome,
        by: decision === 'approve' ? notice.gate.approvals : [last],
        at: entry.at,
      };
      notice.requestDue = true;
      return;
    }
    case 'gate-expired':
      if (!notice.gate || entry.data.gateId !== notice.gate.gateId) return;
      notice.gate.decision = { outcome: 'expired', by: [], at: entry.at };
      notice.requestDue = true;
      return;
    case 'abort-requested':
      if (entry.data.byName) notice.names[entry.data.by] = entry.data.byName;
      // Aborted while the approval is open: the card loses its buttons now (the gate closes
      // without a journal entry of its own).
      if (notice.gate && !notice.gate.decision) {
        notice.gate.decision = {
          outcome: entry.data.by === requestedBy ? 'withdrawn' : 'aborted',
          by: [entry.data.by],
          at: entry.at,
        };
        notice.requestDue = true;
      }
      notice.cardDue = true;
      return;
    case 'incident-plan':
      notice.cardDue = true;
      return;
    case 'incident-finished':
      notice.finished = { reportFiles: entry.data.reportFiles };
      // An approval still open when the incident ended (it expired, or was aborted) is shown closed.
      if (notice.gate && !notice.gate.decision) {
        notice.gate.decision = {
          outcome:
            entry.data.status === 'expired'
              ? 'expired'
              : entry.data.status === 'rejected'
                ? 'rejected'
                : 'aborted',
          by: [],
          at: entry.at,
        };
        notice.requestDue = true;
      }
      return;
    default:
      return;
  }
}
