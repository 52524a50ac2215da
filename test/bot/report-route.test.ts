import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { IngressEnvSchema, NotifierEnvSchema } from '../../bot/env.ts';
import type { AwsHandler } from '../../bot/ingress.ts';
import { createIngressLambda } from '../../bot/ingress-lambda.ts';
import { LocalBot } from '../../bot/local.ts';
import { createNotifierLambda } from '../../bot/notifier-handler.ts';
import { lastingReportLinks, REPORT_LINK_REFUSAL } from '../../bot/report-links.ts';
import { S3ReportStore } from '../../orchestrator/adapters/s3-report-store.ts';
import { buildReport } from '../../orchestrator/domain/build-report.ts';
import type { Report } from '../../orchestrator/domain/report.ts';
import { renderHtml } from '../../orchestrator/report/render-html.ts';
import { SANDBOX_SIGNING_SECRET, SANDBOX_TEAM, SlackSandbox } from '../../sandbox/slack-sandbox.ts';
import { cleanDrill } from '../fixtures/report-runs.ts';
import { SAMPLE_PLANS, SAMPLE_SETTINGS } from '../helpers.ts';
import { createReportBucket } from '../sandbox/aws/harness.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const REGION = 'us-east-2';
const LINK_KEY = 'the-local-report-link-key-0123456789';
const BOT_URL = 'https://lifeboat.example.com';

/** A GET to the bot's endpoint, as API Gateway's HTTP API hands it to the ingress. */
function getEvent(url: string) {
  const { pathname, search } = new URL(url);
  return {
    version: '2.0',
    routeKey: 'GET /reports/{proxy+}',
    rawPath: pathname,
    rawQueryString: search.slice(1),
    headers: { host: 'lifeboat.example.com' },
    isBase64Encoded: false,
    requestContext: { http: { method: 'GET', path: pathname } },
  };
}

/** Report links kept for the retention period, served by the bot's signed route. */
describe('the report route', () => {
  let sandbox: SlackSandbox;
  let ingress: AwsHandler;
  let bucket: string;
  let report: Report;
  let links: Record<string, string>;
  let variables: Record<string, string>;

  beforeAll(async () => {
    sandbox = await SlackSandbox.start({ plansDir: SAMPLE_PLANS, settingsFile: SAMPLE_SETTINGS });
    let s3: Awaited<ReturnType<typeof createReportBucket>>['s3'];
    ({ s3, bucket } = await createReportBucket(sandbox.aws, REGION));
    report = buildReport(await cleanDrill());
    const files = await new S3ReportStore(s3, REGION, { bucket }).save(report);
    links = lastingReportLinks({ baseUrl: BOT_URL, secret: LINK_KEY, retentionDays: 2557 })(
      { runbook: { executionRegion: REGION } },
      files,
    );
    variables = {
      SLACK_SIGNING_SECRET: SANDBOX_SIGNING_SECRET,
      SLACK_BOT_TOKEN: 'xoxb-lifeboat-local',
      REPORT_LINK_KEY: LINK_KEY,
      SLACK_TEAM_ID: SANDBOX_TEAM,
      SLACK_BOT_ID: 'B0LIFEBOAT',
      SLACK_BOT_USER_ID: 'U0LIFEBOAT',
      SLACK_API_URL: sandbox.slack.apiUrl,
      STATE_MACHINE_ARN_PATTERN:
        'arn:aws:states:{region}:111122223333:stateMachine:lifeboat-runbook',
      REPORT_BUCKETS: `us-east-1=lifeboat-reports-000000000000-us-east-1,${REGION}=${bucket}`,
    };
    const orchestrator = sandbox.orchestrator.environment;
    ingress = createIngressLambda({
      ...orchestrator,
      ...IngressEnvSchema.parse({ ...orchestrator, ...variables }),
    });
  }, 60_000);
  afterAll(async () => {
    await sandbox?.stop();
  });

  it('redirects a genuine link to a presigned GET of its bucket and key, which the local S3 serves', async () => {
    // Act
    const answer = await ingress(getEvent(links.html ?? '') as never, {});
    // Assess
    expect(answer.statusCode).toBe(302);
    const location = new URL(answer.headers?.location as string);
    expect(`${location.pathname}`).toContain(`${bucket}/reports/`);
    expect(location.pathname).toMatch(/\.html$/);
    expect(location.searchParams.get('X-Amz-Expires')).toBe('300');
    expect(location.searchParams.get('X-Amz-Credential')).toContain(`/${REGION}/s3/aws4_request`);
    const page = await fetch(location);
    expect(page.status).toBe(200);
    expect(await page.text()).toBe(renderHtml(report));
  });

  const altered: [string, (url: URL) => void][] = [
    ['an altered signature', (u) => u.searchParams.set('sig', 'A'.repeat(43))],
    [
      'an altered key',
      (u) => {
        u.pathname = u.pathname.replace(/\.html$/, '.json');
      },
    ],
    [
      'an altered expiry',
      (u) => u.searchParams.set('exp', String(Number(u.searchParams.get('exp')) + 60)),
    ],
    [
      'an expired link',
      (u) => {
        const expired = new URL(
          lastingReportLinks({
            baseUrl: BOT_URL,
            secret: LINK_KEY,
            retentionDays: 1,
            now: () => Date.now() - 2 * 86_400_000,
          })(
            { runbook: { executionRegion: REGION } },
            { html: `s3://${bucket}${u.pathname.slice(`/reports/${REGION}`.length)}` },
          ).html ?? '',
        );
        u.search = expired.search;
      },
    ],
  ];
  it.each(altered)('answers 403, saying to ask for a new link, to %s', async (_, alter) => {
    // Prepare
    const url = new URL(links.html ?? '');
    alter(url);
    // Act
    const answer = await ingress(getEvent(url.toString()) as never, {});
    // Assess
    expect(answer.statusCode).toBe(403);
    expect(answer.body).toBe(REPORT_LINK_REFUSAL);
    expect(answer.headers?.location).toBeUndefined();
  });

  it('answers 404 to an unknown region or a key outside the reports, and leaves a missing report to S3', async () => {
    // Prepare
    const link = (region: string, key: string) =>
      lastingReportLinks({ baseUrl: BOT_URL, secret: LINK_KEY, retentionDays: 1 })(
        { runbook: { executionRegion: region } },
        { html: `s3://${bucket}/${key}` },
      ).html ?? '';
    // Act
    const [region, outside, missing] = await Promise.all(
      [
        link('eu-west-1', 'reports/dmnt/x.html'),
        link(REGION, 'config/x.html'),
        link(REGION, 'reports/dmnt/gone.html'),
      ].map((url) => ingress(getEvent(url) as never, {})),
    );
    // Assess
    expect(region?.statusCode).toBe(404);
    expect(outside?.statusCode).toBe(404);
    expect(missing?.statusCode).toBe(302);
    expect((await fetch(missing?.headers?.location as string)).status).toBe(404);
  });

  it('is served by the local HTTP entry too, without Slack signature', async () => {
    // Prepare
    const bot = new LocalBot({
      runs: sandbox.runs,
      notices: sandbox.orchestrator.wiring.notices,
      signingSecret: SANDBOX_SIGNING_SECRET,
      botToken: 'xoxb-lifeboat-local',
      teamId: SANDBOX_TEAM,
      botId: 'B0LIFEBOAT',
      botUserId: 'U0LIFEBOAT',
      slackApiUrl: sandbox.slack.apiUrl,
      reportLinks: { key: LINK_KEY, baseUrl: BOT_URL, buckets: { [REGION]: bucket } },
    });
    const app = bot.app({ mode: 'http', port: 0 });
    const server = (await app.start(0)) as Server;
    const local = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const onLocal = (url: string) => url.replace(BOT_URL, local);
    try {
      // Act
      const genuine = await fetch(onLocal(links.json ?? ''), { redirect: 'manual' });
      const forged = await fetch(onLocal((links.json ?? '').replace(/sig=[^&]+/, 'sig=x')), {
        redirect: 'manual',
      });
      // Assess
      expect(genuine.status).toBe(302);
      const json = await fetch(genuine.headers.get('location') ?? '');
      expect(JSON.parse(await json.text())).toEqual(report);
      expect(forged.status).toBe(403);
      expect(await forged.text()).toBe(REPORT_LINK_REFUSAL);
    } finally {
      await app.stop();
      await bot.stop();
    }
  });

  it('without reportLinkKey, the notifier falls back to presigned links and says so once', async () => {
    // Prepare
    const { REPORT_LINK_KEY: _, ...withoutKey } = variables;
    const orchestrator = sandbox.orchestrator.environment;
    const notifier = createNotifierLambda({
      ...orchestrator,
      ...NotifierEnvSchema.parse({ ...orchestrator, ...withoutKey, REPORT_LINK_URL: BOT_URL }),
      POWERTOOLS_LOG_LEVEL: 'WARN',
    });
    const written: string[] = [];
    const capture = (chunk: unknown) => {
      written.push(String(chunk));
      return true;
    };
    const spies = [
      vi.spyOn(process.stdout, 'write').mockImplementation(capture),
      vi.spyOn(process.stderr, 'write').mockImplementation(capture),
    ];
    const record = (id: string) =>
      ({
        messageId: id,
        body: '{}',
        attributes: { MessageGroupId: id },
        messageAttributes: {},
      }) as unknown as SQSRecord;
    try {
      // Act
      // Both messages are malformed (refused after the notifier is built): only the log matters.
      for (const id of ['m1', 'm2'])
        await notifier({ Records: [record(id)] }, {} as Context).catch(() => undefined);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    // Assess
    const fallbacks = written.filter((line) => line.includes('report links are presigned'));
    expect(fallbacks).toHaveLength(1);
    expect(written.join('')).not.toContain(LINK_KEY);
  });
});
