import { LogLevel, WebClient } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import type { NoticeStore } from '../../../bot/notifier/notice-store.ts';
import { Notifier, type NotifierDeps } from '../../../bot/notifier/notifier.ts';
import { checkReportLink, lastingReportLinks } from '../../../bot/report-links.ts';
import { type BuildReportInput, buildReport } from '../../../orchestrator/domain/build-report.ts';
import { ConcurrentUpdateError } from '../../../orchestrator/domain/errors.ts';
import type { Execution, Gate } from '../../../orchestrator/domain/execution.ts';
import { type JournalEntry, JournalEntrySchema } from '../../../orchestrator/domain/journal.ts';
import { parsePlan } from '../../../orchestrator/domain/plan-rules.ts';
import type { PlanLoader, RunReader } from '../../../orchestrator/ports/run-control.ts';
import { FakeSlack, type FakeSlackMessage } from '../../../sandbox/slack/fake-slack.ts';
import { at, cleanDrill } from '../../fixtures/report-runs.ts';
import { readTiny } from '../../helpers.ts';

const CHANNEL = 'C0TINY';

/** The run's journal as far as `shownTo` (a seq), its gates folded from it; the rest unused. */
class FakeRun implements Pick<RunReader, 'getExecution' | 'getGate' | 'journal' | 'report'> {
  shownTo = 0;

  constructor(
    private readonly input: BuildReportInput,
    private readonly entries: JournalEntry[],
    private readonly plan: Awaited<ReturnType<PlanLoader['loadPlan']>>,
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

class MemoryNotices implements NoticeStore {
  private readonly docs = new Map<string, { doc: unknown; version: number }>();

  async getNotice(id: string) {
    return this.docs.get(id);
  }

  async putNotice(id: string, doc: unknown, expectedVersion: number) {
    if ((this.docs.get(id)?.version ?? 0) !== expectedVersion) throw new ConcurrentUpdateError(id);
    this.docs.set(id, { doc: structuredClone(doc), version: expectedVersion + 1 });
  }
}

const running: FakeSlack[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((fake) => fake.close()));
});

async function setUp(
  options: Pick<NotifierDeps, 'reportLinks'> & { reportFiles?: Record<string, string> } = {},
) {
  const input = await cleanDrill();
  input.execution = { ...input.execution, channel: CHANNEL };
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
  const run = new FakeRun(input, entries, { plan, source: 'tiny.yaml', revision: 'r1' });
  const clock = { wall: at(0) };
  const fake = await new FakeSlack({ now: () => clock.wall }).start();
  running.push(fake);
  const warnings: { message: string; details: Record<string, unknown> }[] = [];
  const notifier = new Notifier({
    runs: run as unknown as RunReader & PlanLoader,
    notices: new MemoryNotices(),
    client: new WebClient('xoxb-fake', {
      slackApiUrl: fake.apiUrl,
      retryConfig: { retries: 0 },
      logLevel: LogLevel.ERROR,
    }),
    wallNow: () => clock.wall,
    sleep: async (ms) => {
      clock.wall += ms;
    },
    settle: 'wait',
    log: { warn: (message, details = {}) => warnings.push({ message, details }) },
    ...(options.reportLinks ? { reportLinks: options.reportLinks } : {}),
  });
  const syncAll = async () => {
    for (let i = 0; i < 20; i += 1) {
      const state = await notifier.sync(input.execution.executionId);
      clock.wall += 5_000;
      if (state === 'done') return state;
    }
    return 'more';
  };
  const signOffOpened = entries.find(
    (e) => e.type === 'gate-opened' && e.data.kind === 'sign-off',
  ) as JournalEntry;
  return { fake, run, entries, warnings, syncAll, signOffOpened };
}

const textOf = (m: FakeSlackMessage) => `${m.text ?? ''} ${JSON.stringify(m.blocks ?? [])}`;
const buttonsOf = (m: FakeSlackMessage) =>
  (m.blocks ?? []).flatMap((b) =>
    ((b as { elements?: { action_id?: string }[] }).elements ?? []).flatMap((e) =>
      e.action_id ? [e.action_id] : [],
    ),
  );

describe('Notifier, when Slack refuses a message', () => {
  it('reports it once, shows the prompt shorter with its button, and the run goes on to its report', async () => {
    // Prepare
    const { fake, run, entries, warnings, syncAll, signOffOpened } = await setUp();
    // The sign-off prompt as rendered (its words in bold) is refused; its plain fallback is not.
    fake.refuse = ({ method, args }) =>
      method === 'chat.postMessage' &&
      JSON.stringify(args.blocks ?? []).includes('*Customer sign-off needed.*')
        ? 'invalid_blocks'
        : undefined;
    // Act
    run.shownTo = signOffOpened.seq;
    await syncAll();
    const prompt = fake.messages(CHANNEL).find((m) => textOf(m).includes('sign-off needed'));
    // Read now: the prompt is updated (its buttons gone) once the sign-off is recorded.
    const promptButtons = prompt && buttonsOf(prompt);
    const promptText = prompt && textOf(prompt);
    run.shownTo = entries.length;
    const state = await syncAll();
    // Assess
    expect(fake.calls.filter((c) => c.error === 'invalid_blocks')).toHaveLength(1);
    expect(warnings.map((w) => w.message)).toEqual([
      'Slack refused a message; a shorter one is sent instead',
    ]);
    expect(warnings[0]?.details).toMatchObject({
      method: 'chat.postMessage',
      error: 'invalid_blocks',
    });
    expect(promptButtons).toEqual(['sign_off_open']);
    expect(promptText).toContain('<@U03CAROL>');
    expect(state).toBe('done');
    const report = fake.messages(CHANNEL).at(-1);
    expect(report?.broadcast).toBe(true);
    expect(report?.text).toMatch(/^Drill of Tiny Health succeeded/);
  });

  it('goes on without a message Slack refuses in every form, and without replaying it', async () => {
    // Prepare
    const { fake, run, entries, warnings, syncAll } = await setUp();
    // Every thread reply about the first wave (out and back) is refused, however short.
    fake.refuse = ({ method, args }) =>
      method === 'chat.postMessage' && String(args.text).includes('Wave 1/3 database')
        ? 'msg_too_long'
        : undefined;
    run.shownTo = entries.length;
    // Act
    const state = await syncAll();
    // Assess
    expect(state).toBe('done');
    const refusals = fake.calls.filter((c) => c.error === 'msg_too_long');
    // Each of the two replies: as it was, then its text alone; never again after that.
    expect(refusals).toHaveLength(4);
    expect(warnings).toHaveLength(4);
    expect(warnings.map((w) => w.message)).toContain(
      'Slack refused the shorter messages too; the run goes on without this one',
    );
    const shown = fake.messages(CHANNEL).map(textOf).join('\n');
    expect(shown).toContain('Wave 3/3 web: recover 1 server in us-east-1');
    expect(shown).not.toContain('Wave 1/3 database');
    expect(fake.messages(CHANNEL).at(-1)?.text).toMatch(/^Drill of Tiny Health succeeded/);
  });
});

describe("the notifier's final message", () => {
  it('links the report through the bot for the retention period, when the links are lasting', async () => {
    // Prepare
    const secret = 'a-report-link-key-of-32-characters!!';
    const bucket = 'lifeboat-reports-111122223333-us-east-1';
    const { fake, run, entries, syncAll } = await setUp({
      reportFiles: {
        html: `s3://${bucket}/reports/tiny/run-1.html`,
        json: `s3://${bucket}/reports/tiny/run-1.json`,
      },
      reportLinks: lastingReportLinks({
        baseUrl: 'https://lifeboat.example.com',
        secret,
        retentionDays: 2557,
        now: () => at(10_900),
      }),
    });
    run.shownTo = entries.length;
    // Act
    await syncAll();
    // Assess
    const report = JSON.stringify(fake.messages(CHANNEL).at(-1)?.blocks ?? []);
    const urls = [...report.matchAll(/https:\/\/lifeboat\.example\.com\/reports\/[^|>"\\]+/g)].map(
      ([url]) => new URL(url.replaceAll('&amp;', '&')),
    );
    expect(urls.map((u) => u.pathname).sort()).toEqual([
      `/reports/${run.execution.runbook.executionRegion}/reports/tiny/run-1.html`,
      `/reports/${run.execution.runbook.executionRegion}/reports/tiny/run-1.json`,
    ]);
    for (const url of urls) {
      expect(Number(url.searchParams.get('exp'))).toBe(at(10_900) / 1000 + 2557 * 86_400);
      const checked = checkReportLink(
        { path: url.pathname, query: url.searchParams },
        {
          secret,
          regions: [run.execution.runbook.executionRegion],
          nowSeconds: at(10_900) / 1000 + 2556 * 86_400,
        },
      );
      expect(checked.ok).toBe(true);
    }
    expect(report).not.toContain('X-Amz-');
  });
});
