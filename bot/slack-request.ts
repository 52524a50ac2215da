import { createHmac, timingSafeEqual } from 'node:crypto';
import { parse as parseQuery } from 'node:querystring';

/** How old (or how far ahead) a request's timestamp may be, as Slack advises: 5 minutes. */
export const MAX_REQUEST_AGE_SECONDS = 5 * 60;

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';

/** A request Slack's endpoint received, as much of it as the checks need. */
export interface SlackHttpRequest {
  /** The body exactly as sent (bytes, or text as it arrived). */
  rawBody: Buffer | string;
  /** Header names in any case. */
  headers: Readonly<Record<string, string | undefined>>;
}

/** What the checks decided: the body for Bolt, or the HTTP answer that refuses the request. */
export type SlackRequestCheck =
  | {
      ok: true;
      /** The body as text (UTF-8). */
      body: string;
      /** Its media type, without parameters: what Bolt's parser expects. */
      contentType: typeof FORM | typeof JSON_TYPE;
    }
  | { ok: false; statusCode: 400 | 401; message: string };

/** Reads a header whatever the case of its name. */
export function headerOf(
  headers: Readonly<Record<string, string | undefined>>,
  name: string,
): string | undefined {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

/**
 * Slack's request signing: `x-slack-signature` must be `v0=` + HMAC-SHA256 (hex) of
 * `v0:{timestamp}:{raw body}` under the signing secret, and the timestamp within five minutes
 * of now. Checked on the raw body, before anything reads it, so a forged request costs no parse.
 */
export function verifySlackSignature(
  request: SlackHttpRequest,
  signingSecret: string,
  nowSeconds: number,
): { ok: true } | { ok: false; why: string } {
  const timestamp = headerOf(request.headers, 'x-slack-request-timestamp') ?? '';
  const signature = headerOf(request.headers, 'x-slack-signature') ?? '';
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, why: 'no request timestamp' };
  if (Math.abs(nowSeconds - Number(timestamp)) > MAX_REQUEST_AGE_SECONDS)
    return { ok: false, why: `a timestamp (${timestamp}) more than five minutes from now` };
  const given = /^v0=([0-9a-f]{64})$/.exec(signature)?.[1];
  if (!given) return { ok: false, why: 'no v0 signature' };
  const expected = createHmac('sha256', signingSecret)
    .update(`v0:${timestamp}:`)
    .update(request.rawBody)
    .digest();
  if (!timingSafeEqual(Buffer.from(given, 'hex'), expected))
    return { ok: false, why: 'a signature that does not match the body' };
  return { ok: true };
}

/**
 * Checks a request before Bolt sees it: 401 for a missing, forged or stale signature whatever
 * the body; then 400 for a signed body Bolt could not read (a media type Slack does not send,
 * a `payload` that is not a JSON object, JSON that is not an object). Bolt throws on those,
 * which API Gateway turns into a 500.
 */
export function checkSlackRequest(
  request: SlackHttpRequest,
  signingSecret: string,
  nowSeconds: number,
): SlackRequestCheck {
  const signed = verifySlackSignature(request, signingSecret, nowSeconds);
  if (!signed.ok)
    return {
      ok: false,
      statusCode: 401,
      message: `Refused: not signed by Slack (${signed.why}).`,
    };
  const body =
    typeof request.rawBody === 'string' ? request.rawBody : request.rawBody.toString('utf8');
  const mediaType = (headerOf(request.headers, 'content-type') ?? '')
    .split(';')[0]
    ?.trim()
    .toLowerCase();
  const malformed = (why: string) =>
    ({ ok: false, statusCode: 400, message: `Malformed request: ${why}.` }) as const;
  if (mediaType === FORM) {
    const payload = parseQuery(body).payload;
    if (payload === undefined) return { ok: true, body, contentType: FORM };
    if (typeof payload !== 'string') return malformed('the form carries more than one payload');
    const interaction = jsonObject(payload);
    if (!interaction) return malformed('the form field `payload` is not a JSON object');
    const problem = interactionProblem(interaction);
    return problem ? malformed(problem) : { ok: true, body, contentType: FORM };
  }
  if (mediaType === JSON_TYPE) {
    const envelope = jsonObject(body);
    if (!envelope) return malformed('the body is not a JSON object');
    // Slack sends JSON only for the Events API; an interaction as JSON makes Bolt throw.
    return EVENT_ENVELOPES.has(String(envelope.type))
      ? { ok: true, body, contentType: JSON_TYPE }
      : malformed('a JSON body that is no Events API envelope');
  }
  return malformed(
    `content type "${(mediaType ?? '').slice(0, 100)}" is none Slack sends (${FORM} or ${JSON_TYPE})`,
  );
}

const EVENT_ENVELOPES = new Set(['url_verification', 'event_callback', 'app_rate_limited']);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What an interaction payload lacks that Bolt reads before any listener runs (it throws
 * otherwise): who acted, and a modal's view.
 */
function interactionProblem(payload: Record<string, unknown>): string | undefined {
  if (!isObject(payload.user) || typeof payload.user.id !== 'string')
    return 'the payload names no user';
  if (
    (payload.type === 'view_submission' || payload.type === 'view_closed') &&
    !isObject(payload.view)
  )
    return `a ${payload.type} payload without its view`;
  return undefined;
}
