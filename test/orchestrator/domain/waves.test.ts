import { describe, expect, it } from 'vitest';
import { DRS_QUOTAS } from '../../../orchestrator/domain/settings.ts';
import { orderBootGroups, splitIntoBatches } from '../../../orchestrator/domain/waves.ts';
import { readSample } from '../../helpers.ts';

const LIMITS = {
  maxServersPerJob: DRS_QUOTAS.serversPerJob,
  maxConcurrentJobs: DRS_QUOTAS.concurrentJobs,
  maxServersInActiveJobs: DRS_QUOTAS.serversInActiveJobs,
};
const names = (n: number) => Array.from({ length: n }, (_, i) => `srv-${i}`);

describe('orderBootGroups', () => {
  it('boots dependencies first and keeps the wave listing order inside a group', () => {
    // Prepare
    const servers = [
      { name: 'web', dependsOn: ['app'] },
      { name: 'app', dependsOn: ['mq', 'db'] },
      { name: 'mq', dependsOn: [] },
      { name: 'batch', dependsOn: ['app'] },
      { name: 'db', dependsOn: [] },
    ];
    const plan = { servers } as never;
    // Act
    const groups = orderBootGroups(plan, { servers: ['web', 'batch', 'app', 'mq'] });
    // Assess: db is in an earlier wave, so only mq holds app back here
    expect(groups).toEqual([['mq'], ['app'], ['web', 'batch']]);
  });

  it('puts the bcbsaz application wave in three boot groups: queues, engines, batch', async () => {
    const plan = await readSample('bcbsaz');
    const wave = plan.waves.find((w) => w.name === 'application');
    const groups = orderBootGroups(plan, wave ?? { servers: [] });
    expect(groups.map((g) => g.length)).toEqual([2, 16, 4]);
    expect(groups[0]).toEqual(['bcbsaz-mq-01', 'bcbsaz-mq-02']);
    expect(groups[2]?.every((n) => n.startsWith('bcbsaz-batch'))).toBe(true);
  });

  it('refuses a cycle instead of looping', () => {
    const plan = {
      servers: [
        { name: 'a', dependsOn: ['b'] },
        { name: 'b', dependsOn: ['a'] },
      ],
    } as never;
    expect(() => orderBootGroups(plan, { servers: ['a', 'b'] })).toThrow(/cycle among a, b/);
  });
});

describe('splitIntoBatches', () => {
  it.each([
    // servers, jobs per batch, servers per job
    [1, [1], [1]],
    [44, [1], [44]],
    [100, [1], [100]],
    [101, [2], [51, 50]],
    [150, [2], [75, 75]],
    [500, [5], [100, 100, 100, 100, 100]],
    [501, [5, 1], [84, 84, 84, 83, 83, 83]],
    [2100, [5, 5, 5, 5, 1], null],
  ])('splits %i servers within DRS quotas', (count, jobsPerBatch, sizes) => {
    // Act
    const batches = splitIntoBatches(names(count), LIMITS);
    // Assess
    expect(batches.map((b) => b.length)).toEqual(jobsPerBatch);
    const jobs = batches.flat();
    if (sizes) expect(jobs.map((j) => j.length)).toEqual(sizes);
    expect(jobs.flat()).toEqual(names(count));
    for (const batch of batches) {
      expect(batch.length).toBeLessThanOrEqual(DRS_QUOTAS.concurrentJobs);
      expect(batch.flat().length).toBeLessThanOrEqual(DRS_QUOTAS.serversInActiveJobs);
      for (const job of batch) expect(job.length).toBeLessThanOrEqual(DRS_QUOTAS.serversPerJob);
    }
  });

  it('honours tighter limits from the settings', () => {
    const batches = splitIntoBatches(names(10), {
      maxServersPerJob: 3,
      maxConcurrentJobs: 2,
      maxServersInActiveJobs: 500,
    });
    expect(batches.map((b) => b.map((j) => j.length))).toEqual([
      [3, 3],
      [2, 2],
    ]);
  });

  it('gives nothing for no servers', () => {
    expect(splitIntoBatches([], LIMITS)).toEqual([]);
  });
});
