import { App, LogLevel, type Receiver } from '@slack/bolt';
import type { BotDeps } from './deps.ts';
import { registerListeners } from './listeners/index.ts';

export interface LifeboatAppOptions {
  receiver: Receiver;
  botToken: string;
  /** The one workspace Lifeboat answers. */
  teamId: string;
  /** The bot's ids: given, a cold start makes no `auth.test` call. */
  botId?: string;
  botUserId?: string;
  /** @default Slack's Web API */
  slackApiUrl?: string;
  deps: BotDeps;
}

/**
 * The Bolt app with Lifeboat's listeners. The Web API client retries little and times out
 * quickly: a listener must answer Slack within 3 seconds, and a hung call would hold it for
 * minutes.
 */
export function createLifeboatApp(options: LifeboatAppOptions): App {
  const app = new App({
    receiver: options.receiver,
    token: options.botToken,
    ...(options.botId ? { botId: options.botId } : {}),
    ...(options.botUserId ? { botUserId: options.botUserId } : {}),
    tokenVerificationEnabled: !(options.botId && options.botUserId),
    logLevel: LogLevel.WARN,
    // Bolt's conversation store keeps per-channel state in memory for listeners that use it;
    // Lifeboat's state is in its table, and every request would pay for the store's lookup.
    convoStore: false,
    clientOptions: {
      ...(options.slackApiUrl ? { slackApiUrl: options.slackApiUrl } : {}),
      retryConfig: { retries: 1, factor: 1, minTimeout: 200, maxTimeout: 500 },
      // A 429 must not sleep out its Retry-After inside a 3-second answer: it fails at once.
      rejectRateLimitedCalls: true,
      timeout: 2000,
    },
  });
  registerListeners(app, options.deps, options.teamId);
  return app;
}
