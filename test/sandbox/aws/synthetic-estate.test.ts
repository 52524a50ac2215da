import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeSourceServersCommand, DrsClient } from '@aws-sdk/client-drs';
import { describe, expect, it } from 'vitest';
import { FilePlanSource } from '../../../orchestrator/adapters/config-files.ts';
import { checkPlanSet } from '../../../orchestrator/domain/plan-set.ts';
import { planRecoveryOrder } from '../../../orchestrator/domain/recovery-order.ts';
import {
  SHARED_ID,
  syntheticEstate,
  writeSyntheticEstate,
} from '../../../sandbox/aws/synthetic-estate.ts';
import { assumeCustomer, clientConfig, startSampleAws } from './harness.ts';

describe('the synthetic estate', () => {
  const plans = syntheticEstate();
  const customers = plans.filter((p) => p.kind === 'customer');

  it('has 30 customers of 10 to 44 servers, 900 in all, and one shared-services plan', () => {
    // Act
    const sizes = customers.map((p) => p.servers.length);
    // Assess
    expect(customers).toHaveLength(30);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(44);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(900);
    expect(new Set(sizes).size).toBeGreaterThan(10);
    expect(plans.filter((p) => p.kind === 'shared-services').map((p) => p.customer.id)).toEqual([
      SHARED_ID,
    ]);
  });

  it('puts 10 customers and 300 servers in each of 3 recovery accounts, all us-east-1 -> us-east-2', () => {
    // Act
    const perAccount = new Map<string, [customers: number, servers: number]>();
    for (const p of customers) {
      const [c, s] = perAccount.get(p.account.id) ?? [0, 0];
      perAccount.set(p.account.id, [c + 1, s + p.servers.length]);
    }
    // Assess
    expect([...perAccount.values()]).toEqual([
      [10, 300],
      [10, 300],
      [10, 300],
    ]);
    expect(new Set(plans.map((p) => `${p.regions.primary}>${p.regions.recovery}`))).toEqual(
      new Set(['us-east-1>us-east-2']),
    );
  });

  it('spreads priorities 1 to 5, every customer after the shared services, a few after another', () => {
    // Act
    const priorities = new Set(customers.map((p) => p.priority));
    const between = customers.flatMap((p) => p.after.filter((a) => a.plan !== SHARED_ID));
    // Assess
    expect([...priorities].sort()).toEqual([1, 2, 3, 4, 5]);
    expect(customers.every((p) => p.after.some((a) => a.plan === SHARED_ID))).toBe(true);
    expect(between.length).toBeGreaterThanOrEqual(2);
  });

  it('is a valid set that starts with the shared services', () => {
    // Act
    const problems = checkPlanSet(plans);
    const [first] = planRecoveryOrder(plans, 'us-east-1');
    // Assess
    expect(problems).toEqual([]);
    expect(first?.customerId).toBe(SHARED_ID);
  });

  it('gives the same plans for a seed, and others for another seed', () => {
    // Act
    const again = syntheticEstate({ seed: 1 });
    const other = syntheticEstate({ seed: 2 });
    // Assess
    expect(again).toEqual(plans);
    expect(other.map((p) => p.servers.length)).not.toEqual(plans.map((p) => p.servers.length));
  });

  it('takes its size from the options', () => {
    // Act
    const small = syntheticEstate({ customers: 6, accounts: 2, seed: 7 });
    // Assess
    expect(small).toHaveLength(7);
    expect(new Set(small.filter((p) => p.kind === 'customer').map((p) => p.account.id)).size).toBe(
      2,
    );
    expect(checkPlanSet(small)).toEqual([]);
  });

  it('writes one valid file per plan into a folder', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'lifeboat-estate-'));
    // Act
    await writeSyntheticEstate(dir);
    const loaded = await new FilePlanSource(dir).loadAll();
    // Assess
    expect(await readdir(dir)).toHaveLength(31);
    expect(loaded.map((p) => p.customer.id)).toEqual(plans.map((p) => p.customer.id).sort());
  });

  it('seeds the local AWS, where ten customers share each recovery account', async () => {
    // Prepare
    const started = performance.now();
    const aws = await startSampleAws({ plans });
    const seconds = (performance.now() - started) / 1000;
    try {
      const [first, second] = customers.filter((p) => p.account.id === customers[0]?.account.id);
      if (!first || !second) throw new Error('no two customers share an account');
      // Act
      const seen: string[] = [];
      const drs = new DrsClient(clientConfig(aws, 'us-east-2', await assumeCustomer(aws, second)));
      let nextToken: string | undefined;
      do {
        const page = await drs.send(new DescribeSourceServersCommand({ nextToken }));
        seen.push(...(page.items ?? []).map((s) => s.tags?.customer ?? ''));
        nextToken = page.nextToken;
      } while (nextToken);
      // Assess
      expect(await assumeCustomer(aws, first)).toHaveProperty('accessKeyId');
      expect(seen).toHaveLength(300);
      expect(new Set(seen).size).toBe(10);
      expect(aws.estate.instances.size).toBe(2 * 907);
      expect(seconds).toBeLessThan(5);
    } finally {
      await aws.stop();
    }
  });
});
