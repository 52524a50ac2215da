import type { ServerRef } from '../domain/runbook.ts';
import type { SourceServerView } from '../ports/aws.ts';
import type { StepContext } from './context.ts';

export type Direction = 'to-recovery' | 'to-primary';

/** The DRS source servers replicating toward the recovery region, by plan server name. */
export async function forwardSources(
  ctx: StepContext,
  servers: readonly ServerRef[],
): Promise<Map<string, SourceServerView>> {
  const { recovery } = ctx.execution.runbook.regions;
  return ctx
    .services(recovery)
    .drs.findSourceServers(servers.map((s) => ({ name: s.name, drs: s.drs })));
}

/**
 * The reversed source servers, replicating back toward the primary region. They have new ids;
 * each is found by its origin: the recovery instance its forward server launched.
 */
export async function reversedSources(
  ctx: StepContext,
  servers: readonly ServerRef[],
): Promise<Map<string, SourceServerView>> {
  const { primary } = ctx.execution.runbook.regions;
  const forward = await forwardSources(ctx, servers);
  return ctx.services(primary).drs.findSourceServers(
    servers.map((s) => {
      const origin = forward.get(s.name)?.recoveryInstanceId;
      return { name: s.name, drs: s.drs, ...(origin ? { originInstanceId: origin } : {}) };
    }),
  );
}

export function sourcesFor(
  ctx: StepContext,
  servers: readonly ServerRef[],
  direction: Direction,
): Promise<Map<string, SourceServerView>> {
  return direction === 'to-recovery' ? forwardSources(ctx, servers) : reversedSources(ctx, servers);
}

/** Servers still in play: the operators may have chosen to continue without some. */
export function included<T extends { name: string }>(ctx: StepContext, servers: readonly T[]): T[] {
  const excluded = new Set(ctx.execution.excluded);
  return servers.filter((s) => !excluded.has(s.name));
}

/** The plan servers named, as the runbook's waves describe them. */
export function serverRefs(ctx: StepContext, names: readonly string[]): ServerRef[] {
  const all = new Map<string, ServerRef>();
  for (const step of ctx.execution.runbook.steps) {
    if (step.kind !== 'recover-wave') continue;
    for (const group of step.bootGroups)
      for (const server of group.servers) all.set(server.name, server);
  }
  return names.map((n) => all.get(n)).filter((r): r is ServerRef => Boolean(r));
}
