import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { readPlanFile } from '../orchestrator/adapters/config-files.ts';
import type { PlanProblem } from '../orchestrator/domain/errors.ts';
import { planWarnings } from '../orchestrator/domain/plan-warnings.ts';
import { CUSTOMERS_DIR, type Io } from './io.ts';

/** `lifeboat plan validate [files...]`: every problem of every file, then exit 1 if any. */
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
  for (const file of targets) {
    const shown = relative(process.cwd(), file) || file;
    const result = await readPlanFile(file);
    if (result.ok) {
      const { plan } = result;
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
  io.out(
    failed === 0
      ? `${targets.length} plan${targets.length === 1 ? '' : 's'} valid`
      : `${failed} of ${targets.length} plans invalid`,
  );
  return failed === 0 ? 0 : 1;
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
