import type { Plan } from '../../orchestrator/domain/plan.ts';
import { parsePlan } from '../../orchestrator/domain/plan-rules.ts';

/** A customer with `count` servers in one wave, for quota tests and benchmarks. */
export function syntheticPlan(count: number): Plan {
  const servers = Array.from({ length: count }, (_, i) => ({
    name: `big-${i}`,
    role: 'app',
    drs: { tags: { Name: `big-${i}` } },
    primary: {
      instanceId: `i-0a${i.toString(16).padStart(15, '0')}`,
      ip: `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`,
    },
    recovery: {
      instanceId: `i-0b${i.toString(16).padStart(15, '0')}`,
      ip: `10.2.${Math.floor(i / 250)}.${(i % 250) + 1}`,
    },
  }));
  return parsePlan(
    {
      version: 1,
      customer: { id: 'big', name: 'Big Health', productLine: 'HRP' },
      regions: { primary: 'us-east-1', recovery: 'us-east-2' },
      account: {
        id: '499999999999',
        roleName: 'LifeboatExecution',
        externalId: 'lifeboat-big-0001',
      },
      slack: { channels: ['C0BIG'] },
      targets: { rpo: '15m', rto: '4h' },
      access: { requesters: ['U01ALICE'], approvers: ['U02BOB'], signOff: ['U03CAROL'] },
      servers,
      waves: [{ name: 'all', servers: servers.map((s) => s.name) }],
    },
    'big',
  );
}
