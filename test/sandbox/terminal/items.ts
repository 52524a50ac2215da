import type { TranscriptItem } from '../../../sandbox/terminal/transcript.ts';

export const CHANNEL = 'C0BCBSAZDR';

/** A message the bot posted in bcbsaz's channel, a thread reply when `threadTs` is given. */
export function botMessage(id: string, text: string, threadTs?: string): TranscriptItem {
  return {
    kind: 'message',
    id,
    channel: CHANNEL,
    ...(threadTs ? { threadTs } : {}),
    author: 'U0LIFEBOAT',
    at: 0,
    text,
    edits: 0,
    broadcast: false,
  };
}
