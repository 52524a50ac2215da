import type { NoticeStore } from '../../../bot/notifier/notice-store.ts';
import { type BuildReportInput, buildReport } from '../../../orchestrator/domain/build-report.ts';
import { ConcurrentUpdateError } from '../../../orchestrator/domain/errors.ts';
import type { Execution, Gate } from '../../../orchestrator/domain/execution.ts';
import { type JournalEntry, JournalEntrySchema } from '../../../orchestrator/domain/journal.ts';
import { parsePlan } from '../../../orchestrator/domain/plan-rules.ts';
import type { PlanLoader, RunReader } from '../../../orchestrator/ports/run-control.ts';
import { at, cleanDrill } from '../../fixtures/report-runs.ts';
import { readTiny } from '../../helpers.ts';

type LoadedPlan = Awaited<ReturnType<PlanLoader['loadPlan']>>;

/** A run's journal as far as `shownTo` (a seq), its gates folded from it; the rest unused. */
export class FakeRun implements Pick<RunReader, 'getExecution' | 'getGate' | 'journal' | 'report'> {
  shownTo = 0;

  constructor(
    private readonly input: BuildReportInput,
    readonly entries: JournalEntry[],
    private readonly plan: LoadedPlan,
  ) {}

  get execution(): Execution {
    return this.input.execution;
  }

  async getExecution(): Promise<Execution> {
    return this.execution;
  }

  async loadPlan() {
    return this.plan;
  }

  async journal(_: string, afterSeq = 0): Promise<JournalEntry[]> {
    return this.entries.filter((e) => e.seq > afterSeq && e.seq <= this.shownTo);
  }

  async getGate(_: string, gateId: string): Promise<Gate> {
    const shown = this.entries.filter((e) => e.seq <= this.shownTo);
    const opened = shown.find((e) => e.type === 'gate-opened' && e.data.gateId === gateId);
    if (opened?.type !== 'gate-opened') throw new Error(`no gate ${gateId}`);
    const answers = shown.flatMap((e) =>
      e.type === 'gate-answered' && e.data.gateId === gateId
        ? [{ user: e.data.user, decision: e.data.decision, at: e.at }]
        : [],
    );
    const closed = shown.some((e) => e.type === 'gate-closed' && e.data.gateId === gateId);
    return {
      gateId,
      executionId: this.execution.executionId,
      stepId: opened.stepId ?? '',
      kind: opened.data.kind,
      prompt: 'Confirm the drill environment works.',
      principals: opened.data.principals,
      required: opened.data.required,
      excludeRequester: true,
      requestedBy: 'U01ALICE',
      taskToken: 'token',
      openedAt: opened.at,
      expiresAt: opened.at + 3_600_000,
      answers,
      status: closed ? 'closed' : 'open',
    } as Gate;
  }

  async report() {
    return buildReport({ ...this.input, journal: this.entries, now: at(10_900) });
  }
}

/** Many runs behind one reader, as the notifier sees the state table: each found by its id. */
export class FakeRuns {
  readonly byId = new Map<string, FakeRun>();

  add(run: FakeRun): FakeRun {
    this.byId.set(run.execution.executionId, run);
    return run;
  }

  private run(executionId: string): FakeRun {
    const run = this.byId.get(executionId);
    if (!run) throw new Error(`no run ${executionId}`);
    return run;
  }

  /** The reader the notifier takes. */
  reader(): RunReader & PlanLoader {
    const runs = {
      getExecution: (id: string) => this.run(id).getExecution(),
      journal: (id: string, after?: number) => this.run(id).journal(id, after),
      getGate: (id: string, gateId: string) => this.run(id).getGate(id, gateId),
      report: (id: string) => this.run(id).report(),
      loadPlan: () => [...this.byId.values()][0]?.loadPlan(),
    };
    return runs as unknown as RunReader & PlanLoader;
  }
}

export class MemoryNotices implements NoticeStore {
  readonly docs = new Map<string, { doc: unknown; version: number }>();

  async getNotice(id: string) {
    return this.docs.get(id);
  }

  async putNotice(id: string, doc: unknown, expectedVersion: number) {
    if ((this.docs.get(id)?.version ?? 0) !== expectedVersion) throw new ConcurrentUpdateError(id);
    this.docs.set(id, { doc: structuredClone(doc), version: expectedVersion + 1 });
  }
}

/**
 * The tiny clean drill (its sign-off answered) with its end recorded, as run `executionId` in
 * `channel`; nothing of it shown yet.
 */
export async function tinyDrill(
  channel: string,
  options: { executionId?: string; reportFiles?: Record<string, string> } = {},
): Promise<FakeRun> {
  const input = await cleanDrill();
  input.execution = {
    ...input.execution,
    channel,
    ...(options.executionId ? { executionId: options.executionId } : {}),
  };
  const last = input.journal.at(-1) as JournalEntry;
  const entries = [
    ...input.journal,
    JournalEntrySchema.parse({
      seq: last.seq + 1,
      at: at(10_850),
      type: 'execution-finished',
      message: 'execution-finished',
      data: {
        outcome: 'succeeded',
        reportFiles: options.reportFiles ?? { md: '/reports/tiny/report.md' },
      },
    }),
  ];
  const plan = parsePlan(await readTiny(), 'tiny.yaml');
  return new FakeRun(input, entries, { plan, source: 'tiny.yaml', revision: 'r1' });
}
