import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PlanValidationError } from '../domain/errors.ts';
import type { PlanBundle } from './bundled-plans.ts';
import { parsePlanText, parseSettingsText } from './config-files.ts';

/**
 * Reads and validates every plan in `plansDir` and the runbook defaults, at build time (synth,
 * the benchmark): a plan with a problem stops the build with its file and line, as `lifeboat plan
 * validate` shows it. Sources are named relative to `root`, as the repository names them.
 */
export function bundlePlans(options: {
  plansDir: string;
  settingsFile: string;
  root: string;
}): PlanBundle {
  const plans: PlanBundle['plans'] = {};
  const files = readdirSync(options.plansDir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  for (const name of files) {
    const file = join(options.plansDir, name);
    const source = relative(options.root, file);
    const result = parsePlanText(readFileSync(file, 'utf8'), source);
    if (!result.ok) throw new PlanValidationError(source, result.problems);
    plans[result.plan.customer.id] = { plan: result.plan, source, revision: result.revision };
  }
  const settingsText = (() => {
    try {
      return readFileSync(options.settingsFile, 'utf8');
    } catch {
      return '';
    }
  })();
  return {
    plans,
    settings: parseSettingsText(settingsText, relative(options.root, options.settingsFile)),
  };
}
