import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  readCustomerAccounts,
  workloadRoleParameters,
} from '../../../infra/config/customer-accounts.ts';
import { DeployConfigError } from '../../../infra/errors.ts';
import { FilePlanSource } from '../../../orchestrator/adapters/config-files.ts';
import { SAMPLE_PLANS } from '../../helpers.ts';

const PLANS = SAMPLE_PLANS;
const DEPLOYED = ['us-east-1', 'us-east-2', 'us-west-2', 'us-west-1'] as const;

/** A folder with the bcbsaz sample, its text changed by `edit`. */
function plansWith(edit: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-plans-'));
  writeFileSync(join(dir, 'bcbsaz.yaml'), edit(readFileSync(join(PLANS, 'bcbsaz.yaml'), 'utf8')));
  copyFileSync(join(PLANS, 'dmnt.yaml'), join(dir, 'dmnt.yaml'));
  return dir;
}

describe('the customers a deployment serves', () => {
  it('are read from the plans: the role each names in its account, and its regions', () => {
    // Act
    const accounts = readCustomerAccounts(PLANS, DEPLOYED);
    // Assess
    expect(accounts.map(({ dns: _, ...account }) => account)).toEqual([
      {
        customerId: 'bcbsaz',
        accountId: '410000000101',
        roleName: 'LifeboatExecution',
        roleArn: 'arn:aws:iam::410000000101:role/LifeboatExecution',
        readOnlyRoleArn: 'arn:aws:iam::410000000101:role/LifeboatExecutionReadOnly',
        regions: { primary: 'us-east-1', recovery: 'us-east-2' },
      },
      {
        customerId: 'dmnt',
        accountId: '410000000202',
        roleName: 'LifeboatExecution',
        roleArn: 'arn:aws:iam::410000000202:role/LifeboatExecution',
        readOnlyRoleArn: 'arn:aws:iam::410000000202:role/LifeboatExecutionReadOnly',
        regions: { primary: 'us-west-2', recovery: 'us-west-1' },
      },
      {
        customerId: 'nwhealth',
        accountId: '420000000303',
        roleName: 'LifeboatExecution',
        roleArn: 'arn:aws:iam::420000000303:role/LifeboatExecution',
        readOnlyRoleArn: 'arn:aws:iam::420000000303:role/LifeboatExecutionReadOnly',
        regions: { primary: 'us-east-1', recovery: 'us-east-2' },
      },
      {
        customerId: 'shared-east',
        accountId: '430000000901',
        roleName: 'LifeboatExecution',
        roleArn: 'arn:aws:iam::430000000901:role/LifeboatExecution',
        readOnlyRoleArn: 'arn:aws:iam::430000000901:role/LifeboatExecutionReadOnly',
        regions: { primary: 'us-east-1', recovery: 'us-east-2' },
      },
      {
        customerId: 'shared-west',
        accountId: '430000000902',
        roleName: 'LifeboatExecution',
        roleArn: 'arn:aws:iam::430000000902:role/LifeboatExecution',
        readOnlyRoleArn: 'arn:aws:iam::430000000902:role/LifeboatExecutionReadOnly',
        regions: { primary: 'us-west-2', recovery: 'us-west-1' },
      },
    ]);
  });

  it("carries each plan's DNS with both values written out: a server's IPs, or the record's own", () => {
    // Prepare: one record moved by a record change instead
    const dir = plansWith((text) =>
      text.replace(
        '- name: sqldw.bcbsaz.hrp.internal\n      type: CNAME',
        '- name: sqldw.bcbsaz.hrp.internal\n      mode: change\n      type: CNAME',
      ),
    );
    // Act
    const [bcbsaz] = readCustomerAccounts(dir, DEPLOYED);
    // Assess
    expect(bcbsaz?.dns?.zones).toEqual({ primary: 'Z04BCBSAZUSE1', recovery: 'Z04BCBSAZUSE2' });
    const byName = new Map(bcbsaz?.dns?.records.map((r) => [r.name, r]));
    expect(byName.get('ora01.bcbsaz.hrp.internal')).toEqual({
      name: 'ora01.bcbsaz.hrp.internal',
      type: 'A',
      ttl: 60,
      mode: 'failover',
      values: { primary: '10.40.10.11', recovery: '10.140.10.11' },
    });
    expect(byName.get('sqldw.bcbsaz.hrp.internal')).toEqual({
      name: 'sqldw.bcbsaz.hrp.internal',
      type: 'CNAME',
      ttl: 60,
      mode: 'change',
      values: {
        primary: 'bcbsaz-dw-listener.use1.hrp.internal',
        recovery: 'bcbsaz-dw-listener.use2.hrp.internal',
      },
    });
  });

  it.each([
    [
      "another account's external id (a leaked id would open both)",
      (text: string) =>
        text.replace(/externalId: .*/, 'externalId: "c5ea1e950dd1a041ecc899f73480cc4f"'),
      'dmnt: account 410000000202 has the same account.externalId as account 410000000101',
    ],
    [
      'a stack hook outside the lifeboat-* namespace',
      (text: string) =>
        text.replace(
          '    postHooks:\n      - kind: ssm-document\n        name: sqldw-dag-failover',
          '    postHooks:\n      - { kind: stack, name: cache, stackName: payroll-cache, phases: [failover] }\n      - kind: ssm-document\n        name: sqldw-dag-failover',
        ),
      'stack hook "cache" names stack "payroll-cache"',
    ],
    [
      'a role name the read-only role cannot extend',
      (text: string) => text.replace('roleName: LifeboatExecution', `roleName: ${'L'.repeat(60)}`),
      'is longer than 56 characters',
    ],
  ])('refuses %s', (_, edit, problem) => {
    // Prepare
    const dir = plansWith(edit);
    // Act
    const act = () => readCustomerAccounts(dir, DEPLOYED);
    // Assess
    expect(act).toThrow(DeployConfigError);
    expect(act).toThrow(problem);
  });

  it("gives the role template's parameters from an account's plans: its plan ids, record names and types, the stack hooks' bucket", async () => {
    // Prepare
    const nwhealth = await new FilePlanSource(PLANS).loadPlan('nwhealth');
    // Act
    const parameters = workloadRoleParameters([nwhealth.plan]);
    // Assess
    expect(parameters).toMatchObject({
      ExternalId: '0b25f8b3151b59d61f66f469ce35605b',
      RoleName: 'LifeboatExecution',
      PrimaryRegion: 'us-east-1',
      RecoveryRegion: 'us-east-2',
      PlanIds: 'nwhealth',
      StackTemplateBucket: 'lifeboat-templates-420000000303',
    });
    expect(parameters.RecordNames?.split(',').length).toBe(nwhealth.plan.dns?.records.length);
    for (const name of parameters.RecordNames?.split(',') ?? [])
      expect(name).toMatch(/^[a-z0-9.-]+[a-z0-9]$/);
  });

  it('refuses a plan whose region is not deployed: its runs would have nowhere to run', () => {
    // Prepare
    const dir = plansWith((text) => text.replace('recovery: us-east-2', 'recovery: ca-central-1'));
    // Act
    const act = () => readCustomerAccounts(dir, DEPLOYED);
    // Assess
    expect(act).toThrow(DeployConfigError);
    expect(act).toThrow(/bcbsaz\.yaml: region "ca-central-1" is not deployed/);
  });

  it('refuses an invalid plan, with its file and line: it would fail every run', () => {
    // Prepare
    const dir = plansWith((text) => text.replace('id: "410000000101"', 'id: "4100"'));
    // Assess
    expect(() => readCustomerAccounts(dir, DEPLOYED)).toThrow(
      /bcbsaz\.yaml: line \d+, account\.id: "4100"/,
    );
  });
});
