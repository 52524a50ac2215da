import { join } from 'node:path';
import { FilePlanSource } from '../orchestrator/adapters/config-files.ts';
import type { Plan } from '../orchestrator/domain/plan.ts';
import { type Region, RegionSchema } from '../orchestrator/domain/regions.ts';
import { isSuccessful } from '../orchestrator/domain/report.ts';
import { UsageError } from './errors.ts';
import { CUSTOMERS_DIR, type Io, processIo, ROOT } from './io.ts';
import { playIncidentSandbox } from './sandbox-incident.ts';
import { runInteractive } from './sandbox-interactive.ts';
import { describeResult, playScenario } from './sandbox-scenario.ts';
import { SandboxSession } from './sandbox-session.ts';
import { runSlackSandbox } from './sandbox-slack.ts';
import { ioTerminal, processTerminal, type Terminal } from './terminal.ts';

export interface SandboxOptions {
  interactive?: boolean;
  slack?: boolean;
  /** A region-wide failover of this region, instead of a drill. */
  incident?: string;
  speed?: string;
  fault?: string[];
  plans?: string;
  'report-dir'?: string;
  'env-file'?: string;
}

/**
 * Virtual seconds per real second: a bcbsaz drill (about 7 simulated hours, failback included)
 * waits about 25 s; the rest is the work of the simulators, the state machine and the bot.
 */
export const SANDBOX_SPEED = 1000;
/** The notifier's pace in a channel: Slack's one message a second, exactly, and no faster. */
const POST_EVERY_MS = 1_000;

/**
 * `lifeboat sandbox` (`npm start`): the local AWS, the orchestrator, the bot and a fake Slack on
 * this machine, playing a drill as people would in Slack; `--incident <region>` plays a
 * region-wide failover instead; `--interactive` lets a person play the people; `--slack`
 * answers a real workspace instead of the fake Slack.
 */
export async function runSandbox(
  args: readonly string[],
  options: SandboxOptions,
  io: Io,
  terminal?: Terminal,
): Promise<number> {
  const term =
    terminal ?? (io === processIo ? processTerminal() : ioTerminal(io, { input: process.stdin }));
  const plansDir = options.plans ?? CUSTOMERS_DIR;
  if (args.length > 1)
    throw new UsageError(
      'lifeboat sandbox takes at most one customer, like: lifeboat sandbox dmnt',
    );
  const speed = Number(options.speed ?? SANDBOX_SPEED);
  if (!(speed >= 0))
    throw new UsageError(`--speed must be 0 (stepped) or more, not "${options.speed}".`);
  if (options.slack && options.interactive)
    throw new UsageError('--slack and --interactive do not go together: in Slack, people type.');
  const region = options.incident === undefined ? undefined : regionOf(options.incident);
  if (region && (args.length > 0 || options.slack || options.interactive))
    throw new UsageError(
      '--incident plays every plan of the region on its own, like: lifeboat sandbox --incident us-east-1 (no customer, --slack or --interactive with it).',
    );
  if (options.slack)
    return runSlackSandbox({
      plansDir,
      speed,
      faults: options.fault ?? [],
      terminal: term,
      io,
      envFile: options['env-file'],
    });
  const plans = await new FilePlanSource(plansDir).loadAll();
  const reportDir = options['report-dir'] ?? join(ROOT, 'reports');
  const faults = options.fault ?? [];
  if (region)
    return playIncidentSandbox(
      { plansDir, plans, terminal: term, speed, faults, reportDir, postEveryMs: POST_EVERY_MS },
      region,
      io,
    );
  const customer = args[0];
  const plan = customer
    ? plans.find((p) => p.customer.id === customer)
    : (plans.find((p) => p.customer.id === 'bcbsaz') ?? plans[0]);
  if (!plan)
    throw new UsageError(
      `No customer "${customer ?? 'bcbsaz'}" in ${plansDir}; there are: ${plans.map((p) => p.customer.id).join(', ')}.`,
    );
  const session = {
    plansDir,
    plans,
    terminal: term,
    speed,
    faults,
    reportDir,
    postEveryMs: POST_EVERY_MS,
  };
  if (options.interactive) return runInteractive(session, plan, io);
  return playDrill(session, plan, io);
}

function regionOf(text: string): Region {
  const parsed = RegionSchema.safeParse(text);
  if (!parsed.success)
    throw new UsageError(
      `--incident takes the lost region, like --incident us-east-1: ${parsed.error.issues[0]?.message ?? `"${text}" is not a region.`}`,
    );
  return parsed.data;
}

async function playDrill(
  options: Parameters<typeof SandboxSession.open>[0],
  plan: Plan,
  io: Io,
): Promise<number> {
  const { terminal } = options;
  const started = Date.now();
  const channel = plan.slack.channels[0] ?? '';
  terminal.write(
    `Lifeboat sandbox: a drill of ${plan.customer.name} in #${channel}, on this machine: the local AWS (time ${options.speed ? `${options.speed}x` : 'stepped'}), the orchestrator, the bot and a fake Slack.\nStarting…\n\n`,
  );
  const session = await SandboxSession.open(options);
  return session.playToEnd(
    () => playScenario(session, plan),
    (result) => ({
      lines: describeResult(result, {
        seconds: (Date.now() - started) / 1000,
        reportDir: session.sandbox.reportDir,
        cwd: terminal.cwd,
      }),
      ok: isSuccessful(result.report.outcome),
    }),
    (line) => io.err(line),
  );
}
