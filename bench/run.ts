/**
 * `npm run bench`: every benchmark, one after the other, each reporting its own figures.
 * `npm run bench -- slack-ingress` runs only the ones named.
 */
import { benchIngressFuzz } from './ingress-fuzz.ts';
import { benchLocalAws } from './local-aws.ts';
import { benchOrchestration } from './orchestration.ts';
import { benchPlanning } from './planning.ts';
import { benchRegion } from './region.ts';
import { benchSlackIngress } from './slack-ingress.ts';

const BENCHMARKS: Record<string, () => Promise<void>> = {
  planning: benchPlanning,
  'local-aws': benchLocalAws,
  orchestration: benchOrchestration,
  'slack-ingress': benchSlackIngress,
  'ingress-fuzz': benchIngressFuzz,
  region: benchRegion,
};

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const names = process.argv.slice(2);
const unknown = names.filter((name) => !(name in BENCHMARKS));
if (unknown.length > 0) {
  console.error(
    `Unknown benchmark ${unknown.join(', ')}: choose from ${Object.keys(BENCHMARKS).join(', ')}`,
  );
  process.exit(2);
}
for (const [i, name] of (names.length > 0 ? names : Object.keys(BENCHMARKS)).entries()) {
  if (i > 0) console.log('');
  await BENCHMARKS[name]?.();
}
