import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATE_APPROVE_ACTION, GATE_REJECT_ACTION } from '../../../bot/blocks/request-card.ts';
import type { BotDeps } from '../../../bot/deps.ts';
import { gateButton } from '../../../bot/listeners/actions/gate-button.ts';
import { drCommand } from '../../../bot/listeners/commands/dr-command.ts';
import { regionLockKey } from '../../../orchestrator/domain/incident.ts';
import { type LocalAws, startLocalAws } from '../../../sandbox/aws/local-aws.ts';
import { buttonArgs, commandArgs } from '../../support/bolt.ts';
import { ALICE, BOB, DAVE, ERIN, FRED, incidentWorld, OPS } from '../incident-world.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws({ plans: [], speed: 0 });
});
afterAll(() => aws.stop());

/** `/dr <text>` typed by the user in the channel; the private answer's text. */
async function type(deps: BotDeps, userId: string, text: string, channelId = OPS) {
  const { args, calls } = commandArgs(text, { userId, channelId });
  await drCommand(deps)(args);
  return String((calls.acks[0] as { text?: string } | undefined)?.text ?? '');
}

/** A click on the card's button; the private answer's text, if any. */
async function click(deps: BotDeps, userId: string, actionId: string, gateId: string) {
  const { args, calls } = buttonArgs(actionId, gateId, { userId, channelId: OPS });
  await gateButton(deps)(args);
  return (calls.responses as { text?: string }[]).map((r) => r.text ?? '').join('\n');
}

describe('/dr failover region', () => {
  it('starts one incident for a requester in the operations channel, holds the region, and audits it', async () => {
    // Prepare
    const world = await incidentWorld(aws.endpoints.dynamodb, 'region-request');
    // Act
    const answer = await type(
      world.deps(),
      ALICE,
      'failover region us-east-1 AWS says us-east-1 is down',
    );
    // Assess
    expect(world.started).toHaveLength(1);
    const { region, request } = world.started[0] as (typeof world.started)[0];
    expect(region).toBe('us-west-2');
    expect(request).toMatchObject({
      region: 'us-east-1',
      requestedBy: ALICE,
      requestedByName: 'alice',
      reason: 'AWS says us-east-1 is down',
      channel: OPS,
    });
    expect(answer).toContain(`incident \`${request.incidentId}\``);
    expect(answer).toMatch(/3 plans \(bcbsaz, nwhealth, shared-east\)/);
    expect(answer).toMatch(/2 approvers other than you/);
    expect(await world.coordinator.openIncident('us-east-1')).toBe(request.incidentId);
    expect(await world.store.auditLog(regionLockKey('us-east-1'))).toEqual([
      expect.objectContaining({ user: ALICE, action: 'region-request', allowed: true }),
    ]);
  });

  it('refuses a second request while the region has an open incident, naming it, and starts nothing', async () => {
    // Prepare
    const world = await incidentWorld(aws.endpoints.dynamodb, 'region-second');
    await type(world.deps(), ALICE, 'failover region us-east-1');
    const open = world.started[0]?.request.incidentId;
    // Act
    const answer = await type(world.deps(), DAVE, 'failover region us-east-1 again');
    // Assess
    expect(answer).toContain(`already open (${open})`);
    expect(answer).toContain(`/dr abort ${open}`);
    expect(world.started).toHaveLength(1);
    const audit = await world.store.auditLog(regionLockKey('us-east-1'));
    expect(audit.find((a) => !a.allowed)).toMatchObject({
      user: DAVE,
      allowed: false,
      detail: expect.stringContaining('already open'),
    });
  });

  it.each([
    [
      'a region with no plans',
      'eu-west-1',
      /No plan has eu-west-1 as its primary region.*the primaries are us-east-1, us-west-2/,
    ],
    ['a recovery region, no primary', 'us-east-2', /No plan has us-east-2 as its primary region/],
  ])(
    'refuses %s privately, starts nothing, takes no lock, and audits it',
    async (_, region, message) => {
      // Prepare
      const world = await incidentWorld(aws.endpoints.dynamodb, `region-none-${region}`);
      // Act
      const answer = await type(world.deps(), ALICE, `failover region ${region}`);
      // Assess
      expect(answer).toMatch(message);
      expect(world.started).toEqual([]);
      expect(await world.coordinator.openIncident(region as 'us-east-2')).toBeUndefined();
      // The fake clock stamps both alike: their order in the log is not theirs.
      const audit = await world.store.auditLog(regionLockKey(region));
      expect(audit).toHaveLength(2);
      expect(audit).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ action: 'region-request', allowed: true }),
          expect.objectContaining({
            action: 'region-request',
            allowed: false,
            detail: expect.stringMatching(message),
          }),
        ]),
      );
    },
  );

  it.each([
    [
      'a viewer',
      ERIN,
      OPS,
      /need the region-wide operator role \(regionWide\.requesters\), and you are a viewer/,
    ],
    ['someone with no region-wide role', 'U09ZED', OPS, /you have no region-wide role/],
    [
      'a requester in a customer’s channel',
      ALICE,
      'C0BCBSAZDR',
      /only in the operations channel <#C0DROPS>/,
    ],
  ])(
    'refuses a request by %s, starts nothing, and audits the refusal',
    async (_, user, channel, reason) => {
      // Prepare
      const world = await incidentWorld(aws.endpoints.dynamodb, `region-deny-${user}-${channel}`);
      // Act
      const answer = await type(world.deps(), user, 'failover region us-east-1', channel);
      // Assess
      expect(answer).toMatch(reason);
      expect(world.started).toEqual([]);
      expect(await world.store.auditLog(regionLockKey('us-east-1'))).toEqual([
        expect.objectContaining({ user, action: 'region-request', allowed: false, channel }),
      ]);
    },
  );

  it('says what to configure when region-wide operations are not, and starts nothing', async () => {
    // Prepare
    const world = await incidentWorld(aws.endpoints.dynamodb, 'region-unset');
    // Act
    const answer = await type(world.deps(null), ALICE, 'failover region us-east-1');
    // Assess
    expect(answer).toMatch(/not configured: add `regionWide`/);
    expect(world.started).toEqual([]);
  });

  it('refuses a region Lifeboat does not know before asking anyone', async () => {
    // Prepare
    const world = await incidentWorld(aws.endpoints.dynamodb, 'region-unknown');
    // Act
    const answer = await type(world.deps(), ALICE, 'failover region us-central-7');
    // Assess
    expect(answer).toMatch(/"us-central-7" is not a region Lifeboat knows/);
    expect(answer).toContain('Usage: `/dr failover region &lt;region&gt; [reason…]`');
    expect(world.started).toEqual([]);
    expect(await world.store.auditLog(regionLockKey('us-central-7'))).toEqual([]);
  });
});

describe('an incident’s approval, clicked', () => {
  it('takes two approvers other than the requester, refuses the requester and a viewer, and says when it is decided', async () => {
    // Prepare
    const world = await incidentWorld(aws.endpoints.dynamodb, 'region-approve');
    const deps = world.deps();
    await type(deps, DAVE, 'failover region us-east-1');
    const { incident, gate } = await world.prepare();
    // Act
    const byRequester = await click(deps, DAVE, GATE_APPROVE_ACTION, gate.gateId);
    const byViewer = await click(deps, ERIN, GATE_APPROVE_ACTION, gate.gateId);
    const first = await click(deps, BOB, GATE_APPROVE_ACTION, gate.gateId);
    const again = await click(deps, BOB, GATE_APPROVE_ACTION, gate.gateId);
    const second = await click(deps, FRED, GATE_APPROVE_ACTION, gate.gateId);
    const late = await click(deps, ALICE, GATE_REJECT_ACTION, gate.gateId);
    // Assess
    expect(byRequester).toBe(
      'You requested this incident, so you cannot approve it: a second person must.',
    );
    expect(byViewer).toMatch(/need the region-wide approver role/);
    expect(first).toBe('Recorded your approve: 1 of 2 approvals so far.');
    expect(again).toBe('<@U02BOB> already answered this approval.');
    expect(second).toBe('');
    expect(late).toMatch(/need the region-wide approver role/);
    expect(world.tokens).toEqual([
      {
        region: 'us-west-2',
        token: `token-${incident.incidentId}`,
        output: { kind: 'approval', decision: 'approve' },
      },
    ]);
    const audit = await world.store.auditLog(regionLockKey('us-east-1'));
    expect(
      audit
        .filter((a) => !a.allowed)
        .map((a) => a.user)
        .sort(),
    ).toEqual([ALICE, DAVE, ERIN]);
  });

  it('answers a click after the approval closed, or after the incident ended, without changing anything', async () => {
    // Prepare
    const world = await incidentWorld(aws.endpoints.dynamodb, 'region-closed');
    const deps = world.deps();
    await type(deps, ALICE, 'failover region us-east-1');
    const { incident, gate } = await world.prepare();
    await click(deps, BOB, GATE_APPROVE_ACTION, gate.gateId);
    await click(deps, DAVE, GATE_APPROVE_ACTION, gate.gateId);
    // Act
    const closed = await click(deps, FRED, GATE_APPROVE_ACTION, gate.gateId);
    await world.coordinator.applyApproval(incident.incidentId, 'reject');
    const ended = await click(deps, FRED, GATE_APPROVE_ACTION, gate.gateId);
    const unknown = await click(
      deps,
      FRED,
      GATE_APPROVE_ACTION,
      'incident-us-east-1-20990101-000000-zzzz/approval#1',
    );
    // Assess
    expect(closed).toBe('This approval was already decided; nothing changed.');
    expect(ended).toBe(
      `Incident \`${incident.incidentId}\` has ended (rejected); this button does nothing now.`,
    );
    expect(unknown).toBe(
      'This button belongs to an incident Lifeboat does not know; nothing changed.',
    );
    expect(world.tokens).toHaveLength(1);
  });

  it('lets the requester withdraw her own request with Reject: the incident is aborted', async () => {
    // Prepare
    const world = await incidentWorld(aws.endpoints.dynamodb, 'region-withdraw');
    const deps = world.deps();
    await type(deps, ALICE, 'failover region us-east-1');
    const { incident, gate } = await world.prepare();
    // Act
    const answer = await click(deps, ALICE, GATE_REJECT_ACTION, gate.gateId);
    // Assess
    expect(answer).toContain('You withdrew your request');
    const after = await world.coordinator.getIncident(incident.incidentId);
    expect(after).toMatchObject({ abortRequested: true, abortRequestedBy: ALICE });
    expect(world.tokens).toEqual([
      expect.objectContaining({ output: { kind: 'approval', decision: 'abort' } }),
    ]);
  });
});

describe('/dr status region and /dr abort <incident>', () => {
  it('shows the open incident plan by plan, then the latest ones once it has ended', async () => {
    // Prepare
    const world = await incidentWorld(aws.endpoints.dynamodb, 'region-status');
    const deps = world.deps();
    await type(deps, ALICE, 'failover region us-east-1');
    const id = world.started[0]?.request.incidentId ?? '';
    // Act
    const preparing = await type(deps, ERIN, 'status region us-east-1');
    await world.prepare();
    const open = await type(deps, ERIN, 'status region us-east-1');
    const byId = await type(deps, ERIN, `status ${id}`);
    await world.coordinator.applyApproval(id, 'reject');
    const after = await type(deps, ERIN, 'status region us-east-1');
    const none = await type(deps, ERIN, 'status region us-west-2');
    const elsewhere = await type(deps, ERIN, 'status region us-east-1', 'C0BCBSAZDR');
    // Assess
    expect(preparing).toMatch(new RegExp(`Incident \`${id}\` of us-east-1 is preparing`));
    expect(open).toContain('Awaiting approval');
    expect(open.split('\n').filter((l) => /^:hourglass_flowing_sand: \*/.test(l))).toHaveLength(3);
    expect(open).toMatch(/\*Shared services East\*|`shared-east`/);
    expect(open).toContain('3 plans: 3 waiting');
    expect(byId).toBe(open);
    expect(after).toMatch(
      new RegExp(
        `No region-wide incident of us-east-1 is open\\. The latest:\\n• .*\`${id}\`: rejected, 0/3 plans recovered`,
      ),
    );
    expect(none).toBe('No region-wide incident of us-west-2 is open, and none ran yet.');
    expect(elsewhere).toMatch(/only in the operations channel/);
  });

  it('aborts the whole incident for a requester, once, and leaves a customer’s run command as it was', async () => {
    // Prepare
    const world = await incidentWorld(aws.endpoints.dynamodb, 'region-abort');
    const deps = world.deps();
    await type(deps, ALICE, 'failover region us-east-1');
    const { incident } = await world.prepare();
    const id = incident.incidentId;
    // Act
    const byViewer = await type(deps, ERIN, `abort ${id}`);
    const first = await type(deps, DAVE, `abort ${id}`);
    const second = await type(deps, DAVE, `abort ${id}`);
    const pause = await type(deps, DAVE, `pause ${id}`);
    const report = await type(deps, DAVE, `report ${id}`);
    const unknown = await type(deps, DAVE, 'abort incident-us-east-1-20990101-000000-zzzz');
    // Assess
    expect(byViewer).toMatch(
      /To abort a region-wide incident you need the region-wide operator role/,
    );
    expect(first).toMatch(
      new RegExp(`^Incident \`${id}\` of us-east-1 aborts: no more plans start`),
    );
    expect(second).toBe(`Incident \`${id}\` is already aborting.`);
    expect(pause).toMatch(/cannot pause as a whole/);
    expect(report).toMatch(/^An incident's report is linked in its final message/);
    expect(unknown).toMatch(/Incident "incident-us-east-1-20990101-000000-zzzz" was not found/);
    expect(await world.coordinator.getIncident(id)).toMatchObject({
      abortRequested: true,
      abortRequestedBy: DAVE,
    });
    // The open approval closed as an abort: the state machine goes on to end the incident.
    expect(world.tokens).toEqual([
      expect.objectContaining({ output: { kind: 'approval', decision: 'abort' } }),
    ]);
  });
});
