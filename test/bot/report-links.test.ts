import { describe, expect, it } from 'vitest';
import {
  checkReportLink,
  lastingReportLinks,
  REPORT_LINK_REFUSAL,
  reportLinkUrl,
} from '../../bot/report-links.ts';

const SECRET = 'a-report-link-key-of-32-characters!!';
const NOW = 1_800_000_000;
const LINK = { region: 'us-east-2', key: 'reports/dmnt/drill-1.html', exp: NOW + 3600 };
const REGIONS = ['us-east-1', 'us-east-2'];

/** A link's path and query, as the route reads them. */
function visitOf(url: string) {
  const parsed = new URL(url);
  return { path: parsed.pathname, query: parsed.searchParams };
}

function check(url: string, nowSeconds = NOW) {
  return checkReportLink(visitOf(url), { secret: SECRET, regions: REGIONS, nowSeconds });
}

const GOOD = reportLinkUrl('https://lifeboat.example.com/', SECRET, LINK);

describe('report links', () => {
  it('names the region and key on the bot, with the expiry and a signature, never the key', () => {
    // Act
    const url = new URL(GOOD);
    // Assess
    expect(url.origin).toBe('https://lifeboat.example.com');
    expect(url.pathname).toBe('/reports/us-east-2/reports/dmnt/drill-1.html');
    expect(url.searchParams.get('exp')).toBe(String(LINK.exp));
    expect(url.searchParams.get('sig')).toMatch(/^[\w-]{43}$/);
    expect(GOOD).not.toContain(SECRET);
    expect(check(GOOD)).toEqual({ ok: true, region: 'us-east-2', key: LINK.key });
  });

  const altered: [string, (url: URL) => void, number?][] = [
    [
      'a changed signature',
      (u) => u.searchParams.set('sig', `x${u.searchParams.get('sig')?.slice(1)}`),
    ],
    ['no signature', (u) => u.searchParams.delete('sig')],
    [
      'a changed key',
      (u) => {
        u.pathname = u.pathname.replace('drill-1', 'drill-2');
      },
    ],
    [
      'another region',
      (u) => {
        u.pathname = u.pathname.replace('us-east-2', 'us-east-1');
      },
    ],
    ['a later expiry', (u) => u.searchParams.set('exp', String(LINK.exp + 1))],
    ['an expiry that is no number', (u) => u.searchParams.set('exp', '1e12')],
    [
      'a signature by another key',
      (u) =>
        u.searchParams.set(
          'sig',
          new URL(reportLinkUrl('https://x', `${SECRET}?`, LINK)).searchParams.get('sig') ?? '',
        ),
    ],
    ['an expired link', () => {}, LINK.exp + 1],
  ];
  it.each(altered)('refuses %s with 403 and no reason why', (_, alter, now = NOW) => {
    // Prepare
    const url = new URL(GOOD);
    alter(url);
    // Act
    const checked = check(url.toString(), now);
    // Assess
    expect(checked).toEqual({ ok: false, statusCode: 403, message: REPORT_LINK_REFUSAL });
  });

  it('takes a link until its expiry second', () => {
    expect(check(GOOD, LINK.exp).ok).toBe(true);
  });

  const unknown: [string, string][] = [
    ['an unknown region', '/reports/eu-west-9/reports/dmnt/drill-1.html'],
    ['a region that is no region', '/reports/bucket/reports/dmnt/drill-1.html'],
    ['a key outside the reports prefix', '/reports/us-east-2/config/dmnt.yaml'],
    ['a key climbing out of the prefix', '/reports/us-east-2/reports/../secret.json'],
    ['an encoded climb', '/reports/us-east-2/reports/%2E%2E/secret.json'],
    ['an encoded slash', '/reports/us-east-2/reports%2Fdmnt/drill-1.html'],
    ['a malformed escape', '/reports/us-east-2/reports/%E0%A4%A/x.html'],
    ['no key', '/reports/us-east-2/'],
  ];
  it.each(unknown)('answers %s with 404, whatever the signature', (_, path) => {
    // Prepare: signed for that very path, so only the path can be what is refused
    const raw = path.split('/').slice(3).join('/');
    const key = /%(?![0-9A-F]{2})|%E0%A4%A/i.test(raw) ? raw : decodeURIComponent(raw);
    const url = new URL(GOOD);
    url.pathname = path;
    url.searchParams.set(
      'sig',
      new URL(reportLinkUrl('https://x', SECRET, { ...LINK, key })).searchParams.get('sig') ?? '',
    );
    // Act
    const checked = checkReportLink(
      { path, query: url.searchParams },
      { secret: SECRET, regions: REGIONS, nowSeconds: NOW },
    );
    // Assess
    expect(checked).toMatchObject({ ok: false, statusCode: 404 });
  });

  it("links a run's HTML and JSON in S3 until the retention ends, and leaves the rest as it is", () => {
    // Prepare
    const links = lastingReportLinks({
      baseUrl: 'https://lifeboat.example.com',
      secret: SECRET,
      retentionDays: 2557,
      now: () => NOW * 1000,
    });
    const files = {
      html: 's3://lifeboat-reports-111122223333-us-east-2/reports/dmnt/drill-1.html',
      json: 's3://lifeboat-reports-111122223333-us-east-2/reports/dmnt/drill-1.json',
      markdown: 's3://lifeboat-reports-111122223333-us-east-2/reports/dmnt/drill-1.md',
    };
    // Act
    const linked = links({ runbook: { executionRegion: 'us-east-2' } }, files);
    // Assess
    expect(linked.markdown).toBe(files.markdown);
    for (const kind of ['html', 'json'] as const) {
      const url = new URL(linked[kind] ?? '');
      expect(url.pathname).toBe(`/reports/us-east-2/reports/dmnt/drill-1.${kind}`);
      expect(Number(url.searchParams.get('exp'))).toBe(NOW + 2557 * 86_400);
      expect(check(url.toString()).ok).toBe(true);
    }
    expect(links({ runbook: { executionRegion: 'us-east-2' } }, { html: '/tmp/r/x.html' })).toEqual(
      { html: '/tmp/r/x.html' },
    );
  });
});
