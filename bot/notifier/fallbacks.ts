import type { KnownBlock } from '@slack/types';
import { WebAPIPlatformError } from '@slack/web-api';
import type { SlackMessage } from '../blocks/request-card.ts';
import { cutSlackText } from '../slack-text.ts';

/** Slack errors that say nothing about the message itself: the write is tried again as it was. */
const TRANSIENT_ERRORS = new Set([
  'ratelimited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
]);

/**
 * A shorter message's text: Slack takes 3,000 characters in a section (Block Kit reference),
 * and a notification shows far fewer.
 */
const FALLBACK_TEXT_MAX = 2900;

/** A refusal of the message itself, not a passing failure of Slack's. */
export function isRefusal(error: unknown): error is WebAPIPlatformError {
  return error instanceof WebAPIPlatformError && !TRANSIENT_ERRORS.has(error.data.error);
}

/**
 * Shorter forms of a message Slack refused: its text in one section with its buttons and the
 * people it mentions (they must still be able to answer a prompt), then its text alone.
 */
export function fallbacks(message: SlackMessage): SlackMessage[] {
  const mentions = new Set(
    JSON.stringify(message.blocks).match(/<(?:@[UW][A-Z0-9]+|!subteam\^[A-Z0-9]+)>/g) ?? [],
  );
  const who = cutSlackText([...mentions].join(' '), 500);
  const text = cutSlackText(
    `${message.text || 'Lifeboat could not show this message.'}${who ? `\n${who}` : ''}`,
    FALLBACK_TEXT_MAX,
  );
  const actions = message.blocks.filter((block): block is KnownBlock => block.type === 'actions');
  return [
    ...(message.blocks.length > 0
      ? [{ text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }, ...actions] }]
      : []),
    { text, blocks: [] },
  ] as SlackMessage[];
}
