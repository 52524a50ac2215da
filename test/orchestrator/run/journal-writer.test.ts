import { describe, expect, it } from 'vitest';
import { JournalEntryError } from '../../../orchestrator/domain/errors.ts';
import type { JournalEntry } from '../../../orchestrator/domain/journal.ts';
import type { JournalStore } from '../../../orchestrator/ports/state-store.ts';
import { JournalWriter } from '../../../orchestrator/run/journal-writer.ts';

const NOW = Date.parse('2026-11-22T03:00:00Z');

function memoryJournal(): JournalStore & { entries: JournalEntry[] } {
  const entries: JournalEntry[] = [];
  return {
    entries,
    async append(_executionId, ...drafts) {
      const written = drafts.map((d, i) => ({ ...d, seq: entries.length + 1 + i }) as JournalEntry);
      entries.push(...written);
      return written;
    },
    async journal(_executionId, afterSeq = 0) {
      return entries.filter((e) => e.seq > afterSeq);
    },
  };
}

/** A writer on a journal in memory, with the notifier's wake-ups recorded. */
function wokenWriter() {
  const store = memoryJournal();
  const woken: [string, number][] = [];
  const writer = new JournalWriter({
    store,
    now: () => NOW,
    notify: { changed: async (id, seq) => void woken.push([id, seq]) },
  });
  return { store, woken, writer };
}

describe('JournalWriter', () => {
  it('refuses an entry of the wrong shape where it is written, and writes nothing', async () => {
    // Prepare
    const store = memoryJournal();
    const writer = new JournalWriter({ store, now: () => NOW });
    const journal = writer.forStep('run-1', 'failover.wave.1');
    // Act
    const written = journal('server-launched', 'db-01 launched', {
      server: 'db-01',
      launchedAt: 'now',
    } as never);
    // Assess
    await expect(written).rejects.toThrow(JournalEntryError);
    await expect(written).rejects.toThrow(/"server-launched" journal entry has the wrong shape/);
    expect(store.entries).toHaveLength(0);
  });

  it('refuses a field its type does not declare', async () => {
    const store = memoryJournal();
    const writer = new JournalWriter({ store, now: () => NOW });
    await expect(
      writer.write('run-1', {
        type: 'pause-requested',
        message: 'pause',
        data: { by: 'U01ALICE', token: 'secret' } as never,
      }),
    ).rejects.toThrow(JournalEntryError);
    expect(store.entries).toHaveLength(0);
  });

  it('dates each entry, keeps its step, and wakes the notifier with its sequence number', async () => {
    // Prepare
    const { store, woken, writer } = wokenWriter();
    // Act
    await writer.forStep('run-1', 'failover.dns')('dns-changed', '3 records', {
      target: 'recovery',
      records: 3,
      insyncAt: NOW,
    });
    // Assess
    expect(store.entries).toEqual([
      {
        at: NOW,
        seq: 1,
        type: 'dns-changed',
        stepId: 'failover.dns',
        message: '3 records',
        data: { target: 'recovery', records: 3, insyncAt: NOW },
      },
    ]);
    expect(woken).toEqual([['run-1', 1]]);
  });

  it('numbers entries written together in order, writes none when one is wrong, and wakes the notifier once', async () => {
    // Prepare
    const { store, woken, writer } = wokenWriter();
    const answered = {
      type: 'pause-requested',
      message: 'pause',
      data: { by: 'U01ALICE' },
    } as const;
    const aborted = { type: 'abort-requested', message: 'abort', data: { by: 'U02BOB' } } as const;
    // Act
    const wrong = writer.write('run-1', answered, { ...aborted, data: {} as never });
    await writer.write('run-1', answered, aborted);
    // Assess
    await expect(wrong).rejects.toThrow(JournalEntryError);
    expect(store.entries.map((e) => [e.seq, e.type])).toEqual([
      [1, 'pause-requested'],
      [2, 'abort-requested'],
    ]);
    expect(woken).toEqual([['run-1', 2]]);
  });

  it('goes on when the notifier cannot be woken, and says so', async () => {
    const store = memoryJournal();
    const warnings: string[] = [];
    const writer = new JournalWriter({
      store,
      now: () => NOW,
      notify: { changed: () => Promise.reject(new Error('queue throttled')) },
      warn: (message) => warnings.push(message),
    });
    await writer.write('run-1', {
      type: 'abort-requested',
      message: 'abort',
      data: { by: 'U02BOB' },
    });
    expect(store.entries).toHaveLength(1);
    expect(warnings).toEqual(['Could not wake the notifier for run-1: queue throttled']);
  });
});
