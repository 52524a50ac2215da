import { parseArgs } from 'node:util';
import { LifeboatError } from '../orchestrator/domain/errors.ts';
import { FAULT_SYNTAX } from '../sandbox/aws/faults.ts';
import { UsageError } from './errors.ts';
import { type Io, processIo } from './io.ts';
import type { Terminal } from './terminal.ts';

const USAGE = `lifeboat: disaster-recovery drills, failovers and failbacks for AWS DRS, from Slack

Usage:
  lifeboat plan validate [files...]     check plans (default: every file in config/customers/)
  lifeboat plan validate <customer> --live [--json] [--plans D]
                                        onboarding: reads the customer's account through its
                                        read-only role; every source server, instance and hook
                                        target where the plan says, tagged lifeboat:plan=<id>
  lifeboat plan show <customer> [--json] [--operation drill|bubble-drill|failover|failback]
                                        waves, boot order, hooks, targets and runbooks
  lifeboat sim [--speed N] [--seed S] [--port P] [--fault F]...
                                        the local AWS (DRS, EC2, Route 53, SSM, STS, DynamoDB);
                                        prints its endpoints as JSON, serves until interrupted.
                                        Faults: ${FAULT_SYNTAX}
  lifeboat run <drill|bubble-drill|failover|failback> <customer> [--speed N] [--seed S]
      [--fault F]... [--approve-as U]... [--sign-off-as U] [--requested-by U]
      [--on-failure retry|continue|abort] [--since TIME] [--reason TEXT] [--report-dir D] [--json]
                                        the real state machine and handlers on the local AWS
  lifeboat run failover --region <region> [--fault F]... [--on-failure retry|continue|abort]
      [--reason TEXT] [--report-dir D] [--json]
                                        every plan whose primary is that region, failed over as
                                        one incident (the region down unless --fault says else)
  lifeboat sandbox [customer] [--speed N] [--fault F]... [--plans D] [--report-dir D]
                                        what \`npm start\` runs: a drill of bcbsaz (or the customer
                                        named) played in a fake Slack, AWS simulated, on one machine
  lifeboat sandbox --incident <region> [--speed N] [--fault F]... [--plans D] [--report-dir D]
                                        the region down and every plan whose primary it is failed
                                        over as one incident: requested, approved by two people
                                        and followed in the fake Slack's channels
  lifeboat sandbox --interactive [--fault F]...
                                        the same, with you typing as anyone: /dr drill dmnt,
                                        bob> approve, carol> sign-off, help, quit
  lifeboat sandbox --slack [--plans D] [--env-file F]
                                        the bot in a real Slack workspace over Socket Mode (needs
                                        SLACK_BOT_TOKEN, SLACK_APP_TOKEN, SLACK_SIGNING_SECRET)
  lifeboat break-glass <failover|failback|drill|bubble-drill> <customer> --requested-by U
      --approve-as U[:S…] --approve-as U[:S…] --reason TEXT [--json]
                                        without Slack, against the deployed Lifeboat (AWS_REGION,
                                        LIFEBOAT_STATE_MACHINE_ARN_PATTERN): starts the run and
                                        answers its approval as two named approvers (README)
  lifeboat help                         this text`;

/** Runs one command; returns the exit code (0 ok, 1 a problem found, 2 a usage error). */
export async function main(
  argv: readonly string[],
  io: Io = processIo,
  terminal?: Terminal,
): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        live: { type: 'boolean', default: false },
        operation: { type: 'string', short: 'o' },
        help: { type: 'boolean', short: 'h', default: false },
        speed: { type: 'string' },
        region: { type: 'string' },
        seed: { type: 'string' },
        port: { type: 'string' },
        fault: { type: 'string', multiple: true },
        'approve-as': { type: 'string', multiple: true },
        'sign-off-as': { type: 'string' },
        'requested-by': { type: 'string' },
        'on-failure': { type: 'string' },
        since: { type: 'string' },
        reason: { type: 'string' },
        'report-dir': { type: 'string' },
        interactive: { type: 'boolean', short: 'i', default: false },
        slack: { type: 'boolean', default: false },
        incident: { type: 'string' },
        plans: { type: 'string' },
        'env-file': { type: 'string' },
      },
    });
    const [command, sub, ...rest] = positionals;
    if (values.help || command === undefined || command === 'help') {
      io.out(USAGE);
      return 0;
    }
    // Each command's module is loaded when it runs: all of them at once (the SDK, the CDK, Bolt)
    // took 3 s to load before `plan show` could print.
    if (command === 'plan' && sub === 'validate')
      return values.live
        ? await (await import('./plan-validate-live.ts')).validateLive(
            rest,
            { json: values.json, ...(values.plans ? { plans: values.plans } : {}) },
            io,
          )
        : await (await import('./plan-validate.ts')).validatePlans(rest, io);
    if (command === 'plan' && sub === 'show') {
      const [customer, ...extra] = rest;
      if (!customer || extra.length > 0)
        throw new UsageError('plan show takes one customer id, like: lifeboat plan show bcbsaz');
      const { showPlan } = await import('./plan-show.ts');
      return await showPlan(customer, { json: values.json, operation: values.operation }, io);
    }
    if (command === 'sandbox') {
      const { runSandbox } = await import('./sandbox.ts');
      return await runSandbox([sub ?? '', ...rest].filter(Boolean), values, io, terminal);
    }
    if (command === 'sim') return await (await import('./sim.ts')).runSim(values, io);
    if (command === 'run' && values.region !== undefined) {
      if (sub !== 'failover' || rest.length > 0)
        throw new UsageError(
          'A region-wide run is a failover of every plan of the region, like: lifeboat run failover --region us-east-1',
        );
      return await (await import('./run-region.ts')).runRegion(values.region, values, io);
    }
    if (command === 'run') {
      const { runOperation } = await import('./run.ts');
      return await runOperation([sub ?? '', ...rest].filter(Boolean), values, io);
    }
    if (command === 'break-glass') {
      const { runBreakGlass } = await import('./break-glass.ts');
      return await runBreakGlass([sub ?? '', ...rest].filter(Boolean), values, io);
    }
    throw new UsageError(`Unknown command "${positionals.join(' ')}".`);
  } catch (error) {
    if (
      error instanceof UsageError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      io.err(`${(error as Error).message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof LifeboatError) {
      io.err(error.message);
      return 1;
    }
    throw error;
  }
}

/**
 * Exits with `code` once stdout and stderr have handed everything written to them to the OS.
 * A pipe holds about 64 KB: an exit right after the last write would cut what the reader has not
 * taken yet. The exit itself stays (a sandbox run left behind by `quit`, a socket closing, may
 * still hold the event loop): the command has said everything it had to say.
 */
export async function exitWhenWritten(
  code: number,
  streams: readonly NodeJS.WriteStream[] = [process.stdout, process.stderr],
): Promise<never> {
  process.exitCode = code;
  // A write's callback runs once it and every write before it are flushed (or have failed: a
  // reader that went away, like `| head`, wants no more).
  await Promise.all(
    streams.map((stream) => new Promise<void>((resolve) => stream.write('', () => resolve()))),
  );
  process.exit(code);
}
