/**
 * The local AWS under load, through the real SDK clients: DescribeJobs throughput and latency
 * with 20 jobs on record, DescribeSourceServers over 1,000 servers, and the memory the
 * simulators hold for 1,000 source servers. Figures are from one run on this machine.
 */

import {
  DescribeJobsCommand,
  DescribeSourceServersCommand,
  DrsClient,
  paginateDescribeSourceServers,
  StartRecoveryCommand,
} from '@aws-sdk/client-drs';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { PLAN_TAG_KEY } from '../orchestrator/domain/workload-access.ts';
import { startLocalAws } from '../sandbox/aws/local-aws.ts';
import { syntheticPlan } from '../sandbox/aws/synthetic-plan.ts';
import { percentile } from './planning.ts';

const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MB`;

function heap(): number {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed;
}

export async function benchLocalAws(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const plan = syntheticPlan(1000);
  const empty = await startLocalAws({ plans: [], speed: 0, dynamodb: false });
  await empty.stop();
  const before = heap();
  const aws = await startLocalAws({ plans: [plan], speed: 0, dynamodb: false });
  const seeded = heap();

  const local = { region: 'us-east-2', endpoint: aws.endpoints.drs, maxAttempts: 1 };
  const { Credentials: c } = await new STSClient({
    ...local,
    credentials: { accessKeyId: 'AKIALOCAL', secretAccessKey: 'x' },
  }).send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${plan.account.id}:role/${plan.account.roleName}`,
      RoleSessionName: 'bench',
      ExternalId: plan.account.externalId,
      // As a run's session: the recovery role acts on the plan's resources only.
      Tags: [{ Key: PLAN_TAG_KEY, Value: plan.customer.id }],
    }),
  );
  const drs = new DrsClient({
    ...local,
    credentials: { accessKeyId: c?.AccessKeyId ?? '', secretAccessKey: c?.SecretAccessKey ?? '' },
  });

  const ids: string[] = [];
  const listStart = performance.now();
  for await (const page of paginateDescribeSourceServers({ client: drs, pageSize: 100 }, {}))
    ids.push(...(page.items ?? []).map((s) => s.sourceServerID ?? ''));
  const listMs = performance.now() - listStart;
  for (let j = 0; j < 20; j++) {
    await drs.send(
      new StartRecoveryCommand({
        sourceServers: ids.slice(j * 25, j * 25 + 25).map((sourceServerID) => ({ sourceServerID })),
      }),
    );
  }
  const afterJobs = heap();

  for (let i = 0; i < 50; i++) await drs.send(new DescribeJobsCommand({})); // warm-up
  const times: number[] = [];
  const started = performance.now();
  const calls = 1000;
  for (let i = 0; i < calls; i++) {
    const t = performance.now();
    await drs.send(new DescribeJobsCommand({}));
    times.push(performance.now() - t);
  }
  const seconds = (performance.now() - started) / 1000;
  times.sort((a, b) => a - b);
  const one = performance.now();
  await drs.send(new DescribeSourceServersCommand({ maxResults: 1 }));
  const oneMs = performance.now() - one;
  await aws.stop();

  console.log('Local AWS, through the real DRS client (one process, sequential calls)');
  console.log(
    `  DescribeJobs (20 jobs, 500 servers): ${(calls / seconds).toFixed(0)} calls/s, p50 ${percentile(times, 50).toFixed(2)} ms, p99 ${percentile(times, 99).toFixed(2)} ms`,
  );
  console.log(
    `  DescribeSourceServers: all ${ids.length} servers in pages of 100 in ${listMs.toFixed(0)} ms; one server in ${oneMs.toFixed(1)} ms`,
  );
  console.log(
    `  memory: ${mb(seeded - before)} for 1,000 source servers and 2,000 instances; ${mb(afterJobs - seeded)} more with 20 jobs of 25 servers`,
  );
}
