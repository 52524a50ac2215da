import { LogLevel, WebClient } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import { Notifier, type NotifierDeps } from '../../../bot/notifier/notifier.ts';
import { checkReportLink, lastingReportLinks } from '../../../bot/report-links.ts';
import type { JournalEntry } from '../../../orchestrator/domain/journal.ts';
import { FakeSlack, type FakeSlackMessage } from '../../../sandbox/slack/fake-slack.ts';
import { at } from '../../fixtures/report-runs.ts';
import { FakeRuns, MemoryNotices, tinyDrill } from './fake-runs.ts';

const CHANNEL = 'C0TINY';

const running: FakeSlack[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((fake) => fake.close()));
});

async function setUp(
  options: Pick<NotifierDeps, 'reportLinks'> & { reportFiles?: Record<string, string> } = {},
) {
  const run = await tinyDrill(
    CHANNEL,
    options.reportFiles ? { reportFiles: options.reportFiles } : {},
  );
  const { entries } = run;
  const runs = new FakeRuns();
  runs.add(run);
  const clock = { wall: at(0) };
  const fake = await new FakeSlack({ now: () => clock.wall }).start();
  running.push(fake);
  const warnings: { message: string; details: Record<string, unknown> }[] = [];
  const notifier = new Notifier({
    runs: runs.reader(),
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
      const state = await notifier.sync(run.execution.executionId);
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
