import { escapeSlackText } from './slack-text.ts';

/**
 * Escapes text for Slack but keeps user mentions (`<@U…>`) as mentions: the domain's refusals
 * name people that way ("<@U02BOB> already answered"), and escaped they would show as markup.
 */
export function escapeKeepingMentions(text: string): string {
  return text
    .split(/(<@[UW][A-Z0-9]{2,}>)/)
    .map((part, i) => (i % 2 === 1 ? part : escapeSlackText(part)))
    .join('');
}
