import { createHmac, timingSafeEqual } from 'node:crypto';
import { REPORT_KEY_PREFIX } from '../orchestrator/ports/report-store.ts';

/**
 * Report links that last: `https://<bot>/reports/<region>/<key>?exp=<unix s>&sig=<hmac>`. The
 * bot's endpoint checks the signature and the expiry, then redirects to a presigned GET made on
 * the visit, so a link outlives every role session for as long as the report is kept.
 */

/** Where the bot's endpoint answers report links. */
export const REPORT_LINKS_PATH = '/reports/';

/** What a refused link is told: nothing of why, so a forger learns nothing. */
export const REPORT_LINK_REFUSAL =
  "This report link is invalid or has expired. Ask in the run's Slack channel for a new one.";

const S3_URI = /^s3:\/\/([^/]+)\/(.+)$/;
/** The renderings people open; the Markdown keeps its `s3://` location, for the record. */
const LINKED_KINDS = new Set(['html', 'json']);
const EXP = /^\d{1,12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

export interface ReportLink {
  region: string;
  key: string;
  /** Unix seconds after which the link is refused. */
  exp: number;
}

/** HMAC-SHA256 over region, key and expiry (one per line: none of them holds a newline), base64url. */
export function signReportLink(secret: string, link: ReportLink): string {
  return createHmac('sha256', secret)
    .update(`${link.region}\n${link.key}\n${link.exp}`)
    .digest('base64url');
}

/** The link to one report object, on the bot's base URL. */
export function reportLinkUrl(baseUrl: string, secret: string, link: ReportLink): string {
  const path = link.key.split('/').map(encodeURIComponent).join('/');
  const query = new URLSearchParams({ exp: String(link.exp), sig: signReportLink(secret, link) });
  return `${baseUrl.replace(/\/$/, '')}${REPORT_LINKS_PATH}${link.region}/${path}?${query}`;
}

/**
 * A run's report locations with the HTML and JSON in S3 as lasting links; every other location
 * (the Markdown's `s3://`, a local file) as it is.
 */
export function linkReports(
  files: Record<string, string>,
  options: { baseUrl: string; secret: string; region: string; exp: number },
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(files).map(([kind, location]) => {
      const key = S3_URI.exec(location)?.[2];
      if (!key || !LINKED_KINDS.has(kind)) return [kind, location];
      const { baseUrl, secret, region, exp } = options;
      return [kind, reportLinkUrl(baseUrl, secret, { region, key, exp })];
    }),
  );
}

export type ReportLinkCheck =
  | { ok: true; region: string; key: string }
  | { ok: false; statusCode: 403 | 404; message: string };

/**
 * A visited link checked: 404 for a path that names no report (an unknown region, a key outside
 * the reports prefix), 403 for a forged, altered or expired one. `path` is the URL's path, still
 * percent-encoded.
 */
export function checkReportLink(
  visit: { path: string; query: URLSearchParams },
  options: { secret: string; regions: readonly string[]; nowSeconds: number },
): ReportLinkCheck {
  const target = readTarget(visit.path, options.regions);
  if (!target) return { ok: false, statusCode: 404, message: 'No such report.' };
  const exp = visit.query.get('exp') ?? '';
  const sig = visit.query.get('sig') ?? '';
  const refused = { ok: false, statusCode: 403, message: REPORT_LINK_REFUSAL } as const;
  if (!EXP.test(exp)) return refused;
  const expected = Buffer.from(signReportLink(options.secret, { ...target, exp: Number(exp) }));
  const given = Buffer.from(sig);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return refused;
  if (Number(exp) < options.nowSeconds) return refused;
  return { ok: true, ...target };
}

/** `/reports/<region>/<key>` read, or undefined when it names no report object. */
function readTarget(
  path: string,
  regions: readonly string[],
): { region: string; key: string } | undefined {
  if (!path.startsWith(REPORT_LINKS_PATH)) return undefined;
  const [region = '', ...encoded] = path.slice(REPORT_LINKS_PATH.length).split('/');
  if (!REGION.test(region) || !regions.includes(region)) return undefined;
  let segments: string[];
  try {
    segments = encoded.map(decodeURIComponent);
  } catch {
    return undefined; // a malformed escape
  }
  if (segments.some((s) => s === '' || s === '.' || s === '..' || s.includes('/')))
    return undefined;
  const key = segments.join('/');
  return key.startsWith(REPORT_KEY_PREFIX) ? { region, key } : undefined;
}

const DAY_SECONDS = 86_400;

/**
 * The notifier's `reportLinks` for reports in S3: each run's HTML and JSON linked through the
 * bot's report route until the report's retention ends (counted from now, just after the write).
 */
export function lastingReportLinks(options: {
  baseUrl: string;
  secret: string;
  retentionDays: number;
  /** Real time, ms. @default Date.now */
  now?: () => number;
}): (
  execution: { runbook: { executionRegion: string } },
  files: Record<string, string>,
) => Record<string, string> {
  const { baseUrl, secret, retentionDays, now = Date.now } = options;
  return (execution, files) =>
    linkReports(files, {
      baseUrl,
      secret,
      region: execution.runbook.executionRegion,
      exp: Math.floor(now() / 1000) + retentionDays * DAY_SECONDS,
    });
}
