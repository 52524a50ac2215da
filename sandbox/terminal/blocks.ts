import { renderMrkdwn, renderPlainText, type TextStyle } from './mrkdwn.ts';
import { displayWidth, padEnd, wrapLines } from './text-width.ts';

/** A text object, element or block as Slack receives it: only the fields drawn here. */
interface TextObject {
  type?: string;
  text?: string;
  emoji?: boolean;
}

interface Element {
  type?: string;
  text?: TextObject | string;
  alt_text?: string;
  style?: string;
  placeholder?: TextObject;
  initial_value?: string;
  initial_option?: { value?: string };
  options?: { text?: TextObject; value?: string }[];
  multiline?: boolean;
  elements?: Element[];
}

interface Block {
  type?: string;
  text?: TextObject;
  fields?: TextObject[];
  accessory?: Element;
  elements?: Element[];
  label?: TextObject;
  element?: Element;
  optional?: boolean;
  alt_text?: string;
  title?: TextObject;
}

export interface BlockStyle extends TextStyle {
  /** Columns available. */
  width: number;
}

const DIVIDER_MAX = 48;

/** A button as the terminal shows it: `[ Approve ]`. */
export function frameButton(label: string): string {
  return `[ ${label} ]`;
}

/** A text object (mrkdwn or plain_text) as terminal text, possibly several lines. */
export function renderTextObject(text: TextObject | undefined, style: TextStyle): string {
  if (!text?.text) return '';
  return text.type === 'mrkdwn'
    ? renderMrkdwn(text.text, style)
    : renderPlainText(text.text, text.emoji !== false);
}

/**
 * A label on a line of its own (`*Status*\n🔄 Running`) joined to its one-line value
 * (`Status: 🔄 Running`), so that a card reads, and diffs, line by line.
 */
function joinLabel(text: TextObject | undefined): TextObject | undefined {
  if (text?.type !== 'mrkdwn' || !text.text) return text;
  const m = /^\*([^*\n]+)\*\n([^\n]+)$/.exec(text.text);
  return m ? { ...text, text: `*${m[1]}:* ${m[2]}` } : text;
}

/** Block Kit as lines of terminal text no wider than `style.width`. */
export function renderBlocks(blocks: readonly unknown[], style: BlockStyle): string[] {
  return blocks.flatMap((block) => renderBlock(block as Block, style));
}

function renderBlock(block: Block, style: BlockStyle): string[] {
  const { paint, width } = style;
  const lines = (text: string) => wrapLines(text.split('\n'), width);
  switch (block.type) {
    case 'header':
      return lines(paint.bold(renderTextObject(block.text, style)));
    case 'section': {
      const out: string[] = [];
      if (block.text) out.push(...lines(renderTextObject(joinLabel(block.text), style)));
      if (block.fields?.length) out.push(...renderFields(block.fields, style));
      if (block.accessory) out.push(...lines(renderElement(block.accessory, style)));
      return out;
    }
    case 'divider':
      return [paint.dim('─'.repeat(Math.min(width, DIVIDER_MAX)))];
    case 'context':
      return lines(
        paint.dim((block.elements ?? []).map((e) => renderElement(e, style)).join('  ')),
      );
    case 'actions':
      return lines((block.elements ?? []).map((e) => renderElement(e, style)).join('  '));
    case 'input':
      return renderInput(block, style);
    case 'image':
      return lines(paint.dim(`[image: ${block.alt_text ?? renderTextObject(block.title, style)}]`));
    case 'rich_text':
      return lines(richText(block.elements ?? []));
    default:
      return [paint.dim(`[${block.type ?? 'unknown'} block]`)];
  }
}

/** Fields two to a row, as Slack lays them out; a row whose fields do not fit, one to a line. */
function renderFields(fields: readonly TextObject[], style: BlockStyle): string[] {
  const rendered = fields.map((f) => renderTextObject(joinLabel(f), style).split('\n'));
  const column = Math.floor((style.width - 2) / 2);
  const out: string[] = [];
  for (let i = 0; i < rendered.length; i += 2) {
    const left = rendered[i] ?? [];
    const right = rendered[i + 1];
    const fits = [...left, ...(right ?? [])].every((line) => displayWidth(line) <= column);
    if (!right || !fits) {
      out.push(...wrapLines([...left, ...(right ?? [])], style.width));
      continue;
    }
    for (let row = 0; row < Math.max(left.length, right.length); row++) {
      const l = left[row] ?? '';
      const r = right[row];
      out.push(r === undefined ? l : `${padEnd(l, column)}  ${r}`);
    }
  }
  return out;
}

function renderElement(element: Element, style: TextStyle): string {
  const { paint } = style;
  const label = (text: Element['text']) =>
    typeof text === 'string' ? text : renderTextObject(text, style);
  switch (element.type) {
    case 'button':
      return paint.button(frameButton(label(element.text)), element.style);
    case 'mrkdwn':
    case 'plain_text':
      return renderTextObject(element as TextObject, style);
    case 'image':
      return paint.dim(`[image: ${element.alt_text ?? ''}]`);
    case 'static_select':
    case 'external_select':
    case 'users_select':
    case 'conversations_select':
    case 'channels_select':
    case 'overflow':
      return paint.button(
        frameButton(`${renderTextObject(element.placeholder, style) || '…'} ▾`),
        undefined,
      );
    case 'datepicker':
    case 'timepicker':
      return paint.button(frameButton(`${element.initial_value ?? element.type} ▾`), undefined);
    default:
      return paint.dim(`[${element.type ?? 'element'}]`);
  }
}

/** A modal's input: its label, then a field to fill in or the options to choose from. */
function renderInput(block: Block, style: BlockStyle): string[] {
  const { paint } = style;
  const label = `${paint.bold(renderTextObject(block.label, style))}${block.optional ? paint.dim(' (optional)') : ''}`;
  const element = block.element ?? {};
  if (element.type === 'radio_buttons' || element.type === 'checkboxes') {
    const chosen = element.initial_option?.value;
    const options = (element.options ?? []).map((o) => {
      const on = o.value === chosen;
      const mark = element.type === 'radio_buttons' ? (on ? '(•)' : '( )') : on ? '[x]' : '[ ]';
      return `  ${mark} ${renderTextObject(o.text, style)}`;
    });
    return wrapLines([label, ...options], style.width);
  }
  const hint = renderTextObject(element.placeholder, style);
  const box = `  ${paint.dim(`▏${padEnd(hint, element.multiline ? 40 : 30)}▕`)}`;
  return wrapLines([label, box], style.width);
}

function richText(elements: readonly Element[]): string {
  return elements
    .map((e) =>
      e.elements
        ? richText(e.elements)
        : typeof e.text === 'string'
          ? e.text
          : (e.text?.text ?? ''),
    )
    .join('');
}

/** A modal as the person who opened it sees it: title, blocks, and its submit and close buttons. */
export function renderModal(view: Record<string, unknown>, style: BlockStyle): string[] {
  const { paint } = style;
  const title = renderTextObject(view.title as TextObject, style);
  const submit = renderTextObject(view.submit as TextObject | undefined, style);
  const close = renderTextObject(view.close as TextObject | undefined, style) || 'Close';
  const buttons = [
    paint.button(frameButton(close)),
    ...(submit ? [paint.button(frameButton(submit), 'primary')] : []),
  ];
  return [
    paint.bold(title),
    ...renderBlocks((view.blocks as unknown[] | undefined) ?? [], style),
    buttons.join('  '),
  ];
}
