import { formatDuration } from './duration.ts';
import type { Hook, Operation, Plan } from './plan.ts';
import { planRunbook } from './plan-runbook.ts';
import type { Runbook } from './runbook.ts';
import type { RunbookSettings } from './settings.ts';
import { orderBootGroups, serversByName } from './waves.ts';

export interface WaveOverview {
  name: string;
  timeout: string;
  servers: {
    name: string;
    role: string;
    critical: boolean;
    bootGroup: number;
    dependsOn: string[];
  }[];
  healthChecks: string[];
  preHooks: string[];
  postHooks: string[];
}

export interface PlanOverview {
  customer: Plan['customer'];
  regions: Plan['regions'];
  targets: { rpo: string; rto: string };
  drillMode: Plan['drill']['mode'];
  serverCount: number;
  waves: WaveOverview[];
  runbooks: Partial<Record<Operation, Runbook['steps']>>;
}

/** The operations a plan supports: bubble drills only with an isolated network. */
export function operationsOf(plan: Plan): Operation[] {
  return plan.drill.isolated
    ? ['drill', 'bubble-drill', 'failover', 'failback']
    : ['drill', 'failover', 'failback'];
}

export function describeHook(hook: Hook): string {
  const what =
    hook.kind === 'ssm-document'
      ? `SSM ${hook.document}`
      : hook.kind === 'lambda'
        ? `Lambda ${hook.function}`
        : hook.kind === 'stack'
          ? `stack ${hook.action} ${hook.stackName}`
          : 'manual';
  return `${hook.name} (${what}; ${hook.phases.join(', ')}${hook.optional ? '; optional' : ''})`;
}

/** What `plan show` and the bot's `/dr plan` present: waves in boot order and each runbook. */
export function describePlan(
  plan: Plan,
  settings?: RunbookSettings,
  only?: Operation,
): PlanOverview {
  const byName = serversByName(plan);
  const runbooks: PlanOverview['runbooks'] = {};
  for (const op of only ? [only] : operationsOf(plan))
    runbooks[op] = planRunbook(plan, op, settings).steps;
  return {
    customer: plan.customer,
    regions: plan.regions,
    targets: { rpo: formatDuration(plan.targets.rpo), rto: formatDuration(plan.targets.rto) },
    drillMode: plan.drill.mode,
    serverCount: plan.servers.length,
    waves: plan.waves.map((wave) => ({
      name: wave.name,
      timeout: formatDuration(wave.timeout),
      servers: orderBootGroups(plan, wave).flatMap((group, g) =>
        group.map((name) => {
          const server = byName.get(name);
          return {
            name,
            role: server?.role ?? '',
            critical: server?.critical ?? true,
            bootGroup: g + 1,
            dependsOn: server?.dependsOn ?? [],
          };
        }),
      ),
      healthChecks: wave.healthChecks.map((c) =>
        c.kind === 'ssm-document' ? `ssm-document ${c.document}` : c.kind,
      ),
      preHooks: wave.preHooks.map(describeHook),
      postHooks: wave.postHooks.map(describeHook),
    })),
    runbooks,
  };
}
