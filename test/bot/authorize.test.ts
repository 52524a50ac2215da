import { beforeAll, describe, expect, it } from 'vitest';
import {
  type Action,
  authorize,
  authorizeRegionWide,
  type RegionAction,
  type Role,
  regionRoleOf,
  roleOf,
} from '../../bot/authorize.ts';
import { FilePlanSource } from '../../orchestrator/adapters/config-files.ts';
import type { Plan } from '../../orchestrator/domain/plan.ts';
import { SAMPLE_PLANS } from '../helpers.ts';

const source = new FilePlanSource(SAMPLE_PLANS);
const plans = new Map<string, Plan>();
const ADMINS = ['U09ADMIN', 'S0LIFEBOATADMINS'];

beforeAll(async () => {
  for (const id of await source.listCustomers()) plans.set(id, (await source.loadPlan(id)).plan);
});

function plan(id: string): Plan {
  const found = plans.get(id);
  if (!found) throw new Error(`no sample plan ${id}`);
  return found;
}

const user = (id: string, ...groups: string[]) => ({ id, groups });

describe('roleOf', () => {
  it.each<[string, string, string[], Role | undefined]>([
    ['bcbsaz', 'U01ALICE', [], 'operator'],
    ['bcbsaz', 'U77NEW', ['S0HRPOPS'], 'operator'],
    ['bcbsaz', 'U02BOB', [], 'approver'],
    ['bcbsaz', 'U77NEW', ['S0HRPOPS', 'S0HRPDRLEADS'], 'approver'],
    ['bcbsaz', 'U77NEW', ['S0HRPSUPPORT'], 'viewer'],
    ['bcbsaz', 'U03CAROL', [], 'viewer'],
    ['bcbsaz', 'U77NEW', [], undefined],
    ['bcbsaz', 'U09ADMIN', [], 'admin'],
    ['bcbsaz', 'U77NEW', ['S0LIFEBOATADMINS'], 'admin'],
    ['dmnt', 'U77NEW', ['S0HRPSUPPORT'], undefined],
    ['nwhealth', 'U01ALICE', [], undefined],
    ['nwhealth', 'U07GRACE', [], 'approver'],
    ['nwhealth', 'U77NEW', ['S0GCOPS'], 'operator'],
  ])('%s: %s in %j is %s', (customer, id, groups, expected) => {
    expect(roleOf(plan(customer), user(id, ...groups), ADMINS)).toBe(expected);
  });
});

describe('authorize', () => {
  type Case = [
    customer: string,
    who: ReturnType<typeof user>,
    channel: string,
    action: Action,
    expected: true | RegExp,
  ];
  const cases: Case[] = [
    // Channel first: even an admin acts only in the customer's channels.
    ['bcbsaz', user('U09ADMIN'), 'C0DMNTDR', 'view', /only in <#C0BCBSAZDR> or <#C0HRPDROPS>/],
    ['bcbsaz', user('U01ALICE'), 'D0DIRECT', 'request', /only in/],
    ['bcbsaz', user('U01ALICE'), 'C0BCBSAZDR', 'request', true],
    ['bcbsaz', user('U01ALICE'), 'C0HRPDROPS', 'abort', true],
    ['bcbsaz', user('U77NEW', 'S0HRPOPS'), 'C0BCBSAZDR', 'decide', true],
    ['bcbsaz', user('U77NEW', 'S0HRPSUPPORT'), 'C0BCBSAZDR', 'view', true],
    [
      'bcbsaz',
      user('U77NEW', 'S0HRPSUPPORT'),
      'C0BCBSAZDR',
      'request',
      /need the operator role, and you are a viewer/,
    ],
    [
      'bcbsaz',
      user('U77NEW', 'S0HRPSUPPORT'),
      'C0BCBSAZDR',
      'pause',
      /pause runs of BCBS of Arizona/,
    ],
    ['bcbsaz', user('U77NEW'), 'C0BCBSAZDR', 'view', /you have no role on it/],
    [
      'bcbsaz',
      user('U01ALICE'),
      'C0BCBSAZDR',
      'approve',
      /need the approver role, and you are an operator/,
    ],
    ['bcbsaz', user('U02BOB'), 'C0BCBSAZDR', 'approve', true],
    ['bcbsaz', user('U77NEW', 'S0HRPDRLEADS'), 'C0BCBSAZDR', 'approve', true],
    ['bcbsaz', user('U09ADMIN'), 'C0BCBSAZDR', 'approve', true],
    ['bcbsaz', user('U03CAROL'), 'C0BCBSAZDR', 'sign-off', true],
    ['bcbsaz', user('U03CAROL'), 'C0BCBSAZDR', 'request', /operator role/],
    ['bcbsaz', user('U02BOB'), 'C0BCBSAZDR', 'sign-off', /sign-off list/],
    ['bcbsaz', user('U09ADMIN'), 'C0BCBSAZDR', 'sign-off', /sign-off list/],
    ['dmnt', user('U04DAVE'), 'C0DMNTDR', 'sign-off', true],
    ['dmnt', user('U03CAROL'), 'C0DMNTDR', 'sign-off', /sign-off list/],
    ['nwhealth', user('U01ALICE'), 'C0HRPDROPS', 'view', /only in <#C0NWHEALTHDR> or <#C0GCDROPS>/],
    ['nwhealth', user('U01ALICE'), 'C0GCDROPS', 'view', /no role/],
    ['nwhealth', user('U06FRANK'), 'C0GCDROPS', 'approve', true],
    ['nwhealth', user('U08HEIDI'), 'C0NWHEALTHDR', 'sign-off', true],
    ['nwhealth', user('U05ERIN'), 'C0NWHEALTHDR', 'resume', true],
  ];

  it.each(cases)('%s: %j in %s may %s: %s', (customer, who, channelId, action, expected) => {
    // Act
    const result =
      action === 'approve'
        ? authorize({
            plan: plan(customer),
            user: who,
            channelId,
            admins: ADMINS,
            action,
            requester: 'U01ALICE',
          })
        : authorize({ plan: plan(customer), user: who, channelId, admins: ADMINS, action });
    // Assess
    if (expected === true) {
      expect(result).toEqual({ ok: true, role: roleOf(plan(customer), who, ADMINS) });
    } else {
      expect(result.ok).toBe(false);
      expect(!result.ok && result.reason).toMatch(expected);
    }
  });

  it.each([user('U02BOB'), user('U09ADMIN'), user('U02BOB', 'S0HRPDRLEADS')])(
    'never lets %j approve their own request',
    (who) => {
      const result = authorize({
        plan: plan('bcbsaz'),
        user: who,
        channelId: 'C0BCBSAZDR',
        admins: ADMINS,
        action: 'approve',
        requester: who.id,
      });
      expect(result).toEqual({
        ok: false,
        reason: 'You requested this operation, so you cannot approve it: a second person must.',
      });
    },
  );

  it('escapes the customer name in its reasons', () => {
    const sample = plan('bcbsaz');
    const tricky: Plan = { ...sample, customer: { ...sample.customer, name: '<!channel> Corp' } };
    const result = authorize({
      plan: tricky,
      user: user('U77NEW'),
      channelId: 'C0BCBSAZDR',
      admins: ADMINS,
      action: 'view',
    });
    expect(!result.ok && result.reason).toContain('&lt;!channel&gt; Corp');
    expect(!result.ok && result.reason).not.toContain('<!channel>');
  });
});

describe('authorizeRegionWide', () => {
  /** As config/defaults.yaml has it. */
  const ACCESS = {
    channel: 'C0DROPS',
    requesters: ['U01ALICE', 'S0HRPOPS'],
    approvers: ['U02BOB', 'U04DAVE', 'S0HRPDRLEADS'],
    viewers: ['S0HRPSUPPORT'],
  };

  it.each<[string, string[], Role | undefined]>([
    ['U01ALICE', [], 'operator'],
    ['U77NEW', ['S0HRPOPS'], 'operator'],
    ['U02BOB', [], 'approver'],
    ['U77NEW', ['S0HRPOPS', 'S0HRPDRLEADS'], 'approver'],
    ['U77NEW', ['S0HRPSUPPORT'], 'viewer'],
    ['U09ADMIN', [], 'admin'],
    ['U77NEW', ['S0LIFEBOATADMINS'], 'admin'],
    ['U03CAROL', [], undefined],
  ])('%s in %j is %s', (id, groups, role) => {
    expect(regionRoleOf(ACCESS, user(id, ...groups), ADMINS)).toBe(role);
  });

  it.each<[string, string[], RegionAction, string, true | RegExp]>([
    ['U01ALICE', [], 'request', 'C0DROPS', true],
    ['U01ALICE', [], 'abort', 'C0DROPS', true],
    [
      'U01ALICE',
      [],
      'approve',
      'C0DROPS',
      /approver role \(regionWide\.approvers\), and you are an operator/,
    ],
    ['U77NEW', ['S0HRPSUPPORT'], 'view', 'C0DROPS', true],
    [
      'U77NEW',
      ['S0HRPSUPPORT'],
      'request',
      'C0DROPS',
      /operator role \(regionWide\.requesters\), and you are a viewer/,
    ],
    ['U77NEW', ['S0HRPSUPPORT'], 'approve', 'C0DROPS', /approver role/],
    [
      'U03CAROL',
      [],
      'view',
      'C0DROPS',
      /viewer role \(regionWide\.viewers\), and you have no region-wide role/,
    ],
    ['U02BOB', [], 'approve', 'C0DROPS', true],
    ['U02BOB', [], 'request', 'C0DROPS', true],
    ['U09ADMIN', [], 'approve', 'C0DROPS', true],
    ['U01ALICE', [], 'request', 'C0BCBSAZDR', /only in the operations channel <#C0DROPS>/],
    ['U02BOB', [], 'view', 'C0HRPDROPS', /only in the operations channel/],
  ])('%s in %j may %s in %s: %s', (id, groups, action, channelId, expected) => {
    // Act
    const auth = authorizeRegionWide({
      access: ACCESS,
      user: user(id, ...groups),
      channelId,
      admins: ADMINS,
      action,
      requester: 'U01ALICE',
    });
    // Assess
    if (expected === true) expect(auth).toMatchObject({ ok: true });
    else expect(auth).toMatchObject({ ok: false, reason: expect.stringMatching(expected) });
  });

  it.each([user('U04DAVE'), user('U09ADMIN')])(
    'refuses %j approving an incident they requested',
    (who) => {
      const auth = authorizeRegionWide({
        access: ACCESS,
        user: who,
        channelId: 'C0DROPS',
        admins: ADMINS,
        action: 'approve',
        requester: who.id,
      });
      expect(auth).toEqual({
        ok: false,
        reason: 'You requested this incident, so you cannot approve it: a second person must.',
      });
    },
  );

  it('says what to configure when region-wide operations are not', () => {
    const auth = authorizeRegionWide({
      access: undefined,
      user: user('U09ADMIN'),
      channelId: 'C0DROPS',
      admins: ADMINS,
      action: 'view',
    });
    expect(auth).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/not configured: add `regionWide`/),
    });
  });
});
