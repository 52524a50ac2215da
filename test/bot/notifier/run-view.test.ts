import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  foldEntry,
  type RunView,
  startView,
  waveProgress,
} from '../../../bot/notifier/run-view.ts';
import { parsePlanText } from '../../../orchestrator/adapters/config-files.ts';
import { type JournalEntry, JournalEntrySchema } from '../../../orchestrator/domain/journal.ts';
import { planRunbook } from '../../../orchestrator/domain/plan-runbook.ts';
import { SAMPLE_PLANS } from '../../helpers.ts';

const file = join(SAMPLE_PLANS, 'bcbsaz.yaml');
const parsed = parsePlanText(readFileSync(file, 'utf8'), file);
if (!parsed.ok) throw new Error('bcbsaz plan does not parse');
const runbook = planRunbook(parsed.plan, 'drill');
const waves = runbook.steps.filter((s) => s.kind === 'recover-wave');
const [wave1] = waves;
const failbackWave1 = waves[5];
if (!wave1 || !failbackWave1) throw new Error('bcbsaz drill has no waves');

let seq = 0;
/** What an entry of each type carries besides what a test sets, from the step it is about. */
function defaults(type: string, stepId: string | undefined, at: number): Record<string, unknown> {
  const step = runbook.steps.find((s) => s.id === stepId);
  const server = {
    wave: step?.kind === 'recover-wave' ? step.wave : 'database',
    direction:
      step?.kind === 'recover-wave' && step.launchInto === 'original'
        ? 'to-primary'
        : 'to-recovery',
  };
  switch (type) {
    case 'step-started':
      return step ? { kind: step.kind, title: step.title, phase: step.phase } : {};
    case 'step-finished':
      return { kind: step?.kind };
    case 'server-healthy':
      return { server: 'a', ...server, healthyAt: at };
    case 'server-failed':
      return { server: 'a', ...server, reason: 'failed to launch', critical: true };
    case 'gate-opened':
      return { principals: ['U02BOB'], required: 1 };
    case 'gate-answered':
      return { user: 'U02BOB', decision: 'approve' };
    default:
      return {};
  }
}

const entry = (
  type: string,
  stepId?: string,
  data?: Record<string, unknown>,
  at = 0,
): JournalEntry =>
  // Parsed as the state store reads entries: a fixture of the wrong shape fails here.
  JournalEntrySchema.parse({
    at,
    seq: ++seq,
    type,
    message: type,
    ...(stepId ? { stepId } : {}),
    data: { ...defaults(type, stepId, at), ...data },
  });

function fold(entries: JournalEntry[]) {
  let view: RunView = startView(0, 'prepare');
  const events = [];
  for (const e of entries) {
    const folded = foldEntry(view, e, runbook);
    view = folded.view;
    events.push(...folded.events);
  }
  return { view, events };
}

describe('foldEntry', () => {
  it('counts servers per wave and reports a finished wave as a milestone with its time', () => {
    // Act
    const { view, events } = fold([
      entry('step-started', wave1.id, {}, 1000),
      entry('server-healthy', wave1.id, { server: 'a' }),
      entry('server-healthy', wave1.id, { server: 'b' }),
      entry('server-failed', wave1.id, { server: 'c' }),
      entry('step-finished', wave1.id, { status: 'done' }, 1000 + 750_000),
    ]);
    // Assess
    expect(view.waves[wave1.id]).toEqual({ healthy: 2, failed: 1 });
    expect(view.phase).toBe('failover');
    expect(events).toEqual([
      {
        type: 'line',
        text: `:white_check_mark: ${wave1.title}: 2/6 healthy, 1 failed in 12m30s`,
        milestone: true,
        failure: true,
      },
    ]);
  });

  it.each([
    [
      'gate-opened',
      { gateId: 'g', kind: 'sign-off' },
      { type: 'gate-opened', gateId: 'g', kind: 'sign-off' },
    ],
    [
      'gate-answered',
      { gateId: 'g', kind: 'approval' },
      { type: 'gate-answered', gateId: 'g', kind: 'approval' },
    ],
    [
      'execution-finished',
      { outcome: 'aborted', reportFiles: { html: '/r/x.html' } },
      { type: 'finished', outcome: 'aborted', at: 5, reportFiles: { html: '/r/x.html' } },
    ],
  ])('turns %s into what the notifier shows', (type, data, event) => {
    expect(fold([entry(type, undefined, data, 5)]).events).toEqual([event]);
  });

  it('marks a failed step as a milestone, and other finished steps as lines to gather', () => {
    // Prepare
    const dns = runbook.steps.find((s) => s.kind === 'dns');
    // Act
    const { events } = fold([
      entry('step-finished', dns?.id, { status: 'done' }),
      entry('step-finished', wave1.id, { status: 'failed' }),
    ]);
    // Assess
    expect(events.map((e) => e.type === 'line' && e.milestone)).toEqual([false, true]);
  });
});

describe('a failed step in the thread', () => {
  it('shows a code and the sanitized, escaped error; the journal keeps the full text', () => {
    // Prepare
    const failed = {
      ...entry('step-finished', wave1.id, { status: 'failed' }),
      message:
        'Recover: failed (DRS StartRecovery failed with AccessDeniedException: arn:aws:iam::444455556666:role/X <!channel>)',
    };

    // Act
    const { events } = fold([failed]);

    // Assess
    const [line] = events;
    expect(line).toMatchObject({ type: 'line', milestone: true, failure: true });
    const text = line?.type === 'line' ? line.text : '';
    expect(text).toContain('`AccessDeniedException` Recover: failed (DRS StartRecovery');
    expect(text).toContain('[iam ARN] &lt;!channel&gt;');
    expect(text).not.toMatch(/444455556666|<!channel>/);
  });
});

describe('waveProgress', () => {
  it('shows the waves of the direction the run is moving in', () => {
    // Act
    const failover = fold([entry('step-started', wave1.id)]).view;
    const failback = fold([
      entry('step-started', failbackWave1.id),
      entry('server-healthy', failbackWave1.id),
    ]).view;
    // Assess
    expect(waveProgress(failover, runbook).map((w) => w.name)).toEqual([
      'database',
      'application',
      'web',
      'file-transfer',
      'monitoring',
    ]);
    expect(waveProgress(failback, runbook)[0]).toEqual({
      name: 'database',
      recovered: 1,
      total: 6,
    });
  });
});
