import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../sandbox/aws/clock.ts';
import { AwsError } from '../../../sandbox/aws/errors.ts';
import { Estate } from '../../../sandbox/aws/estate.ts';
import { FaultSet } from '../../../sandbox/aws/faults.ts';
import { SeededRandom } from '../../../sandbox/aws/random.ts';
import {
  ArcState,
  type ControlState,
  type RuleConfig,
  type StateChange,
  satisfiesRule,
} from '../../../sandbox/aws/services/arc-state.ts';
import { samplePlans } from './harness.ts';

/** The model alone, on the sample plans and a still clock: no server, no other service. */
async function world(seed = 7): Promise<{ estate: Estate; arc: ArcState }> {
  const clock = new VirtualClock({ speed: 0, start: Date.parse('2026-03-01T09:00:00Z') });
  const faults = new FaultSet([], () => clock.now());
  const estate = new Estate({ clock, random: new SeededRandom(seed), faults });
  estate.seed(await samplePlans());
  return { estate, arc: new ArcState(estate) };
}

function arnOf(arc: ArcState, customerId: string, region: string): string {
  const arn = arc.controlArn(customerId, region);
  if (!arn) throw new Error(`no control for ${customerId} in ${region}`);
  return arn;
}

function refusal(act: () => unknown): AwsError {
  try {
    act();
  } catch (error) {
    if (error instanceof AwsError) return error;
    throw error;
  }
  throw new Error('the update was applied');
}

describe('satisfiesRule, as ARC evaluates a RuleConfig', () => {
  const on = (n: number, of: number): ControlState[] =>
    Array.from({ length: of }, (_, i) => (i < n ? 'On' : 'Off'));
  const cases: [string, RuleConfig, ControlState[], boolean][] = [
    ['ATLEAST 1 of 2, one On', { Type: 'ATLEAST', Threshold: 1, Inverted: false }, on(1, 2), true],
    [
      'ATLEAST 1 of 2, none On',
      { Type: 'ATLEAST', Threshold: 1, Inverted: false },
      on(0, 2),
      false,
    ],
    ['ATLEAST 2 of 3, one On', { Type: 'ATLEAST', Threshold: 2, Inverted: false }, on(1, 3), false],
    ['ATLEAST 2 of 3, two On', { Type: 'ATLEAST', Threshold: 2, Inverted: false }, on(2, 3), true],
    [
      'ATLEAST 2 inverted, one On',
      { Type: 'ATLEAST', Threshold: 2, Inverted: true },
      on(1, 3),
      true,
    ],
    [
      'ATLEAST 2 inverted, two On',
      { Type: 'ATLEAST', Threshold: 2, Inverted: true },
      on(2, 3),
      false,
    ],
    ['AND, all On', { Type: 'AND', Threshold: 0, Inverted: false }, on(3, 3), true],
    ['AND, one Off', { Type: 'AND', Threshold: 0, Inverted: false }, on(2, 3), false],
    ['AND inverted, one Off', { Type: 'AND', Threshold: 0, Inverted: true }, on(2, 3), true],
    ['OR, one On', { Type: 'OR', Threshold: 0, Inverted: false }, on(1, 3), true],
    ['OR, none On', { Type: 'OR', Threshold: 0, Inverted: false }, on(0, 3), false],
    ['OR inverted, none On', { Type: 'OR', Threshold: 0, Inverted: true }, on(0, 3), true],
    ['OR inverted, one On', { Type: 'OR', Threshold: 0, Inverted: true }, on(1, 3), false],
  ];
  it.each(cases)('%s', (_, config, states, expected) => {
    expect(satisfiesRule(config, states)).toBe(expected);
  });
});

describe('ArcState seeding', () => {
  it('seeds a panel per region pair, two controls per plan with DNS (primary On) and a one-side-on rule', async () => {
    // Prepare
    const { arc } = await world();
    // Act
    const controls = arc.list().map((c) => ({
      name: c.name,
      state: c.state,
      panel: arc.panel(c.panelArn)?.name,
    }));
    const rule = arc.ruleNamed('bcbsaz-one-side-on');
    // Assess
    expect(arc.cluster).toMatchObject({ name: 'lifeboat', account: '000000000000' });
    expect(arc.cluster.arn).toMatch(
      /^arn:aws:route53-recovery-control::000000000000:cluster\/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/,
    );
    expect(arc.listPanels().map((p) => p.name)).toEqual([
      'lifeboat-us-east-1-us-east-2',
      'lifeboat-us-west-2-us-west-1',
    ]);
    expect(controls.sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: 'bcbsaz-us-east-1', state: 'On', panel: 'lifeboat-us-east-1-us-east-2' },
      { name: 'bcbsaz-us-east-2', state: 'Off', panel: 'lifeboat-us-east-1-us-east-2' },
      { name: 'dmnt-us-west-1', state: 'Off', panel: 'lifeboat-us-west-2-us-west-1' },
      { name: 'dmnt-us-west-2', state: 'On', panel: 'lifeboat-us-west-2-us-west-1' },
      { name: 'nwhealth-us-east-1', state: 'On', panel: 'lifeboat-us-east-1-us-east-2' },
      { name: 'nwhealth-us-east-2', state: 'Off', panel: 'lifeboat-us-east-1-us-east-2' },
    ]);
    expect(rule).toMatchObject({
      kind: 'assertion',
      asserted: [arnOf(arc, 'bcbsaz', 'us-east-1'), arnOf(arc, 'bcbsaz', 'us-east-2')],
      config: { Type: 'ATLEAST', Threshold: 1, Inverted: false },
    });
    expect(arc.listRules()).toHaveLength(3);
    expect(arnOf(arc, 'bcbsaz', 'us-east-1')).toMatch(
      /^arn:aws:route53-recovery-control::000000000000:controlpanel\/[0-9a-f]{32}\/routingcontrol\/[0-9a-f]{16}$/,
    );
    expect(rule?.arn).toMatch(/controlpanel\/[0-9a-f]{32}\/safetyrule\/[0-9a-f]{16}$/);
  });

  it('draws the same ARNs for the same seed and others for another seed', async () => {
    const arns = async (seed: number) => {
      const { arc } = await world(seed);
      return [
        arc.cluster.arn,
        ...arc.list().map((c) => c.arn),
        ...arc.listRules().map((r) => r.arn),
      ];
    };
    const [first, again, other] = await Promise.all([arns(7), arns(7), arns(8)]);
    expect(again).toEqual(first);
    // Pinned: another run of the same seed, or a later change to how ids are drawn, must not move them.
    const { arc } = await world(7);
    expect(arc.controlArn('bcbsaz', 'us-east-1')).toBe(
      'arn:aws:route53-recovery-control::000000000000:controlpanel/789fdee5779fdd52769fdbbf759fda2c/routingcontrol/8012c1e08112c373',
    );
    expect(other.some((arn) => first.includes(arn))).toBe(false);
  });
});

describe('ArcState updates', () => {
  it('flips primary Off and recovery On in one update: both applied, recorded, listeners told once', async () => {
    // Prepare
    const { estate, arc } = await world();
    const primary = arnOf(arc, 'bcbsaz', 'us-east-1');
    const recovery = arnOf(arc, 'bcbsaz', 'us-east-2');
    const told: StateChange[][] = [];
    arc.onChange((changes) => told.push(changes));
    // Act
    arc.update(
      [
        { arn: primary, state: 'Off' },
        { arn: recovery, state: 'On' },
      ],
      { endpointRegion: 'us-west-2' },
    );
    // Assess
    expect([arc.stateOf(primary), arc.stateOf(recovery)]).toEqual(['Off', 'On']);
    expect(told).toHaveLength(1);
    expect(told[0]?.map((c) => [c.arn, c.state])).toEqual([
      [primary, 'Off'],
      [recovery, 'On'],
    ]);
    expect(estate.truth.filter((e) => e.type === 'routing-control')).toMatchObject([
      {
        arn: primary,
        name: 'bcbsaz-us-east-1',
        customerId: 'bcbsaz',
        region: 'us-east-1',
        state: 'Off',
        endpointRegion: 'us-west-2',
      },
      {
        arn: recovery,
        name: 'bcbsaz-us-east-2',
        customerId: 'bcbsaz',
        region: 'us-east-2',
        state: 'On',
        endpointRegion: 'us-west-2',
      },
    ]);
  });

  it('refuses primary Off alone with a ConflictException naming the rule, and changes nothing', async () => {
    // Prepare
    const { estate, arc } = await world();
    const primary = arnOf(arc, 'bcbsaz', 'us-east-1');
    let told = 0;
    arc.onChange(() => told++);
    // Act
    const error = refusal(() =>
      arc.update([{ arn: primary, state: 'Off' }], { endpointRegion: 'us-west-2' }),
    );
    // Assess
    expect(error.code).toBe('ConflictException');
    expect(error.status).toBe(409);
    expect(error.message).toBe(
      'Setting bcbsaz-us-east-1 Off would leave bcbsaz with no side On: safety rule bcbsaz-one-side-on requires at least 1 of [bcbsaz-us-east-1, bcbsaz-us-east-2] On',
    );
    expect(error.fields).toEqual({
      resourceId: arc.ruleNamed('bcbsaz-one-side-on')?.arn,
      resourceType: 'SafetyRule',
    });
    expect(arc.stateOf(primary)).toBe('On');
    expect(told).toBe(0);
    expect(estate.truth.filter((e) => e.type === 'routing-control')).toEqual([]);
  });

  it('applies primary Off alone when the rule is overridden', async () => {
    const { arc } = await world();
    const primary = arnOf(arc, 'bcbsaz', 'us-east-1');
    const rule = arc.ruleNamed('bcbsaz-one-side-on')?.arn ?? '';
    arc.update([{ arn: primary, state: 'Off' }], { endpointRegion: 'eu-west-1', override: [rule] });
    expect(arc.stateOf(primary)).toBe('Off');
  });

  it('refuses a batch all or nothing when one entry is unknown', async () => {
    const { arc } = await world();
    const recovery = arnOf(arc, 'bcbsaz', 'us-east-2');
    const error = refusal(() =>
      arc.update(
        [
          { arn: recovery, state: 'On' },
          { arn: `${recovery}0`, state: 'On' },
        ],
        { endpointRegion: 'us-west-2' },
      ),
    );
    expect(error.code).toBe('ResourceNotFoundException');
    expect(arc.stateOf(recovery)).toBe('Off');
  });

  it('lets a gating rule block its targets until its gate is On, and reads the gate before the update', async () => {
    // Prepare
    const { arc } = await world();
    const primary = arnOf(arc, 'bcbsaz', 'us-east-1');
    const recovery = arnOf(arc, 'bcbsaz', 'us-east-2');
    const panelArn = arc.control(primary)?.panelArn ?? '';
    const gate = arc.addControl(panelArn, 'bcbsaz-failover-allowed', 'Off');
    arc.addGatingRule({
      panelArn,
      name: 'bcbsaz-failover-gate',
      gating: [gate.arn],
      targets: [primary, recovery],
      config: { Type: 'OR', Threshold: 1, Inverted: false },
    });
    const flip = () =>
      arc.update(
        [
          { arn: primary, state: 'Off' },
          { arn: recovery, state: 'On' },
        ],
        { endpointRegion: 'us-west-2' },
      );
    // Act
    const closed = refusal(flip);
    const sameBatch = refusal(() =>
      arc.update(
        [
          { arn: gate.arn, state: 'On' },
          { arn: recovery, state: 'On' },
        ],
        { endpointRegion: 'us-west-2' },
      ),
    );
    arc.update([{ arn: gate.arn, state: 'On' }], { endpointRegion: 'us-west-2' });
    flip();
    // Assess
    expect(closed.code).toBe('ConflictException');
    expect(closed.message).toContain(
      'safety rule bcbsaz-failover-gate requires at least one of [bcbsaz-failover-allowed] On',
    );
    expect(sameBatch.code).toBe('ConflictException');
    expect([arc.stateOf(primary), arc.stateOf(recovery)]).toEqual(['Off', 'On']);
  });
});
