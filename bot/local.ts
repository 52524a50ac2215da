import type { IncomingMessage, ServerResponse } from 'node:http';
import { type App, HTTPReceiver, SocketModeReceiver } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import { reportLinksByRegion } from '../orchestrator/adapters/s3-report-links.ts';
import { UnsupportedOperationError } from '../orchestrator/domain/errors.ts';
import { isIncidentId } from '../orchestrator/domain/incident.ts';
import type { RegionWideSettings } from '../orchestrator/domain/settings.ts';
import type { IncidentControl } from '../orchestrator/ports/incident.ts';
import type { RunControl } from '../orchestrator/ports/run-control.ts';
import { createGroupResolver } from './access.ts';
import { createLifeboatApp } from './app.ts';
import type { BotDeps } from './deps.ts';
import { createDisplayNameResolver } from './display-names.ts';
import { type AwsHandler, createIngressHandler } from './ingress.ts';
import { IncidentNotifier } from './notifier/incident-notifier.ts';
import type { NoticeStore } from './notifier/notice-store.ts';
import { Notifier } from './notifier/notifier.ts';
import { answerReadiness, responseUrlPoster } from './notifier/readiness-reply.ts';
import { lastingReportLinks } from './report-links.ts';
import {
  answerReportVisit,
  isReportVisit,
  REPORT_REDIRECT_SECONDS,
  type ReportRedirectOptions,
} from './report-redirect.ts';
import { checkSlackRequest } from './slack-request.ts';

const MAX_WAITING = 200;
/** Where Bolt's HTTP receiver takes Slack's requests (its default). */
const SLACK_EVENTS_PATH = '/slack/events';
/** Bolt's own limit on a request body. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** Slack's time, as the fake Slack's rate limits and the notifier's pacing read it. */
export interface SlackClock {
  now(): number;
  /** Resolves once `ms` of Slack's time have passed. */
  sleep(ms: number): Promise<void>;
}

export interface LocalBotOptions {
  runs: RunControl;
  /**
   * Region-wide incidents (the core's coordinator, with the incident state machine's starter).
   * @default none: region-wide commands say they are not wired here
   */
  incidents?: IncidentControl;
  /** Region-wide roles and channel (settings' `regionWide`). */
  regionWide?: RegionWideSettings;
  /** The DRS budget per recovery account the incident's request card shows. @default DRS's quotas */
  drsLimits?: { jobs: number; servers: number };
  /** Where the notifier keeps what it showed for each run. */
  notices: NoticeStore;
  signingSecret: string;
  botToken: string;
  teamId: string;
  botId?: string;
  botUserId?: string;
  /** The fake Slack's Web API; Slack's own when absent. */
  slackApiUrl?: string;
  admins?: string[];
  /** How often a followed run's journal is read. @default 250 ms */
  pollMs?: number;
  /** @default the notifier's */
  postEveryMs?: number;
  cardEveryMs?: number;
  onError?(error: Error): void;
  /**
   * Slack's time, when the fake Slack runs faster than real time (tests): the notifier paces
   * and coalesces by it. @default real time
   */
  slackClock?: SlackClock;
  /**
   * Reports in S3 linked through the bot's signed report route (`GET /reports/...`), as in AWS.
   * @default reports linked as they are stored (a local report folder's files)
   */
  reportLinks?: LocalReportLinks;
}

export interface LocalReportLinks {
  /** The link-signing key (32 characters or more). */
  key: string;
  /** Where this bot is reached, e.g. `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** Each region's report bucket. */
  buckets: Record<string, string>;
  /** @default 2557 (seven years, the deploy's) */
  retentionDays?: number;
}

/**
 * The bot on one machine: the same listeners and notifier as in AWS, with the notifier
 * following each run it starts by reading the journal (no queue), and readiness answered
 * in-process.
 */
export class LocalBot {
  readonly deps: BotDeps;
  readonly notifier: Notifier;
  readonly incidentNotifier: IncidentNotifier;
  private readonly followed = new Map<string, Promise<void>>();
  /** Readiness answers still being worked out in the background. */
  private readonly deferred = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly options: LocalBotOptions) {
    const client = new WebClient(options.botToken, {
      ...(options.slackApiUrl ? { slackApiUrl: options.slackApiUrl } : {}),
      retryConfig: { retries: 5 },
    });
    const links = options.reportLinks
      ? lastingReportLinks({
          baseUrl: options.reportLinks.baseUrl,
          secret: options.reportLinks.key,
          retentionDays: options.reportLinks.retentionDays ?? 2557,
        })
      : undefined;
    this.notifier = new Notifier({
      runs: options.runs,
      notices: options.notices,
      client,
      wallNow: options.slackClock?.now ?? Date.now,
      sleep:
        options.slackClock?.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
      ...(options.postEveryMs !== undefined ? { postEveryMs: options.postEveryMs } : {}),
      ...(options.cardEveryMs !== undefined ? { cardEveryMs: options.cardEveryMs } : {}),
      settle: 'later',
      ...(links ? { reportLinks: links } : {}),
    });
    const incidents = options.incidents ?? notWiredIncidents();
    // One writer for runs and incidents: the incident card shares the runs' Slack budget.
    this.incidentNotifier = new IncidentNotifier({
      incidents,
      journal: options.runs,
      notices: options.notices,
      writer: this.notifier.writer,
      wallNow: options.slackClock?.now ?? Date.now,
      ...(options.cardEveryMs !== undefined ? { cardEveryMs: options.cardEveryMs } : {}),
      ...(options.drsLimits ? { limits: options.drsLimits } : {}),
      ...(links ? { reportLinks: (incident, files) => links({ runbook: incident }, files) } : {}),
      // The incident's state machine starts its runs: their messages follow here too.
      onChildRun: (executionId) => this.follow(executionId),
    });
    // Readiness replies go to Slack's response_url hosts only (and the fake Slack's).
    const respond = responseUrlPoster(
      options.slackApiUrl ? { slackApiUrl: options.slackApiUrl } : {},
    );
    this.deps = {
      runs: options.runs,
      incidents,
      ...(options.regionWide ? { regionWide: options.regionWide } : {}),
      admins: options.admins ?? [],
      groupsOf: createGroupResolver(),
      displayNameOf: createDisplayNameResolver(),
      now: Date.now,
      defer: async (job) => {
        const answer = answerReadiness(options.runs, job, respond).catch((error: Error) =>
          options.onError?.(error),
        );
        this.deferred.add(answer);
        void answer.finally(() => this.deferred.delete(answer));
      },
      onRunStarted: (executionId) => this.follow(executionId),
      onIncidentStarted: (incidentId) => this.follow(incidentId),
    };
  }

  /** The ingress Lambda's handler, in-process (signed requests in, Slack's answers out). */
  ingress(): AwsHandler {
    const reports = this.reportRoute();
    return createIngressHandler({
      ...this.appOptions(),
      signingSecret: this.options.signingSecret,
      ...(reports ? { reports } : {}),
    });
  }

  /** The same app over HTTP (`/slack/events`) or Socket Mode, for a real Slack workspace. */
  app(transport: { mode: 'http'; port: number } | { mode: 'socket'; appToken: string }): App {
    const receiver =
      transport.mode === 'http'
        ? checkedFirst(
            new HTTPReceiver({ signingSecret: this.options.signingSecret, port: transport.port }),
            this.options.signingSecret,
            this.reportRoute(),
          )
        : new SocketModeReceiver({ appToken: transport.appToken });
    return createLifeboatApp({ ...this.appOptions(), receiver });
  }

  /**
   * Keeps the run's (or the incident's) messages up to date until it has ended and its report
   * is shown; an incident's runs are followed as it starts them.
   */
  follow(executionId: string): void {
    if (this.followed.has(executionId)) return;
    const sync = isIncidentId(executionId)
      ? async () => (await this.incidentNotifier.sync(executionId)).state
      : () => this.notifier.sync(executionId);
    const loop = async () => {
      // A run that never records its start (its state machine failed at once) is let go.
      for (let waiting = 0; !this.stopped && waiting < MAX_WAITING; ) {
        try {
          const state = await sync();
          if (state === 'done') return;
          waiting = state === 'waiting' ? waiting + 1 : 0;
        } catch (error) {
          this.options.onError?.(error as Error);
        }
        await new Promise((resolve) => setTimeout(resolve, this.options.pollMs ?? 250));
      }
    };
    this.followed.set(executionId, loop());
  }

  /** Resolves when the notifier has shown the run's end. */
  async shown(executionId: string): Promise<void> {
    await this.followed.get(executionId);
  }

  /**
   * Stops following runs and waits for what is still reading or writing (a follow loop's last
   * sync, a readiness answer), so that nothing calls AWS or Slack after they are closed.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.followed.values(), ...this.deferred]);
  }

  /** The report route's settings, when reports are linked through it. */
  private reportRoute(): ReportRedirectOptions | undefined {
    const links = this.options.reportLinks;
    if (!links) return undefined;
    const presignIn = reportLinksByRegion(REPORT_REDIRECT_SECONDS);
    return {
      secret: links.key,
      buckets: links.buckets,
      presign: (region, bucket, key) => presignIn(region).presign(bucket, key),
      nowSeconds: () => Math.floor(Date.now() / 1000),
    };
  }

  private appOptions() {
    const o = this.options;
    return {
      botToken: o.botToken,
      teamId: o.teamId,
      ...(o.botId ? { botId: o.botId } : {}),
      ...(o.botUserId ? { botUserId: o.botUserId } : {}),
      ...(o.slackApiUrl ? { slackApiUrl: o.slackApiUrl } : {}),
      deps: this.deps,
    };
  }
}

/** Region-wide incidents where none are wired: every request says so. */
function notWiredIncidents(): IncidentControl {
  const refuse = async (): Promise<never> => {
    throw new UnsupportedOperationError(
      'Region-wide incidents are not wired in this bot: start it with the incident coordinator (LocalBot `incidents`).',
    );
  };
  return {
    requestRegionFailover: refuse,
    getIncident: refuse,
    openIncident: refuse,
    listIncidents: refuse,
    answerIncident: refuse,
    abortIncident: refuse,
  };
}

/**
 * Bolt's HTTP receiver with the ingress Lambda's checks in front: signature and age on the raw
 * body (401), then the body's shape (400). Bolt's own listener reads a signed `payload=null`
 * as a body, throws outside any handler, and never answers.
 */
function checkedFirst(
  receiver: HTTPReceiver,
  signingSecret: string,
  reports: ReportRedirectOptions | undefined,
): HTTPReceiver {
  const bolt = receiver.requestListener;
  receiver.requestListener = (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (reports && isReportVisit(request.method, url.pathname))
      return void answerReportVisit(
        { method: request.method ?? 'GET', path: url.pathname, query: url.searchParams },
        reports,
      )
        .then((answer) => {
          response.writeHead(answer.statusCode, answer.headers);
          response.end(answer.body);
        })
        .catch((error: Error) => answerFailure(response, error));
    if (request.method !== 'POST' || request.url?.split('?')[0] !== SLACK_EVENTS_PATH)
      return bolt(request, response);
    void checkRequest(request, signingSecret)
      .then((refusal) => {
        if (!refusal) return bolt(request, response);
        response.writeHead(refusal.statusCode, { 'content-type': 'text/plain' });
        response.end(refusal.message);
      })
      .catch((error: Error) => answerFailure(response, error));
  };
  return receiver;
}

/** Reads the body for Bolt (which takes a read body as is) and checks it; a refusal, if any. */
async function checkRequest(
  request: IncomingMessage,
  signingSecret: string,
): Promise<{ statusCode: number; message: string } | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      return { statusCode: 413, message: `The body is over ${MAX_BODY_BYTES} bytes.` };
    chunks.push(chunk as Buffer);
  }
  const rawBody = Buffer.concat(chunks);
  Object.assign(request, { rawBody });
  const headers = request.headers as Record<string, string | undefined>;
  const checked = checkSlackRequest(
    { rawBody, headers },
    signingSecret,
    Math.floor(Date.now() / 1000),
  );
  if (!checked.ok) return checked;
  // Bolt matches the media type exactly: `; charset=utf-8` would make it parse the form as JSON.
  request.headers['content-type'] = checked.contentType;
  return undefined;
}

function answerFailure(response: ServerResponse, error: Error): void {
  if (response.headersSent) return void response.end();
  response.writeHead(500, { 'content-type': 'text/plain' });
  response.end(`The request could not be read: ${error.message}`);
}
