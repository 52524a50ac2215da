import { FilePlanSource, readSettingsFile } from '../orchestrator/adapters/config-files.ts';
import { formatDuration } from '../orchestrator/domain/duration.ts';
import { type Operation, OperationSchema } from '../orchestrator/domain/plan.ts';
import { describePlan, type PlanOverview } from '../orchestrator/domain/plan-overview.ts';
import type { Step } from '../orchestrator/domain/runbook.ts';
import { UsageError } from './errors.ts';
import { CUSTOMERS_DIR, DEFAULTS_FILE, type Io } from './io.ts';

/** `lifeboat plan show <customer> [--json] [--operation op]`. */
export async function showPlan(
  customerId: string,
  options: { json: boolean; operation?: string },
  io: Io,
): Promise<number> {
  const operation = parseOperation(options.operation);
  const { plan, revision } = await new FilePlanSource(CUSTOMERS_DIR).loadPlan(customerId);
  const overview = describePlan(plan, await readSettingsFile(DEFAULTS_FILE), operation);
  if (options.json) {
    io.out(JSON.stringify({ revision, ...overview }));
  } else {
    for (const line of renderOverview(overview, revision)) io.out(line);
  }
  return 0;
}

function parseOperation(text: string | undefined): Operation | undefined {
  if (text === undefined) return undefined;
  const parsed = OperationSchema.safeParse(text);
  if (!parsed.success) {
    throw new UsageError(
      `"${text}" is not an operation; use one of ${OperationSchema.options.join(', ')}.`,
    );
  }
  return parsed.data;
}

export function renderOverview(overview: PlanOverview, revision: string): string[] {
  const { customer, regions, targets } = overview;
  const lines = [
    `${customer.name} (${customer.id}) · ${customer.productLine} · ${regions.primary} -> ${regions.recovery} · plan revision ${revision}`,
    `Targets: RPO ${targets.rpo}, RTO ${targets.rto} · drills: ${overview.drillMode}`,
    '',
    `Waves (${overview.serverCount} servers, in order):`,
  ];
  overview.waves.forEach((wave, w) => {
    lines.push(`  ${w + 1}. ${wave.name}: ${wave.servers.length} servers, timeout ${wave.timeout}`);
    for (const hook of wave.preHooks) lines.push(`       pre-hook  ${hook}`);
    const groups = new Map<number, string[]>();
    for (const s of wave.servers) {
      groups.set(s.bootGroup, [
        ...(groups.get(s.bootGroup) ?? []),
        s.critical ? s.name : `${s.name} (optional)`,
      ]);
    }
    for (const [group, names] of groups) lines.push(`       boot ${group}: ${names.join(', ')}`);
    lines.push(`       health: ${wave.healthChecks.join(', ')}`);
    for (const hook of wave.postHooks) lines.push(`       post-hook ${hook}`);
  });
  for (const [operation, steps] of Object.entries(overview.runbooks)) {
    lines.push('', `Runbook: ${operation} (${steps.length} steps)`);
    steps.forEach((step, i) => {
      lines.push(`  ${String(i + 1).padStart(2)}. ${renderStep(step)}`);
    });
  }
  return lines;
}

function renderStep(step: Step): string {
  const flags = [step.region, `timeout ${formatDuration(step.timeoutSeconds)}`];
  if (step.bestEffort) flags.push('best effort');
  if (step.kind === 'gate') flags.push(`${step.required} of ${step.principals.join(', ')}`);
  if (step.kind === 'recover-wave') {
    const jobs = step.bootGroups.reduce((n, g) => n + g.batches.flat().length, 0);
    flags.push(
      `${step.bootGroups.length} boot group${step.bootGroups.length === 1 ? '' : 's'}, ${jobs} DRS job${jobs === 1 ? '' : 's'}`,
    );
  }
  return `[${step.phase}] ${step.title} (${flags.join(', ')})`;
}
