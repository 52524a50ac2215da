import { AwsLambdaReceiver, type Logger } from '@slack/bolt';
import { createLifeboatApp, type LifeboatAppOptions } from './app.ts';
import {
  answerReportVisit,
  type ReportRedirectOptions,
  readReportVisit,
} from './report-redirect.ts';
import { checkSlackRequest } from './slack-request.ts';

// Bolt's index exports the receiver but not its handler's types: they are read off the receiver.
/** The Lambda handler Bolt's AwsLambdaReceiver makes: API Gateway's event in, its response out. */
export type AwsHandler = ReturnType<AwsLambdaReceiver['toHandler']>;
export type AwsEvent = Parameters<AwsHandler>[0];
export type AwsResponse = Awaited<ReturnType<AwsHandler>>;

type IngressOptions = Omit<LifeboatAppOptions, 'receiver'> & {
  signingSecret: string;
  /** Where the receiver reports refused and unanswered requests. @default Bolt's console logger */
  logger?: Logger;
  /** Real time, ms. @default Date.now */
  now?: () => number;
  /** The signed report route (`GET /reports/...`); absent, such a request is treated as Slack's. */
  reports?: ReportRedirectOptions;
};

/**
 * The ingress as a Lambda handler. Each request's signature and age are checked on the raw body
 * first (401 whatever the body), then its shape (400 for a body Bolt could not read); only then
 * does Bolt's AwsLambdaReceiver, which parses before it verifies, see it.
 */
export function createIngressHandler(options: IngressOptions): AwsHandler {
  const { signingSecret, now = Date.now, reports, ...rest } = options;
  const { handler, logger } = createBoltHandler({ signingSecret, ...rest });
  return async (event, context) => {
    const visit = reports && readReportVisit(event);
    if (visit && reports) return answerReportVisit(visit, reports);
    const checked = checkSlackEvent(event, signingSecret, now());
    if (!checked.ok) {
      logger.warn(checked.message);
      return { statusCode: checked.statusCode, body: checked.message };
    }
    return handler(checked.event, context);
  };
}

/**
 * Bolt's handler alone, for a caller that checked the event itself (`checkSlackEvent`) and hands
 * on the event it answered: Bolt still verifies the signature, nothing else is done twice.
 */
export function createBoltHandler(options: IngressOptions): {
  handler: AwsHandler;
  logger: Logger;
} {
  const { signingSecret, logger, now: _now, reports: _reports, ...app } = options;
  const receiver = new AwsLambdaReceiver({ signingSecret, ...(logger ? { logger } : {}) });
  createLifeboatApp({ ...app, receiver });
  return { handler: receiver.toHandler(), logger: logger ?? receiver.logger };
}

/**
 * An API Gateway event checked as Slack's request, and handed on with its body decoded and its
 * content type bare (`; charset=utf-8` dropped): Bolt matches the media type exactly.
 */
export function checkSlackEvent(
  event: AwsEvent,
  signingSecret: string,
  nowMs: number,
): { ok: true; event: AwsEvent } | { ok: false; statusCode: 400 | 401; message: string } {
  const raw = event.body ?? '';
  const rawBody = event.isBase64Encoded ? Buffer.from(raw, 'base64') : raw;
  const headers = (event.headers ?? {}) as Record<string, string | undefined>;
  const checked = checkSlackRequest({ rawBody, headers }, signingSecret, Math.floor(nowMs / 1000));
  if (!checked.ok) return checked;
  const others = Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'content-type');
  return {
    ok: true,
    event: {
      ...event,
      body: checked.body,
      isBase64Encoded: false,
      headers: { ...Object.fromEntries(others), 'content-type': checked.contentType },
    } as AwsEvent,
  };
}
