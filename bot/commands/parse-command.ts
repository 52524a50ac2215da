import * as z from 'zod';
import { RegionSchema } from '../../orchestrator/domain/regions.ts';
import { escapeSlackText } from '../slack-text.ts';

/**
 * The `/dr` slash command: its text parsed into a `DrCommand`, or a `CommandError` whose message
 * says what was wrong and shows the nearest valid usage. Pure: no Slack, no plans; whether the
 * customer or run exists is for the listener to check.
 */

const CUSTOMER = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** Step Functions execution names: letters, digits and a few separators, at most 80. */
const RUN = /^[A-Za-z0-9][A-Za-z0-9_.:#-]{0,79}$/;
const REASON_MAX = 500;

export const CustomerIdSchema = z.string().regex(CUSTOMER, {
  error: (issue) => {
    const input = String(issue.input);
    const lower = input.toLowerCase();
    return CUSTOMER.test(lower)
      ? `"${input}" is not a customer id: customer ids are lower case, like "${lower}".`
      : `"${input}" is not a customer id: use the customer's lower-case id, like bcbsaz.`;
  },
});
export const RunIdSchema = z.string().regex(RUN, {
  error: (issue) => `"${String(issue.input)}" is not a run id: copy it from the run's status card.`,
});
/** `status` takes a customer or a run; the listener looks the customer up first. */
const StatusTargetSchema = z.string().regex(RUN, {
  error: (issue) => `"${String(issue.input)}" is neither a customer id nor a run id.`,
});
/** When a real incident began, with its offset: `2025-03-01T09:30:00Z`; held as epoch ms. */
export const SinceSchema = z.iso
  .datetime({
    offset: true,
    error: (issue) =>
      `"${String(issue.input)}" is not an ISO time with a zone, like 2025-03-01T09:30:00Z or 2025-03-01T02:30:00-07:00.`,
  })
  .transform((text) => Date.parse(text));
const ReasonSchema = z
  .string()
  .trim()
  .min(1, { error: 'The reason is empty: say why, like --reason "primary region down".' })
  .max(REASON_MAX, { error: `The reason is longer than ${REASON_MAX} characters; shorten it.` });

const COMMAND_NAMES = [
  'help',
  'drill',
  'failover',
  'failback',
  'status',
  'pause',
  'resume',
  'abort',
  'plan',
  'readiness',
  'history',
  'report',
] as const;
export const CommandNameSchema = z.enum(COMMAND_NAMES);
export type CommandName = z.infer<typeof CommandNameSchema>;

const customerCommand = <N extends CommandName>(name: N) =>
  z.strictObject({ name: z.literal(name), customer: CustomerIdSchema });
const runCommand = <N extends CommandName>(name: N) =>
  z.strictObject({ name: z.literal(name), run: RunIdSchema });

/** `/dr failover region <region>` and `/dr status region <region>`: a whole primary region's incident. */
const RegionCommandNameSchema = z.enum(['failover', 'status']);
type RegionCommandName = z.infer<typeof RegionCommandNameSchema>;

export const DrCommandSchema = z.discriminatedUnion('name', [
  z.strictObject({ name: z.literal('help'), topic: CommandNameSchema.optional() }),
  z.strictObject({ name: z.literal('drill'), customer: CustomerIdSchema, bubble: z.boolean() }),
  z.strictObject({
    name: z.literal('failover'),
    customer: CustomerIdSchema,
    since: SinceSchema.optional(),
    reason: ReasonSchema.optional(),
  }),
  customerCommand('failback'),
  z.strictObject({ name: z.literal('status'), target: StatusTargetSchema.optional() }),
  runCommand('pause'),
  runCommand('resume'),
  runCommand('abort'),
  customerCommand('plan'),
  customerCommand('readiness'),
  customerCommand('history'),
  runCommand('report'),
  z.strictObject({
    name: z.literal('failover-region'),
    region: RegionSchema,
    reason: ReasonSchema.optional(),
  }),
  z.strictObject({ name: z.literal('status-region'), region: RegionSchema }),
]);
export type DrCommand = z.infer<typeof DrCommandSchema>;

/** A command that could not be parsed. `message` is Slack mrkdwn, already escaped. */
export interface CommandError {
  name: 'error';
  message: string;
  /** The usage of the command meant (or the nearest one), unescaped: `/dr drill <customer> [--bubble]`. */
  usage: string;
}

type Flag = 'boolean' | 'time' | 'text';

interface CommandSpec {
  /** Positional arguments in order; `?` marks an optional one. */
  args: readonly { key: string; label: string; optional?: boolean }[];
  flags: Readonly<Record<string, { key: string; kind: Flag }>>;
  /** Words after the last argument are this text field, the rest of the line as typed. */
  restAs?: string;
  usage: string;
  summary: string;
}

const customerArg = [{ key: 'customer', label: '<customer>' }] as const;
const runArg = [{ key: 'run', label: '<run>' }] as const;

export const COMMANDS: Readonly<Record<CommandName, CommandSpec>> = {
  help: {
    args: [{ key: 'topic', label: '[command]', optional: true }],
    flags: {},
    usage: '/dr help [command]',
    summary: 'what each command does',
  },
  drill: {
    args: customerArg,
    flags: { '--bubble': { key: 'bubble', kind: 'boolean' } },
    usage: '/dr drill <customer> [--bubble]',
    summary: 'request a DR drill (an isolated one with --bubble)',
  },
  failover: {
    args: customerArg,
    flags: {
      '--since': { key: 'since', kind: 'time' },
      '--reason': { key: 'reason', kind: 'text' },
    },
    usage: '/dr failover <customer> [--since <ISO time>] [--reason <text…>]',
    summary: 'request a real failover to the recovery region',
  },
  failback: {
    args: customerArg,
    flags: {},
    usage: '/dr failback <customer>',
    summary: 'request a failback to the primary region',
  },
  status: {
    args: [{ key: 'target', label: '[customer|run]', optional: true }],
    flags: {},
    usage: '/dr status [customer|run]',
    summary: 'show running operations, or one customer or run',
  },
  pause: {
    args: runArg,
    flags: {},
    usage: '/dr pause <run>',
    summary: 'pause after the current step',
  },
  resume: { args: runArg, flags: {}, usage: '/dr resume <run>', summary: 'resume a paused run' },
  abort: {
    args: [{ key: 'run', label: '<run|incident>' }],
    flags: {},
    usage: '/dr abort <run|incident>',
    summary: 'stop a run, or a region-wide incident (every one of its runs)',
  },
  plan: {
    args: customerArg,
    flags: {},
    usage: '/dr plan <customer>',
    summary: "show a customer's waves and runbooks",
  },
  readiness: {
    args: customerArg,
    flags: {},
    usage: '/dr readiness <customer>',
    summary: 'run the pre-flight checks now',
  },
  history: {
    args: customerArg,
    flags: {},
    usage: '/dr history <customer>',
    summary: "list a customer's past operations",
  },
  report: { args: runArg, flags: {}, usage: '/dr report <run>', summary: "show a run's report" },
};

/** The word after `failover` or `status` that makes it a region-wide command. */
const REGION_WORD = 'region';

export const REGION_COMMANDS: Readonly<Record<RegionCommandName, CommandSpec>> = {
  failover: {
    args: [{ key: 'region', label: '<region>' }],
    flags: { '--reason': { key: 'reason', kind: 'text' } },
    restAs: 'reason',
    usage: '/dr failover region <region> [reason…]',
    summary: 'request the failover of every plan whose primary is the region (operations channel)',
  },
  status: {
    args: [{ key: 'region', label: '<region>' }],
    flags: {},
    usage: '/dr status region <region>',
    summary: "show the region's open incident, plan by plan, or its latest ones",
  },
};

interface Token {
  value: string;
  quoted: boolean;
  unclosed: boolean;
  start: number;
}

/** Straight and typographic quotes: Slack clients on macOS and phones type the latter. */
const QUOTES: Readonly<Record<string, string>> = { '"': '"', "'": "'", '“': '”', '‘': '’' };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text.charAt(i))) i++;
    if (i >= text.length) break;
    const start = i;
    const close = QUOTES[text.charAt(i)];
    if (close) {
      const end = text.indexOf(close, i + 1);
      const unclosed = end < 0;
      tokens.push({
        value: text.slice(i + 1, unclosed ? text.length : end),
        quoted: true,
        unclosed,
        start,
      });
      i = unclosed ? text.length : end + 1;
    } else {
      while (i < text.length && !/\s/.test(text.charAt(i))) i++;
      tokens.push({ value: text.slice(start, i), quoted: false, unclosed: false, start });
    }
  }
  return tokens;
}

/** Parses the text after `/dr`. Empty text is `help`. */
export function parseDrCommand(text: string): DrCommand | CommandError {
  const tokens = tokenize(text);
  const [word, ...rest] = tokens;
  if (!word) return { name: 'help' };
  const name = word.value.toLowerCase();
  const parsedName = CommandNameSchema.safeParse(name);
  if (word.quoted || !parsedName.success) {
    const nearest = nearestCommand(name);
    return fail(
      `Unknown command "${word.value}". Did you mean \`${COMMANDS[nearest].usage}\`? \`/dr help\` lists every command.`,
      COMMANDS[nearest].usage,
    );
  }
  const region = RegionCommandNameSchema.safeParse(parsedName.data);
  const [first, ...after] = rest;
  if (region.success && first && !first.quoted && first.value.toLowerCase() === REGION_WORD)
    return parseArguments(
      `${region.data} ${REGION_WORD}`,
      REGION_COMMANDS[region.data],
      `${region.data}-region`,
      after,
      text,
    );
  return parseArguments(parsedName.data, COMMANDS[parsedName.data], parsedName.data, rest, text);
}

function parseArguments(
  name: string,
  spec: CommandSpec,
  resultName: string,
  tokens: Token[],
  text: string,
): DrCommand | CommandError {
  const candidate: Record<string, unknown> = { name: resultName };
  for (const flag of Object.values(spec.flags))
    if (flag.kind === 'boolean') candidate[flag.key] = false;
  const usageHint = `Usage: \`${spec.usage}\``;
  let position = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    if (token.unclosed)
      return fail(`The quote before "${token.value}" is not closed. ${usageHint}`, spec.usage);
    if (!token.quoted && token.value.startsWith('--')) {
      const flagName = token.value.toLowerCase();
      const flag = spec.flags[flagName];
      if (!flag) {
        const known = Object.keys(spec.flags);
        return fail(
          `\`/dr ${name}\` has no option ${token.value}${known.length > 0 ? ` (it takes ${known.join(', ')})` : ''}. ${usageHint}`,
          spec.usage,
        );
      }
      if (flag.key in candidate && flag.kind !== 'boolean')
        return fail(`${flagName} is given twice. ${usageHint}`, spec.usage);
      if (flag.kind === 'boolean') {
        candidate[flag.key] = true;
        continue;
      }
      const next = tokens[i + 1];
      if (!next || (!next.quoted && next.value.startsWith('--'))) {
        const what = flag.kind === 'time' ? '<ISO time>' : '<text>';
        return fail(`Missing ${what} after ${flagName}. ${usageHint}`, spec.usage);
      }
      if (next.unclosed)
        return fail(`The quote before "${next.value}" is not closed. ${usageHint}`, spec.usage);
      if (flag.kind === 'text' && !next.quoted) {
        // An unquoted reason is the rest of the line, as people type it.
        candidate[flag.key] = text.slice(next.start);
        break;
      }
      candidate[flag.key] = next.value;
      i++;
      continue;
    }
    const arg = spec.args[position];
    if (!arg && spec.restAs && !(spec.restAs in candidate)) {
      // `/dr failover region us-east-1 the region is down`: the reason, as people type it.
      candidate[spec.restAs] =
        token.quoted && i === tokens.length - 1 ? token.value : text.slice(token.start);
      break;
    }
    if (!arg)
      return fail(`Unexpected "${token.value}" after \`/dr ${name}\`. ${usageHint}`, spec.usage);
    candidate[arg.key] =
      arg.key === 'topic' || arg.key === 'region' ? token.value.toLowerCase() : token.value;
    position++;
  }
  const missing = spec.args.slice(position).filter((a) => !a.optional);
  if (missing.length > 0)
    return fail(
      `Missing ${missing.map((a) => a.label).join(' and ')}: \`/dr ${name}\` needs ${missing.length === 1 ? 'it' : 'them'}. ${usageHint}`,
      spec.usage,
    );
  if (name === 'help' && typeof candidate.topic === 'string') {
    if (!CommandNameSchema.safeParse(candidate.topic).success) {
      const nearest = nearestCommand(candidate.topic);
      return fail(
        `There is no command "${candidate.topic}". Did you mean \`${COMMANDS[nearest].usage}\`?`,
        COMMANDS[nearest].usage,
      );
    }
  }
  const parsed = DrCommandSchema.safeParse(candidate);
  if (!parsed.success)
    return fail(
      `${parsed.error.issues[0]?.message ?? 'Invalid command.'} ${usageHint}`,
      spec.usage,
    );
  return parsed.data;
}

function fail(message: string, usage: string): CommandError {
  return { name: 'error', message: escapeSlackText(message), usage };
}

/** The help text: one line per command (and its region-wide form), or one command's. Escaped mrkdwn. */
export function renderHelp(topic?: CommandName): string {
  const names = topic ? [topic] : COMMAND_NAMES;
  const line = (spec: CommandSpec) =>
    `\`${escapeSlackText(spec.usage)}\`: ${escapeSlackText(spec.summary)}`;
  return names
    .flatMap((n) => {
      const region = RegionCommandNameSchema.safeParse(n);
      return region.success
        ? [line(COMMANDS[n]), line(REGION_COMMANDS[region.data])]
        : [line(COMMANDS[n])];
    })
    .join('\n');
}

/** The command whose name is nearest to `word` (fewest edits; the first listed on a tie). */
export function nearestCommand(word: string): CommandName {
  let best: CommandName = 'help';
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const name of COMMAND_NAMES) {
    const distance = editDistance(word.toLowerCase(), name);
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  return best;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => d[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i < rows; i++) {
    const row = d[i] as number[];
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      row[j] = best;
    }
  }
  return at(a.length, b.length);
}
