import * as z from 'zod';
import { formatDuration } from '../../orchestrator/domain/duration.ts';
import { ExecutionStatusSchema, type GateKind } from '../../orchestrator/domain/execution.ts';
import type { JournalEntry } from '../../orchestrator/domain/journal.ts';
import type { Runbook, Step } from '../../orchestrator/domain/runbook.ts';
import { PhaseSchema, type PreflightResult } from '../../orchestrator/domain/runbook.ts';
import type { WaveProgress } from '../blocks/status-card.ts';
import { formatFailure } from '../sanitize.ts';
import { escapeSlackText } from '../slack-text.ts';

/**
 * What the notifier knows of a run, folded from its journal one entry at a time, so that each
 * wake-up reads only the entries it has not seen. Kept in the notice record between wake-ups.
 */
export const RunViewSchema = z.object({
  status: ExecutionStatusSchema,
  phase: PhaseSchema,
  currentStepId: z.string().optional(),
  stepStartedAt: z.record(z.string(), z.number()),
  /** Per recover-wave step: servers healthy and failed. */
  waves: z.record(z.string(), z.object({ healthy: z.number(), failed: z.number() })),
  preflight: z.array(z.custom<PreflightResult>()).optional(),
  /** The latest journal time: the run's own clock, for "elapsed". */
  lastAt: z.number(),
  endedAt: z.number().optional(),
  /** The names people acted under, by user id, as the journal kept them (cards show them). */
  names: z.record(z.string(), z.string()).default({}),
});
export type RunView = z.infer<typeof RunViewSchema>;

/** What the notifier must show for one journal entry. */
export type NoticeEvent =
  | { type: 'gate-opened'; gateId: string; kind: GateKind }
  | { type: 'gate-answered'; gateId: string; kind: GateKind }
  | {
      type: 'gate-closed';
      gateId: string;
      kind: GateKind;
      decision: string;
      users: string[];
      at: number;
    }
  | { type: 'gate-expired'; gateId: string; kind: GateKind; at: number }
  /**
   * A line for the thread; a milestone (a wave done, a failure) is posted at once, a failure
   * ahead of other runs' lines and cards.
   */
  | { type: 'line'; text: string; milestone: boolean; failure?: boolean }
  | { type: 'finished'; outcome: string; at: number; reportFiles: Record<string, string> };

export function startView(startedAt: number, firstPhase: RunView['phase']): RunView {
  return {
    status: 'running',
    phase: firstPhase,
    stepStartedAt: {},
    waves: {},
    lastAt: startedAt,
    names: {},
  };
}

/** Folds one entry into the view; returns the new view and what to show. Pure. */
export function foldEntry(
  view: RunView,
  entry: JournalEntry,
  runbook: Runbook,
): { view: RunView; events: NoticeEvent[] } {
  const step = entry.stepId ? runbook.steps.find((s) => s.id === entry.stepId) : undefined;
  const named = namesIn(entry);
  const next: RunView = {
    ...view,
    lastAt: Math.max(view.lastAt, entry.at),
    ...(named ? { names: { ...view.names, ...named } } : {}),
  };
  const events: NoticeEvent[] = [];
  switch (entry.type) {
    case 'step-started':
      if (step) {
        next.currentStepId = step.id;
        next.phase = step.phase;
        next.stepStartedAt = { ...view.stepStartedAt, [step.id]: entry.at };
      }
      break;
    case 'preflight':
      next.preflight = entry.data.results;
      break;
    case 'server-healthy':
    case 'server-failed':
      if (step?.kind === 'recover-wave') {
        const wave = view.waves[step.id] ?? { healthy: 0, failed: 0 };
        next.waves = {
          ...view.waves,
          [step.id]:
            entry.type === 'server-healthy'
              ? { ...wave, healthy: wave.healthy + 1 }
              : { ...wave, failed: wave.failed + 1 },
        };
      }
      break;
    case 'step-finished':
      if (step) events.push(stepLine(next, step, entry.data.status, entry));
      break;
    case 'servers-excluded': {
      const { servers } = entry.data;
      if (servers.length > 0)
        events.push({
          type: 'line',
          text: `:fast_forward: Continuing without ${servers.join(', ')}`,
          milestone: false,
        });
      break;
    }
    case 'gate-opened': {
      const gate = entry.data;
      events.push({ type: 'gate-opened', gateId: gate.gateId, kind: gate.kind });
      if (gate.kind === 'pause') next.status = 'paused';
      break;
    }
    case 'gate-answered': {
      const gate = entry.data;
      events.push({ type: 'gate-answered', gateId: gate.gateId, kind: gate.kind });
      break;
    }
    case 'gate-closed': {
      const gate = entry.data;
      events.push({
        type: 'gate-closed',
        gateId: gate.gateId,
        kind: gate.kind,
        decision: gate.decision,
        users: gate.users,
        at: entry.at,
      });
      if (gate.kind === 'pause') next.status = 'running';
      break;
    }
    case 'gate-expired': {
      const gate = entry.data;
      events.push({ type: 'gate-expired', gateId: gate.gateId, kind: gate.kind, at: entry.at });
      break;
    }
    case 'execution-finished': {
      const { outcome } = entry.data;
      next.status = outcome;
      next.endedAt = entry.at;
      events.push({
        type: 'finished',
        outcome,
        at: entry.at,
        reportFiles: entry.data.reportFiles,
      });
      break;
    }
  }
  return { view: next, events };
}

/** The user ids and names an entry records, if any. */
function namesIn(entry: JournalEntry): Record<string, string> | undefined {
  switch (entry.type) {
    case 'execution-started':
      return entry.data.requestedByName
        ? { [entry.data.requestedBy]: entry.data.requestedByName }
        : undefined;
    case 'gate-answered':
      return entry.data.userName ? { [entry.data.user]: entry.data.userName } : undefined;
    case 'gate-closed':
      return entry.data.names;
    case 'pause-requested':
    case 'abort-requested':
    case 'servers-excluded':
      return entry.data.by && entry.data.byName
        ? { [entry.data.by]: entry.data.byName }
        : undefined;
    default:
      return undefined;
  }
}

function stepLine(view: RunView, step: Step, status: string, entry: JournalEntry): NoticeEvent {
  const started = view.stepStartedAt[step.id];
  const took =
    started !== undefined ? ` in ${formatDuration(Math.max(0, entry.at - started) / 1000)}` : '';
  if (status === 'failed')
    return {
      type: 'line',
      // A code and the sanitized error, escaped: the full text stays in the journal.
      text: `:x: ${step.title}: failed${took}. ${escapeSlackText(formatFailure(entry.message))}`,
      milestone: true,
      failure: true,
    };
  if (status === 'skipped')
    return { type: 'line', text: `:fast_forward: ${step.title}: skipped`, milestone: false };
  if (step.kind === 'recover-wave') {
    const wave = view.waves[step.id] ?? { healthy: 0, failed: 0 };
    const total = step.bootGroups.reduce((n, g) => n + g.servers.length, 0);
    const failed = wave.failed ? `, ${wave.failed} failed` : '';
    return {
      type: 'line',
      text: `:white_check_mark: ${step.title}: ${wave.healthy}/${total} healthy${failed}${took}`,
      milestone: true,
      ...(wave.failed ? { failure: true } : {}),
    };
  }
  if (step.kind === 'gate' || step.kind === 'preflight')
    return { type: 'line', text: '', milestone: false };
  return { type: 'line', text: `:white_check_mark: ${step.title}${took}`, milestone: false };
}

/** The waves the status card shows: those of the direction the run is moving in now. */
export function waveProgress(view: RunView, runbook: Runbook): WaveProgress[] {
  const waves = runbook.steps.filter((s) => s.kind === 'recover-wave');
  const current = runbook.steps.find((s) => s.id === view.currentStepId);
  const phase = waves.some((w) => w.phase === view.phase)
    ? view.phase
    : current && runbook.steps.indexOf(current) > runbook.steps.indexOf(waves.at(-1) ?? current)
      ? waves.at(-1)?.phase
      : waves[0]?.phase;
  return waves
    .filter((w) => w.phase === phase)
    .map((w) => {
      const p = view.waves[w.id] ?? { healthy: 0, failed: 0 };
      return {
        name: w.wave,
        recovered: p.healthy,
        total: w.bootGroups.reduce((n, g) => n + g.servers.length, 0),
        ...(p.failed ? { failed: p.failed } : {}),
      };
    });
}
