import { afterEach, describe, expect, it } from 'vitest';
import { ArcRoutingAdapter } from '../../../orchestrator/adapters/arc-routing-adapter.ts';
import { AwsCallError, ClusterUnreachableError } from '../../../orchestrator/domain/errors.ts';
import { type LocalAccount, startLocalAccount } from './local-account.ts';

let account: LocalAccount;
afterEach(() => account?.aws.stop());

/** Lifeboat's own role (the tooling account holds the cluster), on the local cluster's endpoints. */
async function connect(faults: string[] = []) {
  account = await startLocalAccount('bcbsaz', { faults });
  return new ArcRoutingAdapter({
    endpoints: account.aws.arcEndpoints(),
    credentials: async () => ({ accessKeyId: 'AKIALIFEBOAT', secretAccessKey: 'local' }),
  });
}

const arnOf = async (arc: ArcRoutingAdapter, name: string) =>
  (await arc.listControls()).find((c) => c.name === name)?.arn ?? '';

describe('ArcRoutingAdapter', () => {
  it('lists the routing controls with their states, through the first endpoint that answers', async () => {
    const arc = await connect();
    const controls = await arc.listControls();
    expect(controls.find((c) => c.name === 'bcbsaz-us-east-1')).toMatchObject({ state: 'On' });
    expect(controls.find((c) => c.name === 'bcbsaz-us-east-2')).toMatchObject({ state: 'Off' });
  });

  it('flips both controls in one call through the endpoints still up when us-east-1 and eu-west-1 are gone', async () => {
    // Prepare
    const arc = await connect(['region-down:us-east-1', 'region-down:eu-west-1']);
    const primary = await arnOf(arc, 'bcbsaz-us-east-1');
    const recovery = await arnOf(arc, 'bcbsaz-us-east-2');
    // Act
    const { endpoint } = await arc.update([
      { arn: recovery, state: 'On' },
      { arn: primary, state: 'Off' },
    ]);
    // Assess
    expect(['us-west-2', 'ap-southeast-2', 'ap-northeast-1']).toContain(endpoint);
    expect(await arc.stateOf(recovery)).toBe('On');
    expect(await arc.stateOf(primary)).toBe('Off');
    const truth = account.aws.estate.truth.filter((e) => e.type === 'routing-control');
    expect(truth.map((e) => [e.name, e.state, e.endpointRegion])).toEqual([
      ['bcbsaz-us-east-2', 'On', endpoint],
      ['bcbsaz-us-east-1', 'Off', endpoint],
    ]);
  });

  it('reports which endpoints answer', async () => {
    const arc = await connect(['region-down:us-east-1', 'region-down:ap-northeast-1']);
    const probes = await arc.probeEndpoints();
    expect(probes.filter((p) => p.ok).map((p) => p.region)).toEqual([
      'us-west-2',
      'eu-west-1',
      'ap-southeast-2',
    ]);
  });

  it("passes on ARC's refusal of a change that breaks the safety rule, and nothing changes", async () => {
    const arc = await connect();
    const primary = await arnOf(arc, 'bcbsaz-us-east-1');
    const error = await arc.update([{ arn: primary, state: 'Off' }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({ code: 'ConflictException', retryable: false });
    expect((error as AwsCallError).detail).toMatch(/bcbsaz-one-side-on/);
    expect(await arc.stateOf(primary)).toBe('On');
  });

  it('says which endpoint failed how when none answers', async () => {
    const arc = await connect(
      ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-southeast-2', 'ap-northeast-1'].map(
        (r) => `region-down:${r}`,
      ),
    );
    const error = await arc.listControls().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterUnreachableError);
    expect((error as ClusterUnreachableError).endpoints.map((e) => e.region)).toHaveLength(5);
    expect((error as Error).message).toMatch(
      /no endpoint of the ARC cluster served it \(us-east-1: /,
    );
  });
});
