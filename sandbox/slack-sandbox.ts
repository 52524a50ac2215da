import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { App } from '@slack/bolt';
import type { AwsHandler, AwsResponse } from '../bot/ingress.ts';
import { LocalBot, type SlackClock } from '../bot/local.ts';
import { FilePlanSource, readSettingsFile } from '../orchestrator/adapters/config-files.ts';
import { budgetLimits } from '../orchestrator/domain/admission.ts';
import type { RunControl } from '../orchestrator/ports/run-control.ts';
import { LocalAws } from './aws/local-aws.ts';
import { LocalOrchestrator } from './orchestrator.ts';
import { FakeSlack, type FakeSlackUser } from './slack/fake-slack.ts';
import { readManifestScopes } from './slack/manifest-scopes.ts';
import {
  apiGatewayEvent,
  interactionBody,
  signSlackRequest,
  slashCommandBody,
} from './slack/signer.ts';

export const SANDBOX_TEAM = 'T0LIFEBOAT';
export const SANDBOX_SIGNING_SECRET = 'lifeboat-local-signing-secret';
const BOT_TOKEN = 'xoxb-lifeboat-local';

/**
 * The people of the sample plans, and the user groups they are in. Most have set a display name
 * (what Slack shows and the evidence records); mallory and sam have not: their real name is used.
 */
export const SANDBOX_USERS: Record<string, FakeSlackUser> = {
  U01ALICE: {
    name: 'alice',
    realName: 'Alice (HRP operations)',
    displayName: 'Alice Archer',
    groups: ['S0HRPOPS'],
  },
  U02BOB: {
    name: 'bob',
    realName: 'Bob (DR lead)',
    displayName: 'Bob Builder',
    groups: ['S0HRPDRLEADS'],
  },
  U03CAROL: {
    name: 'carol',
    realName: 'Carol (BCBSAZ account manager)',
    displayName: 'Carol Chen',
  },
  U04DAVE: { name: 'dave', realName: 'Dave (DMNT contact)', displayName: 'Dave Diaz' },
  U05ERIN: {
    name: 'erin',
    realName: 'Erin (GC operations)',
    displayName: 'Erin Evans',
    groups: ['S0GCOPS'],
  },
  U06FRANK: {
    name: 'frank',
    realName: 'Frank (GC DR lead)',
    displayName: 'Frank Fischer',
    groups: ['S0GCDRLEADS'],
  },
  U07GRACE: {
    name: 'grace',
    realName: 'Grace (GC DR lead)',
    displayName: 'Grace Garcia',
    groups: ['S0GCDRLEADS'],
  },
  U08HEIDI: { name: 'heidi', realName: 'Heidi (GC customer contact)', displayName: 'Heidi Hall' },
  U09MALLORY: { name: 'mallory', realName: 'Mallory (no role)' },
  U10SUPPORT: { name: 'sam', realName: 'Sam (HRP support)', groups: ['S0HRPSUPPORT'] },
};

/** The user groups' handles, as Slack shows a `<!subteam^…>` mention. */
export const SANDBOX_GROUPS: Record<string, string> = {
  S0HRPOPS: 'hrp-ops',
  S0HRPDRLEADS: 'hrp-dr-leads',
  S0HRPSUPPORT: 'hrp-support',
  S0GCOPS: 'gc-ops',
  S0GCDRLEADS: 'gc-dr-leads',
  S0DRADMINS: 'dr-admins',
};

/** A real Slack workspace for the bot, instead of the fake Slack (`lifeboat sandbox --slack`). */
export interface SlackWorkspace {
  botToken: string;
  signingSecret: string;
  /** The workspace's id (`auth.test`'s `team_id`): the bot answers no other. */
  teamId: string;
  botId?: string;
  botUserId?: string;
}

export interface SlackSandboxOptions {
  plansDir: string;
  /** The runbook defaults (`config/defaults.yaml` as shipped). */
  settingsFile: string;
  /** Virtual seconds per real second; 0 (the default) runs stepped: a drill's hours cost seconds. */
  speed?: number;
  faults?: string[];
  reportDir?: string;
  /** Start the local AWS's DNS server on this port (0: any free one). @default none */
  dnsPort?: number;
  /** @default 1.1 s between two messages in a channel, as Slack asks */
  postEveryMs?: number;
  /**
   * How much faster than real time Slack's clock (its rate limits, the notifier's pacing) runs;
   * `simulated`: Slack's clock is the local AWS's, so a run of hours meets Slack's limits over
   * those hours (real time is added, so people waiting on a clock held still see time pass).
   * @default 1
   */
  slackSpeed?: number | 'simulated';
  onEvent?(line: string): void;
  /**
   * The bot posts to this workspace through Slack's own Web API; the fake Slack still starts,
   * unused. @default the fake Slack
   */
  workspace?: SlackWorkspace;
}

/** Slack's clock: real time sped up, or the simulated time plus the real time that passed. */
function slackClockOf(speed: number | 'simulated', aws: LocalAws): SlackClock {
  const origin = Date.now();
  const now =
    speed === 'simulated'
      ? () => aws.clock.now() + (Date.now() - origin)
      : () => origin + (Date.now() - origin) * speed;
  return {
    now,
    async sleep(ms) {
      const until = now() + ms;
      for (let left = ms; left > 0; left = until - now())
        await sleep(speed === 'simulated' ? Math.min(left, 20) : left / speed);
    },
  };
}

/**
 * Lifeboat on one machine, as Slack sees it: the local AWS, the state machine run locally, the
 * bot's real ingress handler behind signed requests, its notifier, and the fake Slack.
 */
export class SlackSandbox {
  private constructor(
    /** What went wrong in the bot's background work (the notifier, readiness). */
    readonly errors: Error[],
    readonly aws: LocalAws,
    readonly orchestrator: LocalOrchestrator,
    readonly slack: FakeSlack,
    readonly bot: LocalBot,
    readonly runs: RunControl,
    readonly reportDir: string,
    private readonly handler: AwsHandler,
  ) {}

  private readonly apps: App[] = [];

  static async start(options: SlackSandboxOptions): Promise<SlackSandbox> {
    const plans = await new FilePlanSource(options.plansDir).loadAll();
    const aws = new LocalAws({
      plans,
      speed: options.speed ?? 0,
      seed: 1,
      faults: options.faults ?? [],
      ...(options.dnsPort !== undefined ? { dnsPort: options.dnsPort } : {}),
    });
    await aws.start();
    const reportDir = options.reportDir ?? (await mkdtemp(join(tmpdir(), 'lifeboat-reports-')));
    const orchestrator = new LocalOrchestrator({
      aws,
      settingsFile: options.settingsFile,
      plansDir: options.plansDir,
      reportDir,
      time: (options.speed ?? 0) > 0 ? 'paced' : 'stepped',
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    });
    await orchestrator.configure();
    const runs = await orchestrator.wiring.runControl({
      executions: orchestrator,
      tokens: orchestrator,
    });
    const incidents = await orchestrator.wiring.incidents({
      starter: orchestrator,
      tokens: orchestrator,
    });
    const settings = await readSettingsFile(options.settingsFile);
    // Slack's limits hold in Slack's time; tests may run it faster, with the notifier on the same clock.
    const slackClock = slackClockOf(options.slackSpeed ?? 1, aws);
    const slack = await new FakeSlack({
      users: SANDBOX_USERS,
      teamId: SANDBOX_TEAM,
      now: slackClock.now,
      // The bot has the scopes its manifest asks for, and no others, as when installed.
      scopes: await readManifestScopes(),
    }).start();
    const errors: Error[] = [];
    const { workspace } = options;
    const bot = new LocalBot({
      runs,
      incidents,
      ...(settings.regionWide ? { regionWide: settings.regionWide } : {}),
      drsLimits: budgetLimits(settings),
      notices: orchestrator.wiring.notices,
      ...(workspace
        ? {
            signingSecret: workspace.signingSecret,
            botToken: workspace.botToken,
            teamId: workspace.teamId,
            ...(workspace.botId ? { botId: workspace.botId } : {}),
            ...(workspace.botUserId ? { botUserId: workspace.botUserId } : {}),
          }
        : {
            signingSecret: SANDBOX_SIGNING_SECRET,
            botToken: BOT_TOKEN,
            teamId: SANDBOX_TEAM,
            botId: 'B0LIFEBOAT',
            botUserId: 'U0LIFEBOAT',
            slackApiUrl: slack.apiUrl,
          }),
      ...(options.postEveryMs !== undefined ? { postEveryMs: options.postEveryMs } : {}),
      slackClock,
      onError: (error) => errors.push(error),
    });
    return new SlackSandbox(errors, aws, orchestrator, slack, bot, runs, reportDir, bot.ingress());
  }

  /** Types `/dr <text>` as the user in the channel; returns the HTTP answer and its JSON body. */
  async command(
    userId: string,
    channelId: string,
    text: string,
    sign: { secret?: string; timestamp?: number } = {},
  ): Promise<{ statusCode: number; body: { text?: string; blocks?: unknown[] } }> {
    const body = slashCommandBody({
      command: '/dr',
      text,
      userId,
      ...nameOf(userId),
      channelId,
      teamId: SANDBOX_TEAM,
      responseUrl: this.slack.responseUrl(`cmd-${userId}-${Date.now()}`),
      triggerId: this.slack.triggerId(),
    });
    return this.send(body, sign);
  }

  /** Clicks a button of a message the bot posted, as the user. */
  async click(
    userId: string,
    message: { channel: string; ts: string },
    actionId: string,
    value: string,
  ): Promise<{ statusCode: number; body: { text?: string } }> {
    const body = interactionBody({
      type: 'block_actions',
      ...this.interactor(userId),
      response_url: this.slack.responseUrl(`click-${userId}-${message.ts}-${actionId}`),
      channel: { id: message.channel, name: message.channel },
      container: { type: 'message', message_ts: message.ts, channel_id: message.channel },
      message: { ts: message.ts, type: 'message' },
      actions: [
        {
          type: 'button',
          action_id: actionId,
          block_id: 'actions',
          value,
          text: { type: 'plain_text', text: actionId },
          action_ts: String(Date.now() / 1000),
        },
      ],
    });
    return this.send(body);
  }

  /** Who interacts, in the fields every interaction payload carries, with a fresh trigger id. */
  private interactor(userId: string) {
    return {
      team: { id: SANDBOX_TEAM, domain: 'lifeboat' },
      // Slack sends the user's name with every interaction: `username`, and `name`, its older form.
      user: {
        id: userId,
        username: SANDBOX_USERS[userId]?.name ?? userId,
        name: SANDBOX_USERS[userId]?.name ?? userId,
        team_id: SANDBOX_TEAM,
      },
      api_app_id: 'A0LIFEBOAT',
      token: 'fake-verification-token',
      trigger_id: this.slack.triggerId(),
    };
  }

  /** Submits a modal the bot opened, with the values per block (`{ contact: "…" }`). */
  async submitView(
    userId: string,
    viewId: string,
    values: Record<string, string>,
  ): Promise<{
    statusCode: number;
    body: { response_action?: string; errors?: Record<string, string> };
  }> {
    const stored = this.slack.views.get(viewId);
    if (!stored) throw new Error(`No view ${viewId} is open`);
    const state = Object.fromEntries(
      Object.entries(values).map(([block, value]) => [
        block,
        {
          value:
            block === 'decision'
              ? { type: 'radio_buttons', selected_option: { value } }
              : { type: 'plain_text_input', value },
        },
      ]),
    );
    const body = interactionBody({
      type: 'view_submission',
      ...this.interactor(userId),
      view: { ...stored.view, id: viewId, hash: stored.hash, state: { values: state } },
    });
    return this.send(body);
  }

  /**
   * Sends a raw body, signed (or signed wrongly, or stale, or not at all) like Slack signs it,
   * with Slack's content type unless another is given.
   */
  async send(
    body: string,
    sign: { secret?: string; timestamp?: number; unsigned?: boolean; contentType?: string } = {},
  ): Promise<{ statusCode: number; body: Record<string, never> }> {
    const signed = signSlackRequest({
      signingSecret: sign.secret ?? SANDBOX_SIGNING_SECRET,
      body,
      ...(sign.timestamp !== undefined ? { timestamp: sign.timestamp } : {}),
      ...(sign.contentType !== undefined ? { contentType: sign.contentType } : {}),
    });
    const headers: Record<string, string> = sign.unsigned
      ? { 'content-type': signed['content-type'] }
      : { ...signed };
    const result: AwsResponse = await this.handler(apiGatewayEvent(body, headers) as never, {});
    let parsed: Record<string, never> = {};
    try {
      parsed = result.body ? JSON.parse(result.body) : {};
    } catch {
      parsed = { text: result.body } as never;
    }
    return { statusCode: result.statusCode, body: parsed };
  }

  /**
   * Answers a real workspace over Socket Mode (with `workspace` given at start): Slack sends
   * commands and clicks over a WebSocket the app opens, so nothing needs a public address.
   */
  async connect(appToken: string): Promise<App> {
    const app = this.bot.app({ mode: 'socket', appToken });
    await app.start();
    this.apps.push(app);
    return app;
  }

  async stop(): Promise<void> {
    await Promise.all(this.apps.splice(0).map((app) => app.stop()));
    await this.bot.stop();
    await this.slack.close();
    await this.aws.stop();
  }
}

/** A sandbox user's name, as Slack sends it with a slash command (`user_name`). */
function nameOf(userId: string): { userName?: string } {
  const name = SANDBOX_USERS[userId]?.name;
  return name ? { userName: name } : {};
}
