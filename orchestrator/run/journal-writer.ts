import {
  checkJournalEntry,
  type JournalData,
  type JournalDraft,
  type JournalType,
} from '../domain/journal.ts';
import type { RunNotifications } from '../ports/run-control.ts';
import type { JournalStore } from '../ports/state-store.ts';

export interface JournalWriterDeps {
  store: JournalStore;
  now(): number;
  /** Wakes the notifier after each write. @default none (the local notifier polls) */
  notify?: RunNotifications;
  /** Where a notifier that could not be woken is reported. @default console.warn */
  warn?(message: string): void;
}

/** Writes a run's journal: each entry checked against its schema and dated, then the notifier woken once. */
export class JournalWriter {
  constructor(private readonly deps: JournalWriterDeps) {}

  async write(executionId: string, ...drafts: JournalDraft[]): Promise<void> {
    const entries = await this.deps.store.append(
      executionId,
      ...drafts.map((draft) => checkJournalEntry({ ...draft, at: this.deps.now() })),
    );
    const last = entries.at(-1);
    if (!last) return;
    // One wake-up for what was written together: the notifier reads the journal from the table.
    // Slack lagging behind must not fail a step: the next entry wakes the notifier again.
    await this.deps.notify?.changed(executionId, last.seq).catch((error: Error) => {
      (this.deps.warn ?? console.warn)(
        `Could not wake the notifier for ${executionId}: ${error.message}`,
      );
    });
  }

  /** A step's own journal, as its executor writes it. */
  forStep(executionId: string, stepId: string) {
    return <T extends JournalType>(type: T, message: string, data: JournalData<T>) =>
      this.write(executionId, { type, message, data, stepId } as JournalDraft);
  }
}
