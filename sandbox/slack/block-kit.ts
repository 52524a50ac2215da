/**
 * Block Kit as Slack enforces it, for the fake Slack: what real Slack refuses in a message or a
 * modal, answered with Slack's own error and a `response_metadata.messages` line per fault in
 * Slack's form (`[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]`).
 *
 * The limits are those of Slack's Block Kit reference (docs.slack.dev/reference/block-kit) as
 * `@slack/types` documents them on each field (node_modules/@slack/types/dist/block-kit/*.d.ts),
 * and of the method pages: chat.postMessage (40,000 characters of `text`, 50 blocks) and the
 * modal view object (docs.slack.dev/reference/views/modal-views: title 24, 100 blocks).
 */

/** blocks per message: chat.postMessage, "up to 50 blocks in each message". */
export const MESSAGE_MAX_BLOCKS = 50;
/** blocks per modal: the modal view object, "Max of 100 blocks". */
export const MODAL_MAX_BLOCKS = 100;
/** chat.postMessage `text`: longer is answered `msg_too_long`. */
export const MESSAGE_TEXT_MAX = 40_000;
/**
 * All the text of a message's blocks together. Slack documents no such total, yet answers
 * `msg_blocks_too_long` past about 13,000 characters (slackapi/bolt-js#2509: 13,297 with markdown
 * blocks alone, fewer with a divider); the fake refuses past 12,000, on the safe side.
 */
export const MESSAGE_BLOCKS_TEXT_MAX = 12_000;

/** Per field, from @slack/types' descriptions of Slack's reference. */
const LIMIT = {
  /** section `text`: "maximum length is 3000 characters" (blocks.d.ts, SectionBlock). */
  sectionText: 3000,
  /** section `fields`: "Maximum number of items is 10 … 2000 characters" each. */
  fields: 10,
  fieldText: 2000,
  /** header `text`: "Maximum length for the text in this field is 150 characters". */
  headerText: 150,
  /** context `elements`: "Maximum number of items is 10". */
  contextElements: 10,
  /** A text object: "maximum length is 3000 characters" (composition-objects.d.ts). */
  textObject: 3000,
  /** actions `elements`: "a maximum of 25 elements in each action block". */
  actionsElements: 25,
  /** `block_id` and `action_id`: "Maximum length for this field is 255 characters". */
  id: 255,
  /** button `text` 75, `value` 2000, `url` 3000 (block-elements.d.ts, Button). */
  buttonText: 75,
  buttonValue: 2000,
  buttonUrl: 3000,
  /** confirm dialog: title 100, text 300, confirm and deny 30 (ConfirmationDialog). */
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  /** An option's `text` and `description`: 75 (Option); 100 options per element. */
  optionText: 75,
  options: 100,
  /** input `label` and `hint`: 2000 (InputBlock). */
  inputLabel: 2000,
  /** plain_text_input `max_length`: "Maximum value is 3000"; placeholders 150. */
  inputMaxLength: 3000,
  placeholder: 150,
  /** modal `title`, `submit` and `close`: 24; `private_metadata` 3000; `callback_id` 255. */
  modalTitle: 24,
  privateMetadata: 3000,
} as const;

export interface BlockKitRefusal {
  /** Slack's error code: `invalid_blocks`, `msg_too_long`, `invalid_arguments`. */
  error: string;
  /** One line per fault, as Slack words them in `response_metadata.messages`. */
  messages: string[];
}

type Node = Record<string, unknown>;

/** Faults found in one payload; each names its JSON pointer as Slack does. */
class Faults {
  readonly messages: string[] = [];

  add(pointer: string, message: string): void {
    this.messages.push(`[ERROR] ${message} [json-pointer:${pointer}]`);
  }

  maxLength(pointer: string, value: unknown, max: number): void {
    if (typeof value === 'string' && value.length > max)
      this.add(pointer, `must be less than ${max + 1} characters`);
  }

  maxItems(pointer: string, value: unknown, max: number): void {
    if (Array.isArray(value) && value.length > max)
      this.add(pointer, `no more than ${max} items allowed`);
  }
}

/**
 * Checks a message (chat.postMessage, chat.update, chat.postEphemeral, a `response_url` post).
 * Returns undefined when Slack would take it.
 */
export function checkMessage(payload: {
  text?: unknown;
  blocks?: unknown;
}): BlockKitRefusal | undefined {
  if (typeof payload.text === 'string' && payload.text.length > MESSAGE_TEXT_MAX)
    return { error: 'msg_too_long', messages: [] };
  if (payload.blocks === undefined) return undefined;
  const faults = new Faults();
  if (!Array.isArray(payload.blocks)) {
    faults.add('/blocks', 'expected an array');
  } else {
    faults.maxItems('/blocks', payload.blocks, MESSAGE_MAX_BLOCKS);
    checkBlocks(payload.blocks, '/blocks', faults);
  }
  if (faults.messages.length) return { error: 'invalid_blocks', messages: faults.messages };
  return textLength(payload.blocks) > MESSAGE_BLOCKS_TEXT_MAX
    ? { error: 'msg_blocks_too_long', messages: [] }
    : undefined;
}

/** Checks a modal (views.open, views.update); Slack answers `invalid_arguments` for a bad view. */
export function checkModal(view: Node): BlockKitRefusal | undefined {
  const faults = new Faults();
  if (view.type !== 'modal') faults.add('/view/type', 'must be modal');
  for (const key of ['title', 'submit', 'close'] as const) {
    const text = view[key];
    if (text === undefined && key !== 'title') continue;
    checkText(text, `/view/${key}`, faults, LIMIT.modalTitle, 'plain_text');
  }
  faults.maxLength('/view/private_metadata', view.private_metadata, LIMIT.privateMetadata);
  faults.maxLength('/view/callback_id', view.callback_id, LIMIT.id);
  if (!Array.isArray(view.blocks)) {
    faults.add('/view/blocks', 'expected an array');
  } else {
    faults.maxItems('/view/blocks', view.blocks, MODAL_MAX_BLOCKS);
    checkBlocks(view.blocks, '/view/blocks', faults);
  }
  return faults.messages.length
    ? { error: 'invalid_arguments', messages: faults.messages }
    : undefined;
}

function checkBlocks(blocks: unknown[], pointer: string, faults: Faults): void {
  // block_id: "should be unique for each message"; Slack refuses a repeated one.
  const blockIds = new Set<string>();
  for (const [i, raw] of blocks.entries()) {
    const at = `${pointer}/${i}`;
    if (!isNode(raw)) {
      faults.add(at, 'expected an object');
      continue;
    }
    const blockId = raw.block_id;
    if (typeof blockId === 'string') {
      faults.maxLength(`${at}/block_id`, blockId, LIMIT.id);
      if (blockIds.has(blockId)) faults.add(`${at}/block_id`, `duplicate block_id "${blockId}"`);
      blockIds.add(blockId);
    }
    checkBlock(raw, at, faults);
  }
}

function checkBlock(block: Node, at: string, faults: Faults): void {
  switch (block.type) {
    case 'section': {
      if (block.text === undefined && block.fields === undefined)
        faults.add(at, 'must provide either text or fields');
      if (block.text !== undefined) checkText(block.text, `${at}/text`, faults, LIMIT.sectionText);
      if (block.fields !== undefined) {
        if (!Array.isArray(block.fields)) faults.add(`${at}/fields`, 'expected an array');
        else {
          faults.maxItems(`${at}/fields`, block.fields, LIMIT.fields);
          for (const [j, field] of block.fields.entries())
            checkText(field, `${at}/fields/${j}`, faults, LIMIT.fieldText);
        }
      }
      if (isNode(block.accessory))
        checkElements([block.accessory], `${at}/accessory`, faults, true);
      return;
    }
    case 'header': {
      checkText(block.text, `${at}/text`, faults, LIMIT.headerText, 'plain_text');
      return;
    }
    case 'context':
      if (!Array.isArray(block.elements) || block.elements.length === 0) {
        faults.add(`${at}/elements`, 'must provide at least 1 item');
        return;
      }
      faults.maxItems(`${at}/elements`, block.elements, LIMIT.contextElements);
      block.elements.forEach((element, j) => {
        if (isNode(element) && (element.type === 'mrkdwn' || element.type === 'plain_text'))
          checkText(element, `${at}/elements/${j}`, faults, LIMIT.textObject);
      });
      return;
    case 'actions':
      if (!Array.isArray(block.elements) || block.elements.length === 0) {
        faults.add(`${at}/elements`, 'must provide at least 1 item');
        return;
      }
      faults.maxItems(`${at}/elements`, block.elements, LIMIT.actionsElements);
      {
        checkElements(block.elements, `${at}/elements`, faults);
        return;
      }
    case 'input':
      checkText(block.label, `${at}/label`, faults, LIMIT.inputLabel, 'plain_text');
      if (block.hint !== undefined)
        checkText(block.hint, `${at}/hint`, faults, LIMIT.inputLabel, 'plain_text');
      if (!isNode(block.element)) {
        faults.add(`${at}/element`, 'must provide an element');
        return;
      }
      {
        checkElements([block.element], `${at}/element`, faults, true);
        return;
      }
    case 'divider':
    case 'image':
    case 'rich_text':
    case 'markdown':
      return;
    default: {
      faults.add(`${at}/type`, `unsupported block type ${JSON.stringify(block.type)}`);
      return;
    }
  }
}

/**
 * The interactive elements of one block; `single` when the pointer names the element itself
 * (an accessory, an input's element). action_id must be unique in its block.
 */
function checkElements(elements: unknown[], pointer: string, faults: Faults, single = false): void {
  const actionIds = new Set<string>();
  for (const [j, raw] of elements.entries()) {
    const at = single ? pointer : `${pointer}/${j}`;
    if (!isNode(raw)) {
      faults.add(at, 'expected an object');
      continue;
    }
    const actionId = raw.action_id;
    if (typeof actionId === 'string') {
      faults.maxLength(`${at}/action_id`, actionId, LIMIT.id);
      if (actionIds.has(actionId))
        faults.add(`${at}/action_id`, `duplicate action_id "${actionId}"`);
      actionIds.add(actionId);
    }
    if (raw.confirm !== undefined) checkConfirm(raw.confirm, `${at}/confirm`, faults);
    if (raw.placeholder !== undefined)
      checkText(raw.placeholder, `${at}/placeholder`, faults, LIMIT.placeholder, 'plain_text');
    switch (raw.type) {
      case 'button':
        checkText(raw.text, `${at}/text`, faults, LIMIT.buttonText, 'plain_text');
        faults.maxLength(`${at}/value`, raw.value, LIMIT.buttonValue);
        faults.maxLength(`${at}/url`, raw.url, LIMIT.buttonUrl);
        break;
      case 'plain_text_input':
        if (typeof raw.max_length === 'number' && raw.max_length > LIMIT.inputMaxLength)
          faults.add(`${at}/max_length`, `must be no more than ${LIMIT.inputMaxLength}`);
        break;
      default:
        for (const key of ['options', 'initial_options'] as const) {
          if (!Array.isArray(raw[key])) continue;
          faults.maxItems(`${at}/${key}`, raw[key], LIMIT.options);
          for (const [k, option] of (raw[key] as unknown[]).entries())
            checkOption(option, `${at}/${key}/${k}`, faults);
        }
        if (raw.initial_option !== undefined)
          checkOption(raw.initial_option, `${at}/initial_option`, faults);
    }
  }
}

function checkOption(option: unknown, at: string, faults: Faults): void {
  if (!isNode(option)) {
    faults.add(at, 'expected an object');
    return;
  }
  checkText(option.text, `${at}/text`, faults, LIMIT.optionText);
  if (option.description !== undefined)
    checkText(option.description, `${at}/description`, faults, LIMIT.optionText);
}

function checkConfirm(confirm: unknown, at: string, faults: Faults): void {
  if (!isNode(confirm)) {
    faults.add(at, 'expected an object');
    return;
  }
  checkText(confirm.title, `${at}/title`, faults, LIMIT.confirmTitle, 'plain_text');
  checkText(confirm.text, `${at}/text`, faults, LIMIT.confirmText);
  checkText(confirm.confirm, `${at}/confirm`, faults, LIMIT.confirmButton, 'plain_text');
  checkText(confirm.deny, `${at}/deny`, faults, LIMIT.confirmButton, 'plain_text');
}

/** A text object: `plain_text` or `mrkdwn`, 1 to `max` characters. */
function checkText(
  value: unknown,
  at: string,
  faults: Faults,
  max: number,
  only?: 'plain_text',
): void {
  if (!isNode(value)) {
    faults.add(at, 'must provide an object');
    return;
  }
  if (value.type !== 'plain_text' && (only || value.type !== 'mrkdwn')) {
    faults.add(`${at}/type`, `must be ${only ?? 'plain_text or mrkdwn'}`);
    return;
  }
  if (typeof value.text !== 'string' || value.text.length === 0) {
    faults.add(`${at}/text`, 'must be more than 0 characters');
    return;
  }
  faults.maxLength(`${at}/text`, value.text, max);
}

/** The characters of every `text` in a tree of blocks. */
function textLength(node: unknown): number {
  if (Array.isArray(node)) return node.reduce((n: number, item) => n + textLength(item), 0);
  if (!isNode(node)) return 0;
  return Object.entries(node).reduce(
    (n, [key, value]) =>
      n + (key === 'text' && typeof value === 'string' ? value.length : textLength(value)),
    0,
  );
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
