import { run } from './test/e2e/run-helpers.ts';

for (let i = 0; i < 4; i++) {
  const r = await run('failover', 'dmnt', { fault: ['throttle:0.3'], seed: '5' });
  console.log(r.summary.outcome);
  if (r.summary.outcome !== 'succeeded')
    console.log(
      r.lines
        .filter((l) => /fail|abort|Retry/.test(l))
        .slice(0, 6)
        .join('\n'),
    );
}
