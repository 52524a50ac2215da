import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DECISION_LABELS,
  gateAction,
  SIGN_OFF_LABEL,
  SIGN_OFF_OPEN_ACTION,
} from '../bot/blocks/prompts.ts';
import { GateDecisionSchema, hasEnded } from '../orchestrator/domain/execution.ts';
import type { Plan } from '../orchestrator/domain/plan.ts';
import { SANDBOX_USERS } from '../sandbox/slack-sandbox.ts';
import type { Io } from './io.ts';
import { castOf } from './sandbox-scenario.ts';
import {
  type FoundButton,
  SandboxSession,
  type SessionOptions,
  userIdOf,
} from './sandbox-session.ts';

/** How long a button command waits for its button to appear. */
const BUTTON_WAIT_MS = 60_000;
/** `wait` with no time: until the runs end or someone must act, at most this long. */
const WAIT_MAX_MS = 600_000;

/** The words that press a button (a gate's decision, or `sign-off`), to its action id. */
const BUTTON_WORDS: Readonly<Record<string, string>> = {
  ...Object.fromEntries(GateDecisionSchema.options.map((d) => [d, gateAction(d)])),
  'sign-off': SIGN_OFF_OPEN_ACTION,
};

/** The buttons' labels as the bot draws them, by action id. */
const BUTTON_LABELS: Readonly<Record<string, string>> = {
  ...Object.fromEntries(GateDecisionSchema.options.map((d) => [gateAction(d), DECISION_LABELS[d]])),
  [SIGN_OFF_OPEN_ACTION]: SIGN_OFF_LABEL,
};

const HELP = `Type as the person in the prompt; \`as <name>\` or \`<name>> …\` switches:
  /dr <command>     a slash command: /dr drill bcbsaz, /dr status bcbsaz, /dr help
  approve, reject   press the newest Approve or Reject button (waits for one)
  retry, continue, abort, resume, done
                    press that button of a failed step or a pause
  sign-off [who]    press "Record sign-off" and submit the modal (asks who signed off)
  click <label>     press the newest button whose label starts so
  as <name>         become someone else; \`users\` says who is who
  in <customer>     go to the customer's channel (a /dr command naming one does too)
  wait [seconds]    let time pass; alone: until the runs end or someone must act
  help, quit`;

/**
 * `lifeboat sandbox --interactive`: a prompt where a person plays everyone. Reads lines (a
 * script may pipe them; no prompt is shown then) and ends at `quit` or the end of the input.
 */
export async function runInteractive(options: SessionOptions, plan: Plan, io: Io): Promise<number> {
  const { terminal } = options;
  const tty = terminal.isTTY && terminal.inputIsTTY && terminal.output !== undefined;
  const rl = createInterface({
    input: terminal.input,
    ...(tty ? { output: terminal.output, terminal: true } : { terminal: false }),
  });
  // At once: lines a script pipes in while the sandbox starts are buffered, not lost.
  const lines = rl[Symbol.asyncIterator]();
  let user = castOf(plan).requester;
  let channel = plan.slack.channels[0] ?? '';
  let closing = false;
  const prompt = () => {
    if (!tty || closing) return;
    rl.setPrompt(`${SANDBOX_USERS[user]?.name ?? user}> `);
    rl.prompt(true);
  };
  terminal.write(
    `Lifeboat sandbox, interactive: the local AWS (time ${options.speed ? `${options.speed}x` : 'stepped'}${options.faults.length ? `, faults ${options.faults.join(' ')}` : ''}), the orchestrator, the bot and a fake Slack.\nStarting…\n`,
  );
  const session = await SandboxSession.open({
    ...options,
    dnsPort: 0,
    ...(tty
      ? {
          aroundDraw: {
            before: () => terminal.write('\r\x1b[2K'),
            after: prompt,
          },
        }
      : {}),
  });
  const runs: string[] = [];
  const readLine = async (ask: string): Promise<string | undefined> => {
    if (tty) {
      rl.setPrompt(ask);
      rl.prompt(true);
    }
    const next = await lines.next();
    if (tty) terminal.write('\x1b[1F\x1b[2K');
    return next.done ? undefined : String(next.value);
  };
  const say = (text: string) => session.note(channel, text);
  say(
    `You are ${SANDBOX_USERS[user]?.name}, in #${channel} (${plan.customer.name}). Type help for the commands.`,
  );
  const dns = session.sandbox.aws.dnsAddress;
  const record = plan.dns?.records[0];
  if (dns && record)
    say(
      `What a resolver answers, in another terminal: dig @${dns.host} -p ${dns.port} +short ${record.name}`,
    );

  const press = async (actionId: string | undefined, label?: string) => {
    const accept = (b: FoundButton) =>
      actionId ? b.actionId === actionId : b.label.toLowerCase().startsWith(label ?? '');
    const what = `“${label ?? BUTTON_LABELS[actionId ?? ''] ?? actionId}”`;
    let found = session.findButton(accept);
    if (!found) {
      say(`(waiting for a ${what} button…)`);
      found = await session.waitForButton(accept, BUTTON_WAIT_MS);
    }
    if (!found) return void say(`No ${what} button appeared; nothing pressed.`);
    const viewId = await session.press(user, found);
    if (viewId && found.actionId === SIGN_OFF_OPEN_ACTION) return viewId;
    return undefined;
  };

  try {
    for (;;) {
      prompt();
      const next = await lines.next();
      if (next.done) break;
      if (tty) terminal.write('\x1b[1F\x1b[2K');
      let line = String(next.value).trim();
      const as = /^([a-z]+)>\s*(.*)$/i.exec(line);
      if (as) {
        const id = userIdOf(as[1] ?? '');
        if (!id) {
          say(`Nobody is called “${as[1]}” here; type users.`);
          continue;
        }
        user = id;
        line = as[2] ?? '';
      }
      if (!line) continue;
      const [word = '', ...rest] = line.split(/\s+/);
      const argument = rest.join(' ');
      const command = word.toLowerCase();
      if (command === 'quit' || command === 'exit') break;
      if (command === 'help' || command === '?') {
        say(HELP);
      } else if (command === 'users') {
        say(describeUsers(options.plans));
      } else if (command === 'as') {
        const id = userIdOf(argument);
        if (id) user = id;
        else say(`Nobody is called “${argument}” here; type users.`);
      } else if (command === 'in') {
        const target = findChannel(options.plans, argument);
        if (target) channel = target;
        else
          say(
            `No customer or channel “${argument}”; there are ${options.plans.map((p) => p.customer.id).join(', ')}.`,
          );
      } else if (command === '/dr' || command === 'dr') {
        const named = findChannel(options.plans, rest[1] ?? '', channel);
        if (named && named !== channel) channel = named;
        const run = await session.type(user, channel, argument);
        if (run) runs.push(run);
      } else if (command === 'click') {
        await press(undefined, argument.toLowerCase());
      } else if (Object.hasOwn(BUTTON_WORDS, command)) {
        const viewId = await press(BUTTON_WORDS[command]);
        if (viewId) await submitSignOff(session, user, viewId, argument, readLine);
      } else if (command === 'wait') {
        await waitFor(session, runs, argument ? Number(argument) * 1000 : undefined);
      } else {
        say(`Unknown command “${line}”; type help.`);
      }
    }
  } finally {
    closing = true;
    rl.close();
    await session.close();
    if (tty) terminal.write('\n');
  }
  for (const error of session.sandbox.errors)
    io.err(`The bot failed in the background: ${error.message}`);
  return session.sandbox.errors.length > 0 ? 1 : 0;
}

async function submitSignOff(
  session: SandboxSession,
  user: string,
  viewId: string,
  given: string,
  readLine: (ask: string) => Promise<string | undefined>,
): Promise<void> {
  const contact = given || ((await readLine('customer contact who signed off> ')) ?? '').trim();
  const notes = given ? '' : ((await readLine('notes (optional)> ')) ?? '').trim();
  const channel = [...session.transcript.items].reverse().find((i) => i.kind === 'modal');
  await session.submit(
    user,
    viewId,
    { contact, notes, decision: 'approve' },
    {
      channel: channel?.channel ?? '',
      ...(channel?.threadTs ? { threadTs: channel.threadTs } : {}),
    },
  );
}

/** Waits `ms`, or (no time given) until every run has ended and shown its report, or a new button asks someone to act. */
async function waitFor(session: SandboxSession, runs: readonly string[], ms?: number) {
  if (ms !== undefined) {
    await sleep(Number.isFinite(ms) ? Math.max(0, ms) : 0);
    return;
  }
  const ofRuns = (b: FoundButton) => runs.some((r) => b.value.startsWith(`${r}/`));
  const before = new Set(session.buttons(ofRuns).map((b) => `${b.ts} ${b.actionId}`));
  const until = Date.now() + WAIT_MAX_MS;
  while (Date.now() < until) {
    const statuses = await Promise.all(
      runs.map((r) =>
        session.sandbox.runs
          .getExecution(r)
          .then((e) => e.status)
          .catch(() => 'failed' as const),
      ),
    );
    if (statuses.every(hasEnded)) {
      for (const run of runs) await session.sandbox.bot.shown(run);
      return;
    }
    const asking = session.findButton((b) => ofRuns(b) && !before.has(`${b.ts} ${b.actionId}`));
    if (asking) return;
    await sleep(250);
  }
}

function findChannel(plans: readonly Plan[], name: string, current?: string): string | undefined {
  const plan = plans.find((p) => p.customer.id === name);
  if (plan)
    return current && plan.slack.channels.includes(current) ? current : plan.slack.channels[0];
  const channel = name.replace(/^#/, '');
  return plans.some((p) => p.slack.channels.includes(channel)) ? channel : undefined;
}

function describeUsers(plans: readonly Plan[]): string {
  const people = Object.entries(SANDBOX_USERS)
    .map(([id, u]) => {
      const parts = plans.flatMap((p) => {
        const has = (list: readonly string[]) =>
          list.includes(id) || (u.groups ?? []).some((g) => list.includes(g));
        const roles = [
          has(p.access.requesters) ? 'requests' : '',
          has(p.access.approvers) ? 'approves' : '',
          has(p.access.signOff) ? 'signs off' : '',
          has(p.access.viewers ?? []) ? 'views' : '',
        ].filter(Boolean);
        return roles.length ? [`${p.customer.id}: ${roles.join(', ')}`] : [];
      });
      return `  ${u.name.padEnd(8)} ${u.realName ?? ''}${parts.length ? ` — ${parts.join('; ')}` : ' — no role'}`;
    })
    .join('\n');
  return `The people here, and their parts in the plans:\n${people}`;
}
