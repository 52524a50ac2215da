import type { Plan, Side } from './plan.ts';
import { routingControlName } from './routing.ts';
import type { DnsChange, PreflightCheck, Step, StepOf } from './runbook.ts';
import type { RunbookSettings } from './settings.ts';
import type { serversByName } from './waves.ts';

type Servers = ReturnType<typeof serversByName>;

/** The customer's two routing controls: `on`'s region On, the other's Off. */
function routingTo(plan: Plan, on: Side): { name: string; state: 'On' | 'Off' }[] {
  const off: Side = on === 'primary' ? 'recovery' : 'primary';
  return [
    { name: routingControlName(plan.customer.id, plan.regions[on]), state: 'On' },
    { name: routingControlName(plan.customer.id, plan.regions[off]), state: 'Off' },
  ];
}

/**
 * What pre-flight checks of the plan's DNS before a run that makes `active` the active side:
 * the zones; for failover records, the routing controls (as they read now: where traffic is)
 * and the record sets; for change-mode records in a plan whose primary is us-east-1, a warning
 * (they need Route 53's control plane, which lives in us-east-1 alone). Nothing for a bubble drill.
 */
export function dnsReadiness(plan: Plan, active: Side, bubble: boolean) {
  const dns = bubble ? undefined : plan.dns;
  const failover = (dns?.records ?? []).filter((r) => r.mode === 'failover');
  const change = (dns?.records ?? []).filter((r) => r.mode === 'change');
  const routing =
    failover.length > 0 ? routingTo(plan, active === 'recovery' ? 'primary' : 'recovery') : [];
  const risk = change.length > 0 && plan.regions.primary === 'us-east-1';
  const checks: PreflightCheck[] = [
    ...(dns ? (['dns-zones'] as const) : []),
    ...(routing.length > 0 ? (['routing-controls', 'failover-records'] as const) : []),
    ...(risk ? (['dns-control-plane'] as const) : []),
  ];
  return {
    checks,
    advisory: risk ? (['dns-control-plane'] as const) : [],
    fields: {
      zones: dns ? [dns.zones.primary, dns.zones.recovery] : [],
      routing,
      failoverRecords: failover.map((r) => r.name),
      changeRecords: change.map((r) => r.name),
    } satisfies Pick<
      StepOf<'preflight'>,
      'zones' | 'routing' | 'failoverRecords' | 'changeRecords'
    >,
  };
}

/**
 * The step that points the plan's DNS at `target`: failover records by the routing controls,
 * change-mode records rewritten in both zones.
 */
export function dnsSteps(
  plan: Plan,
  servers: Servers,
  settings: RunbookSettings,
  hookPhase: 'failover' | 'failback',
  target: Side,
): Step[] {
  const dns = plan.dns;
  if (!dns || dns.records.length === 0) return [];
  const changes: DnsChange[] = [];
  for (const zoneId of [dns.zones.primary, dns.zones.recovery]) {
    for (const record of dns.records.filter((r) => r.mode === 'change')) {
      const value = record.server ? servers.get(record.server)?.[target].ip : record[target];
      changes.push({
        zoneId,
        name: record.name,
        type: record.type,
        ttl: record.ttl,
        value: value ?? '',
      });
    }
  }
  const count = dns.records.length;
  return [
    {
      kind: 'dns',
      id: `${hookPhase}.dns`,
      title: `Point ${count} DNS record${count === 1 ? '' : 's'} at ${plan.regions[target]}`,
      phase: hookPhase,
      region: plan.regions[target],
      bestEffort: false,
      timeoutSeconds: settings.dnsTimeout,
      target,
      changes,
      routing: dns.records.some((r) => r.mode === 'failover') ? routingTo(plan, target) : [],
      records: count,
    },
  ];
}
