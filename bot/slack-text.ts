/**
 * Text that goes into Slack messages. Slack reads `<…>` as links and mentions (`<!channel>`
 * pings everyone), so anything a person typed, or any name from a plan, passes through
 * `escapeSlackText` before it reaches a message.
 */

/**
 * Escapes `&`, `<` and `>` as Slack requires. Entities Slack already escaped in the incoming
 * text (`&lt;`) are left alone, so text is never escaped twice and shown as `&amp;lt;`.
 */
export function escapeSlackText(text: string): string {
  return text
    .replace(/&(?!(?:amp|lt|gt);)/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/**
 * A date Slack shows in each reader's time zone: `<!date^{unix}^{date_short_pretty} {time}|{fallback}>`.
 * The fallback (UTC) is what clients that cannot format dates, and notifications, show.
 */
export function formatSlackDate(epochMs: number): string {
  const unix = Math.floor(epochMs / 1000);
  const fallback = `${new Date(epochMs).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return `<!date^${unix}^{date_short_pretty} {time}|${fallback}>`;
}

const USER_ID = '[UW][A-Z0-9]{2,}';

/** A user mention built from a Slack user id; anything that is not an id is escaped instead. */
export function mentionUser(userId: string): string {
  return new RegExp(`^${USER_ID}$`).test(userId) ? `<@${userId}>` : escapeSlackText(userId);
}

/**
 * A person as the evidence names them, as the report does: the name they acted under beside
 * their id (`Bob Builder (U02BOB)`; a mention there would show the name twice), the mention
 * alone when no name is known.
 */
export function namePerson(userId: string, name: string | undefined): string {
  return name && name !== userId
    ? `${escapeAndCut(name, 80)} (${escapeSlackText(userId)})`
    : mentionUser(userId);
}

/**
 * Escapes text for Slack but keeps user mentions (`<@U…>`) as mentions: the domain's refusals
 * name people that way ("<@U02BOB> already answered"), and escaped they would show as markup.
 */
export function escapeKeepingMentions(text: string): string {
  return text
    .split(new RegExp(`(<@${USER_ID}>)`))
    .map((part, i) => (i % 2 === 1 ? part : escapeSlackText(part)))
    .join('');
}

/**
 * Cuts Slack text to at most `max` characters, ending in `ending`, where the cut leaves no escape
 * entity (`&amp;`), no `<…>` token (a mention, a link, a date) and no surrogate pair in half.
 * Cut text after escaping it (`escapeAndCut`): escaping lengthens it, up to five times.
 */
export function cutSlackText(text: string, max: number, ending = '…'): string {
  if (text.length <= max) return text;
  return `${text.slice(0, safeCut(text, Math.max(0, max - ending.length)))}${ending}`;
}

/** Escapes text, then cuts it to `max` characters: what every person's or plan's text gets. */
export function escapeAndCut(text: string, max: number, ending?: string): string {
  return cutSlackText(escapeSlackText(text), max, ending);
}

/**
 * Text for a `plain_text` object (headers, buttons, titles): Slack shows it as it is, so it is
 * not escaped (`A&B` would show as `A&amp;B`), only cut, never through a surrogate pair.
 */
export function cutPlainText(text: string, max: number, ending = '…'): string {
  if (text.length <= max) return text;
  let cut = Math.max(0, max - ending.length);
  const code = text.charCodeAt(cut - 1);
  if (cut > 0 && code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return `${text.slice(0, cut)}${ending}`;
}

/**
 * Splits Slack text into parts of at most `max` characters, at a line break or a space when one
 * is in the part's second half, never inside an entity or a `<…>` token.
 */
export function splitSlackText(text: string, max: number): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > max) {
    let end = safeCut(rest, max);
    const line = rest.lastIndexOf('\n', end);
    const space = rest.lastIndexOf(' ', end);
    const boundary = line > max / 2 ? line : space > max / 2 ? space : -1;
    if (boundary > 0 && boundary <= end) end = safeCut(rest, boundary);
    // A single token longer than a part (a 3,000-character link) is cut through, not looped on.
    if (end === 0) end = max;
    parts.push(rest.slice(0, end));
    rest = rest.slice(end).replace(/^[ \n]/, '');
  }
  if (rest.length > 0 || parts.length === 0) parts.push(rest);
  return parts;
}

/** The index at or before `end` that splits no entity, `<…>` token or surrogate pair. */
function safeCut(text: string, end: number): number {
  let cut = Math.min(end, text.length);
  const open = text.lastIndexOf('<', cut - 1);
  if (open >= 0 && text.lastIndexOf('>', cut - 1) < open && text.indexOf('>', open) >= cut)
    cut = open;
  const amp = text.lastIndexOf('&', cut - 1);
  if (amp >= 0 && cut - amp < 5) {
    const entity = /^&(?:amp|lt|gt);/.exec(text.slice(amp))?.[0];
    if (entity && amp + entity.length > cut) cut = amp;
  }
  const code = text.charCodeAt(cut - 1);
  if (cut > 0 && code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return cut;
}
