import type {
  AllMiddlewareArgs,
  SlackCommandMiddlewareArgs,
  SlackViewMiddlewareArgs,
  ViewSubmitAction,
} from '@slack/bolt';
import type { ButtonArgs } from '../../bot/listeners/actions/gate-run.ts';

export const TEAM = 'T0LIFEBOAT';

/** What a listener did with its argument bag, in order. */
export interface ListenerCalls {
  /** Each `ack`'s argument: undefined for a bare acknowledgement. */
  acks: unknown[];
  /** Each `respond`'s message (to the response URL). */
  responses: unknown[];
  /** Each `client.views.open`'s arguments. */
  opened: { trigger_id: string; view: { private_metadata?: string } }[];
  /** What the listener logged as a warning or an error. */
  warnings: string[];
}

/**
 * The argument bag Bolt hands every listener, as fakes that record what they were given. Only
 * what Lifeboat's listeners use is there (`ack`, `respond`, `client.views.open`, `logger`).
 */
function argumentBag() {
  const calls: ListenerCalls = { acks: [], responses: [], opened: [], warnings: [] };
  const quiet = () => {};
  const warn = (...parts: unknown[]) => {
    calls.warnings.push(parts.map(String).join(' '));
  };
  const bag = {
    ack: async (response?: unknown) => {
      calls.acks.push(response);
    },
    respond: async (message: unknown) => {
      calls.responses.push(message);
    },
    client: {
      views: {
        open: async (args: ListenerCalls['opened'][number]) => {
          calls.opened.push(args);
          return { ok: true };
        },
      },
    },
    logger: { debug: quiet, info: quiet, warn, error: warn },
    context: { teamId: TEAM },
    next: async () => {},
  };
  return { bag, calls };
}

/** The name Slack sends with a user's requests, as the sandbox's people have: `U02BOB` is `bob`. */
export function nameOf(userId: string): string {
  return userId.replace(/^U\d*/, '').toLowerCase() || userId;
}

/** `/dr <text>` typed by the user in the channel. */
export function commandArgs(
  text: string,
  who: { userId: string; channelId: string },
): { args: SlackCommandMiddlewareArgs & AllMiddlewareArgs; calls: ListenerCalls } {
  const { bag, calls } = argumentBag();
  const command = {
    command: '/dr',
    text,
    user_id: who.userId,
    user_name: nameOf(who.userId),
    channel_id: who.channelId,
    channel_name: who.channelId,
    team_id: TEAM,
    team_domain: 'lifeboat',
    api_app_id: 'A0LIFEBOAT',
    response_url: `https://hooks.slack.test/commands/${who.userId}`,
    trigger_id: `trigger-${who.userId}`,
    token: 'fake-verification-token',
  };
  const args = { ...bag, command, body: command, payload: command, say: async () => ({}) };
  return { args: args as unknown as SlackCommandMiddlewareArgs & AllMiddlewareArgs, calls };
}

/** A click on a message's button (its action id and value) by the user, in the channel. */
export function buttonArgs(
  actionId: string,
  value: string,
  who: { userId: string; channelId: string },
): { args: ButtonArgs; calls: ListenerCalls } {
  const { bag, calls } = argumentBag();
  const action = {
    type: 'button',
    action_id: actionId,
    block_id: 'actions',
    value,
    text: { type: 'plain_text', text: actionId },
    action_ts: '1767582300.000100',
  };
  const body = {
    type: 'block_actions',
    team: { id: TEAM, domain: 'lifeboat' },
    user: { id: who.userId, username: nameOf(who.userId), team_id: TEAM },
    channel: { id: who.channelId, name: who.channelId },
    trigger_id: `trigger-${who.userId}`,
    response_url: `https://hooks.slack.test/actions/${who.userId}`,
    actions: [action],
  };
  const args = { ...bag, action, body, payload: action, say: async () => ({}) };
  return { args: args as unknown as ButtonArgs, calls };
}

type ViewArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

/**
 * The sign-off modal submitted by the user: the gate id it was opened for, and what was typed
 * or chosen in each block (`contact`, `notes`, `decision`).
 */
export function viewArgs(
  privateMetadata: string,
  values: { contact?: string; notes?: string; decision?: 'approve' | 'reject' },
  who: { userId: string },
): { args: ViewArgs; calls: ListenerCalls } {
  const { bag, calls } = argumentBag();
  const state = {
    values: {
      ...(values.contact !== undefined
        ? { contact: { value: { type: 'plain_text_input', value: values.contact } } }
        : {}),
      ...(values.notes !== undefined
        ? { notes: { value: { type: 'plain_text_input', value: values.notes } } }
        : {}),
      ...(values.decision
        ? {
            decision: {
              value: { type: 'radio_buttons', selected_option: { value: values.decision } },
            },
          }
        : {}),
    },
  };
  const view = {
    id: 'V0SIGNOFF',
    type: 'modal',
    callback_id: 'sign_off',
    private_metadata: privateMetadata,
    state,
  };
  const body = {
    type: 'view_submission',
    team: { id: TEAM, domain: 'lifeboat' },
    user: { id: who.userId, name: nameOf(who.userId), team_id: TEAM },
    view,
  };
  const args = { ...bag, view, body, payload: view };
  return { args: args as unknown as ViewArgs, calls };
}
