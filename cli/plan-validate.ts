import { readdir } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { readPlanFile } from '../orchestrator/adapters/config-files.ts';
import type { PlanProblem } from '../orchestrator/domain/errors.ts';
import type { Plan } from '../orchestrator/domain/plan.ts';
import { checkPlanSet } from '../orchestrator/domain/plan-set.ts';
import { planWarnings } from '../orchestrator/domain/plan-warnings.ts';
import { CUSTOMERS_DIR, type Io } from './io.ts';

/**
 * `lifeboat plan validate [files...]`: every problem of every file, then the problems between
 * plans (`after`), checked against the other plans of each file's folder too; exit 1 if any.
 */
export async function validatePlans(files: readonly string[], io: Io): Promise<number> {
  const targets =
    files.length > 0
      ? files
      : (await readdir(CUSTOMERS_DIR))
          .filter((f) => /\.ya?ml$/.test(f))
          .sort()
          .map((f) => join(CUSTOMERS_DIR, f));
  if (targets.length === 0) {
    io.err(`No plans to check in ${CUSTOMERS_DIR}; add config/customers/<customer-id>.yaml.`);
    return 1;
  }
  let failed = 0;
  const valid: { shown: string; plan: Plan }[] = [];
  for (const file of targets) {
    const shown = relative(process.cwd(), file) || file;
    const result = await readPlanFile(file);
    if (result.ok) {
      const { plan } = result;
      valid.push({ shown, plan });
      io.out(
        `ok   ${shown}: ${plan.customer.id}, ${plan.servers.length} servers in ${plan.waves.length} waves, ${plan.regions.primary} -> ${plan.regions.recovery}`,
      );
      for (const warning of planWarnings(plan))
        io.out(`  warning: ${shown}: ${warning.path}: ${warning.message}`);
      continue;
    }
    failed += 1;
    io.out(
      `FAIL ${shown}: ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}`,
    );
    for (const problem of result.problems) io.out(`  ${describe(shown, problem)}`);
  }
  failed += await reportSetProblems(targets, valid, io);
  io.out(
    failed === 0
      ? `${targets.length} plan${targets.length === 1 ? '' : 's'} valid`
      : `${failed} of ${targets.length} plans invalid`,
  );
  return failed === 0 ? 0 : 1;
}

/** Checks the valid plans as a set, with the other plans of their folders; returns how many plans failed. */
async function reportSetProblems(
  targets: readonly string[],
  valid: readonly { shown: string; plan: Plan }[],
  io: Io,
): Promise<number> {
  const given = new Set(targets.map((file) => resolve(file)));
  const folders = [...new Set([...given].map((file) => dirname(file)))];
  const others: Plan[] = [];
  for (const folder of folders) {
    const names = await readdir(folder).catch(() => [] as string[]);
    for (const name of names.filter((f) => /\.ya?ml$/.test(f)).sort()) {
      if (given.has(join(folder, name))) continue;
      const result = await readPlanFile(join(folder, name));
      if (result.ok) others.push(result.plan);
    }
  }
  const fileOf = new Map(valid.map(({ shown, plan }) => [plan.customer.id, shown]));
  const problems = checkPlanSet([...valid.map(({ plan }) => plan), ...others]).filter((p) =>
    fileOf.has(p.customerId),
  );
  if (problems.length === 0) return 0;
  const plans = new Set(problems.map((p) => p.customerId));
  io.out(
    `FAIL across plans: ${problems.length} problem${problems.length === 1 ? '' : 's'} in ${plans.size} plan${plans.size === 1 ? '' : 's'}`,
  );
  for (const problem of problems)
    io.out(`  ${describe(fileOf.get(problem.customerId) ?? problem.customerId, problem)}`);
  return plans.size;
}

/** `file:line: path: message [code]`, with the value when the message does not already show it. */
export function describe(file: string, problem: PlanProblem): string {
  const where = [problem.line === undefined ? file : `${file}:${problem.line}`, problem.path]
    .filter(Boolean)
    .join(': ');
  const shown = problem.value === undefined ? undefined : JSON.stringify(problem.value);
  const bare = typeof problem.value === 'string' ? problem.value : undefined;
  const mentioned =
    shown !== undefined &&
    (problem.message.includes(shown) || (bare !== undefined && problem.message.includes(bare)));
  const value =
    shown === undefined || mentioned
      ? ''
      : ` (found: ${shown.length > 120 ? `${shown.slice(0, 117)}...` : shown})`;
  return `${where}: ${problem.message}${value} [${problem.code}]`;
}
