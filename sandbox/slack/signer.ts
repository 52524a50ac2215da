import { createHmac } from 'node:crypto';

/**
 * Signs a request the way Slack signs what it sends to an app: `v0=` + HMAC-SHA256 (hex) of
 * `v0:{timestamp}:{raw body}` keyed with the app's signing secret, sent as `x-slack-signature`
 * next to `x-slack-request-timestamp` (Unix seconds).
 */
export interface SignSlackRequestOptions {
  signingSecret: string;
  /** The raw body exactly as it will be sent. */
  body: string;
  /** Unix seconds. @default now */
  timestamp?: number;
  /** @default 'application/x-www-form-urlencoded' (slash commands and interactions) */
  contentType?: string;
}

export interface SlackRequestHeaders {
  'content-type': string;
  'x-slack-request-timestamp': string;
  'x-slack-signature': string;
}

export function signSlackRequest(options: SignSlackRequestOptions): SlackRequestHeaders {
  if (!options.signingSecret)
    throw new Error('signingSecret is empty: pass the app signing secret');
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  if (!Number.isInteger(timestamp) || timestamp < 0) {
    throw new RangeError(`timestamp must be whole Unix seconds, not ${options.timestamp}`);
  }
  const hash = createHmac('sha256', options.signingSecret)
    .update(`v0:${timestamp}:${options.body}`)
    .digest('hex');
  return {
    'content-type': options.contentType ?? 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': `v0=${hash}`,
  };
}

export interface SlashCommandBodyOptions {
  /** With the slash, e.g. `/dr`. */
  command: string;
  text: string;
  userId: string;
  channelId: string;
  teamId: string;
  responseUrl: string;
  triggerId: string;
  /** @default the user id */
  userName?: string;
  /** @default the channel id */
  channelName?: string;
  /** @default 'lifeboat' */
  teamDomain?: string;
  /** @default 'A0LIFEBOAT' */
  apiAppId?: string;
}

/** The form-encoded body Slack posts to the app's request URL for a slash command. */
export function slashCommandBody(options: SlashCommandBodyOptions): string {
  return new URLSearchParams({
    // Slack still sends the deprecated verification token; Bolt ignores it in favour of signatures.
    token: 'fake-verification-token',
    team_id: options.teamId,
    team_domain: options.teamDomain ?? 'lifeboat',
    channel_id: options.channelId,
    channel_name: options.channelName ?? options.channelId,
    user_id: options.userId,
    user_name: options.userName ?? options.userId,
    command: options.command,
    text: options.text,
    api_app_id: options.apiAppId ?? 'A0LIFEBOAT',
    is_enterprise_install: 'false',
    response_url: options.responseUrl,
    trigger_id: options.triggerId,
  }).toString();
}

/** The form-encoded body Slack posts for an interaction (block action, view submission...). */
export function interactionBody(payload: unknown): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** An API Gateway (HTTP API, payload 2.0) event carrying a request to the ingress Lambda. */
export function apiGatewayEvent(body: string, headers: Record<string, string>) {
  return {
    version: '2.0',
    routeKey: 'POST /slack/events',
    rawPath: '/slack/events',
    rawQueryString: '',
    headers,
    body,
    isBase64Encoded: false,
    requestContext: { http: { method: 'POST', path: '/slack/events' } },
  };
}
