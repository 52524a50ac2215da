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

/** Shortens text to `max` characters, ending in an ellipsis; Slack rejects over-long fields. */
export function truncateText(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
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

/** A user mention built from a Slack user id; anything that is not an id is escaped instead. */
export function mentionUser(userId: string): string {
  return /^[UW][A-Z0-9]{2,}$/.test(userId) ? `<@${userId}>` : escapeSlackText(userId);
}
