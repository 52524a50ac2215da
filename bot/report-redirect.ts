import { checkReportLink, REPORT_LINK_REFUSAL, REPORT_LINKS_PATH } from './report-links.ts';

/** How long the presigned GET a visit is sent to lives: long enough to follow, no more. */
export const REPORT_REDIRECT_SECONDS = 300;

export interface ReportRedirectOptions {
  /** The link-signing key (`reportLinkKey` in Slack's secret); without it every link is refused. */
  secret: string | undefined;
  /** Each region's report bucket: a link names the region, never the bucket. */
  buckets: Readonly<Record<string, string>>;
  /** A GET of the object, presigned now for {@link REPORT_REDIRECT_SECONDS}. */
  presign(region: string, bucket: string, key: string): Promise<string>;
  nowSeconds(): number;
}

export interface PlainResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** A request to the bot's endpoint as the report route reads it. */
export interface ReportVisit {
  method: string;
  /** Still percent-encoded. */
  path: string;
  query: URLSearchParams;
}

/** Whether a request is for the report route (which Slack's signature check does not guard). */
export function isReportVisit(method: string | undefined, path: string | undefined): boolean {
  return (method === 'GET' || method === 'HEAD') && Boolean(path?.startsWith(REPORT_LINKS_PATH));
}

/**
 * A report link visited: 302 to a fresh presigned GET of the object when the link is genuine
 * and unexpired (a report gone from S3 gets S3's own 404 there: the route makes no S3 call),
 * 403 for a forged, altered or expired one, 404 for a path that names no report.
 */
export async function answerReportVisit(
  visit: ReportVisit,
  options: ReportRedirectOptions,
): Promise<PlainResponse> {
  const plain = (statusCode: number, body: string): PlainResponse => ({
    statusCode,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
    body,
  });
  if (!options.secret) return plain(403, REPORT_LINK_REFUSAL);
  const checked = checkReportLink(visit, {
    secret: options.secret,
    regions: Object.keys(options.buckets),
    nowSeconds: options.nowSeconds(),
  });
  if (!checked.ok) return plain(checked.statusCode, checked.message);
  const bucket = options.buckets[checked.region] ?? '';
  const location = await options.presign(checked.region, bucket, checked.key);
  return {
    statusCode: 302,
    // The presigned URL is a short-lived credential: no cache keeps it, no referrer leaks it.
    headers: { location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' },
    body: '',
  };
}

/** An API Gateway event (HTTP API's v2, or REST's v1) as a report visit, if it is one. */
export function readReportVisit(event: unknown): ReportVisit | undefined {
  const e = event as {
    rawPath?: string;
    rawQueryString?: string;
    path?: string;
    httpMethod?: string;
    queryStringParameters?: Record<string, string | undefined> | null;
    requestContext?: { http?: { method?: string } };
  };
  const method = e.requestContext?.http?.method ?? e.httpMethod;
  const path = e.rawPath ?? e.path;
  if (!isReportVisit(method, path)) return undefined;
  const query =
    e.rawQueryString !== undefined
      ? new URLSearchParams(e.rawQueryString)
      : new URLSearchParams(
          Object.entries(e.queryStringParameters ?? {}).filter(
            (pair): pair is [string, string] => pair[1] !== undefined,
          ),
        );
  return { method: method ?? 'GET', path: path ?? '', query };
}

/** Parses `us-east-1=bucket-a,us-east-2=bucket-b` (the ingress's REPORT_BUCKETS). */
export function parseReportBuckets(text: string | undefined): Record<string, string> {
  return Object.fromEntries(
    (text ?? '')
      .split(',')
      .map((pair) => pair.trim().split('='))
      .filter((pair): pair is [string, string] => pair.length === 2 && Boolean(pair[0] && pair[1])),
  );
}
