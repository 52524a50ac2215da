import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunOptions, runLocally } from '../../cli/run.ts';
import type { Operation } from '../../orchestrator/domain/plan.ts';
import type { TruthEvent } from '../../sandbox/aws/estate.ts';
import { SAMPLE_PLANS, SAMPLE_SETTINGS } from '../helpers.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/**
 * Runs an operation end to end on a fresh local AWS (stepped time) and keeps the ground truth.
 * Plans come from the test fixtures unless `plansDir` says otherwise.
 */
export async function run(
  operation: Operation,
  customerId: string,
  options: RunOptions = {},
  plansDir = SAMPLE_PLANS,
) {
  const lines: string[] = [];
  const reportDir = await mkdtemp(join(tmpdir(), 'lifeboat-e2e-'));
  const result = await runLocally({
    customerId,
    operation,
    options: { 'report-dir': reportDir, ...options },
    onLine: (l) => lines.push(l),
    plansDir,
    settingsFile: SAMPLE_SETTINGS,
  });
  const truth = result.aws.estate.truth;
  return { ...result, lines, truth, of: (type: string) => truth.filter((e) => e.type === type) };
}

export const ms = (iso: unknown) => Date.parse(String(iso));

/** When the first of these instances was asked to stop: the simulator's start of disruption. */
export function stoppedAt(truth: TruthEvent[], instanceIds: string[]): number {
  const ids = new Set(instanceIds);
  const stops = truth
    .filter((e) => e.type === 'instance-stop' && ids.has(String(e.instanceId)))
    .map((e) => ms(e.at));
  if (stops.length === 0) throw new Error('None of these instances was ever asked to stop');
  return Math.min(...stops);
}

/** When the last of bcbsaz's validation documents ended in a region: the end of its RTO, in the truth. */
export function validatedIn(truth: TruthEvent[], region: string): number {
  return Math.max(
    ...truth
      .filter(
        (e) =>
          e.type === 'ssm-command' &&
          e.region === region &&
          /SmokeTest|RoundTrip/.test(String(e.document)),
      )
      .map((e) => ms(e.endsAt)),
  );
}

/** The `crashy` fixture plan's primary instances (test/fixtures/plans/crash). */
export const CRASHY_PRIMARY = ['i-0c0000000000000a1', 'i-0c0000000000000a2', 'i-0c0000000000000a3'];

/**
 * crashy's failover into `region` as the truth has it: RTO from its primaries' stop to the end of
 * its smoke test there, RPO the oldest data a server launched there came up with.
 */
export function crashyTruth(
  truth: TruthEvent[],
  region = 'us-east-2',
): { rto: number; rpo: number } {
  const disruption = stoppedAt(truth, CRASHY_PRIMARY);
  const validated = Math.max(
    ...truth
      .filter(
        (e) =>
          e.type === 'ssm-command' && e.region === region && e.document === 'Lifeboat-CrashySmoke',
      )
      .map((e) => ms(e.endsAt)),
  );
  const rpo = Math.max(
    ...truth
      .filter((e) => e.type === 'recovery-launched' && e.region === region)
      .map((e) => Math.max(0, (disruption - ms(e.dataAt)) / 1000)),
  );
  return { rto: (validated - disruption) / 1000, rpo };
}
