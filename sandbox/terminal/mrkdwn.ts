import { replaceEmoji } from './emoji.ts';
import type { Paint } from './paint.ts';

/** Display names for Slack ids: what `<@U…>`, `<!subteam^S…>` and `<#C…>` show. */
export interface SlackNames {
  users: Readonly<Record<string, string>>;
  groups?: Readonly<Record<string, string>>;
  channels?: Readonly<Record<string, string>>;
}

export interface TextStyle {
  paint: Paint;
  names: SlackNames;
}

/** Slack's three entities; `&amp;` last so `&amp;lt;` stays `&lt;`. */
export function unescapeSlack(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Marks that stand for code and `<…>` references while the text around them is formatted. */
const HOLE = '\uE000';
const HOLES = /\uE000(\d+)\uE000/g;

/**
 * Slack mrkdwn as terminal text: `*bold*`, `_italic_`, `~strike~`, `` `code` `` and code blocks,
 * `<@U…>` mentions by name, `<!subteam^…>`, `<#C…>`, `<!here>`, `<!date^…|fallback>` as its
 * fallback, links as their label and address, the entities unescaped and `:emoji:` drawn.
 */
export function renderMrkdwn(text: string, style: TextStyle): string {
  const { paint } = style;
  // Code first: nothing inside it is formatting, and formatting may span it (`*run `x`*`).
  const holes: string[] = [];
  const hole = (shown: string) => {
    holes.push(shown);
    return `${HOLE}${holes.length - 1}${HOLE}`;
  };
  let formatted = text.replace(
    /```([\s\S]*?)```|`([^`\n]+)`/g,
    (_all, block?: string, inline?: string) =>
      block !== undefined
        ? hole(
            unescapeSlack(block)
              .replace(/^\n|\n$/g, '')
              .split('\n')
              .map((line) => paint.code(line))
              .join('\n'),
          )
        : hole(paint.code(unescapeSlack(inline ?? ''))),
  );
  formatted = formatted.replace(/<([^<>\n]+)>/g, (_all, inner: string) =>
    hole(renderReference(inner, style)),
  );
  formatted = replaceEmoji(unescapeSlack(formatted));
  formatted = span(formatted, '*', paint.bold);
  formatted = span(formatted, '_', paint.italic);
  formatted = span(formatted, '~', paint.strike);
  return formatted.replace(HOLES, (_all, index: string) => holes[Number(index)] ?? '');
}

/** A `plain_text` object: no formatting, but emoji shortcodes and entities as Slack shows them. */
export function renderPlainText(text: string, emoji = true): string {
  const plain = unescapeSlack(text);
  return emoji ? replaceEmoji(plain) : plain;
}

/** A pair of marks around text that starts and ends with a non-space, not inside a word. */
function span(text: string, mark: string, paint: (s: string) => string): string {
  // In a `u` pattern only `*` may be escaped; `_` and `~` are written as they are.
  const m = mark === '*' ? '\\*' : mark;
  const pattern = new RegExp(
    `(^|[^\\p{L}\\p{N}${m}])${m}(?=\\S)([^${m}\\n]*?\\S)${m}(?![\\p{L}\\p{N}])`,
    'gu',
  );
  return text.replace(pattern, (_whole, before: string, inner: string) => before + paint(inner));
}

function renderReference(inner: string, style: TextStyle): string {
  const { paint, names } = style;
  const bar = inner.indexOf('|');
  const target = bar >= 0 ? inner.slice(0, bar) : inner;
  const label = bar >= 0 ? unescapeSlack(inner.slice(bar + 1)) : undefined;
  if (target.startsWith('@')) {
    const id = target.slice(1);
    return paint.mention(`@${names.users[id] ?? label ?? id}`);
  }
  if (target.startsWith('#')) {
    const id = target.slice(1);
    return paint.mention(`#${label ?? names.channels?.[id] ?? id}`);
  }
  if (target.startsWith('!subteam^')) {
    const id = target.slice('!subteam^'.length);
    const handle = label ?? `@${names.groups?.[id] ?? id}`;
    return paint.mention(handle.startsWith('@') ? handle : `@${handle}`);
  }
  if (target.startsWith('!date^')) return label ?? target;
  if (target.startsWith('!')) return paint.mention(`@${label ?? target.slice(1)}`);
  if (/^mailto:/.test(target)) return paint.mention(label ?? target.slice('mailto:'.length));
  const url = unescapeSlack(target);
  return label && label !== url
    ? `${paint.mention(label)} ${paint.dim(`(${url})`)}`
    : paint.mention(url);
}
