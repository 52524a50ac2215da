import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePlanText } from '../../orchestrator/adapters/config-files.ts';
import { formatProblem } from '../../orchestrator/domain/errors.ts';
import type { Plan, Side } from '../../orchestrator/domain/plan.ts';
import type { Region } from '../../orchestrator/domain/regions.ts';
import {
  READ_ONLY_ROLE_SUFFIX,
  STACK_HOOK_PREFIX,
  type WorkloadAccess,
  workloadRoleName,
} from '../../orchestrator/domain/workload-access.ts';
import { DeployConfigError } from '../errors.ts';

/** What the deployment needs from one customer's plan: the role Lifeboat assumes, and where. */
export interface CustomerAccount {
  customerId: string;
  accountId: string;
  roleName: string;
  /** `arn:aws:iam::<account>:role/<roleName>`: the role the steps assume to act. */
  roleArn: string;
  /** The read-only role beside it (`<roleName>ReadOnly`): what readiness checks assume. */
  readOnlyRoleArn: string;
  regions: { primary: Region; recovery: Region };
  /** The plan's DNS, when it has a `dns` section: its routing controls and failover records follow from it. */
  dns?: CustomerDns;
}

/** A plan's DNS record with both of its values written out (a server's IPs, or the record's own). */
export interface CustomerDnsRecord {
  name: string;
  type: 'A' | 'CNAME';
  ttl: number;
  mode: 'failover' | 'change';
  values: Record<Side, string>;
}

export interface CustomerDns {
  /** The private hosted zone of each side, in the customer's account. */
  zones: Record<Side, string>;
  records: CustomerDnsRecord[];
}

/** The DNS a plan moves, values resolved; the plan rules have checked that every value is there. */
export function dnsOf(plan: Plan): CustomerDns | undefined {
  if (!plan.dns) return undefined;
  const servers = new Map(plan.servers.map((server) => [server.name, server]));
  return {
    zones: { ...plan.dns.zones },
    records: plan.dns.records.map((record) => {
      const server = record.server ? servers.get(record.server) : undefined;
      return {
        name: record.name,
        type: record.type,
        ttl: record.ttl,
        mode: record.mode,
        values: {
          primary: server?.primary.ip ?? record.primary ?? '',
          recovery: server?.recovery.ip ?? record.recovery ?? '',
        },
      };
    }),
  };
}

/**
 * Reads every plan in `dir` (the plans are bundled with the Lambdas, so a plan change is a
 * deploy): an invalid plan, or one whose regions are not deployed, stops the synth.
 */
export function readCustomerAccounts(
  dir: string,
  deployed: readonly Region[],
  partition = 'aws',
): CustomerAccount[] {
  const files = readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  const problems: string[] = [];
  const accounts: CustomerAccount[] = [];
  const plans: Plan[] = [];
  for (const name of files) {
    const file = join(dir, name);
    const result = parsePlanText(readFileSync(file, 'utf8'), file);
    if (!result.ok) {
      problems.push(...result.problems.map((p) => `${name}: ${formatProblem(p)}`));
      continue;
    }
    plans.push(result.plan);
    const { customer, account, regions } = result.plan;
    const dns = dnsOf(result.plan);
    for (const region of [regions.primary, regions.recovery]) {
      if (!deployed.includes(region))
        problems.push(
          `${name}: region "${region}" is not deployed (pairs cover ${deployed.join(', ')}); add its pair to config/deploy.yaml.`,
        );
    }
    const arn = (access: WorkloadAccess) =>
      `arn:${partition}:iam::${account.id}:role/${workloadRoleName(account.roleName, access)}`;
    accounts.push({
      customerId: customer.id,
      accountId: account.id,
      roleName: account.roleName,
      roleArn: arn('act'),
      readOnlyRoleArn: arn('read'),
      regions,
      ...(dns ? { dns } : {}),
    });
  }
  problems.push(...checkWorkloadAccounts(plans));
  if (problems.length > 0) throw new DeployConfigError(dir, problems);
  return accounts;
}

/**
 * What the plans of each account must agree on, since they share its roles (one template per
 * account), and the external ids: one per account, never the same in two accounts (a leaked
 * id then opens one account, not every one).
 */
export function checkWorkloadAccounts(plans: readonly Plan[]): string[] {
  const problems: string[] = [];
  const byAccount = plansByAccount(plans);
  const owners = new Map<string, string>();
  for (const [accountId, group] of byAccount) {
    const [first, ...rest] = group as [Plan, ...Plan[]];
    for (const plan of rest) {
      const differs = (['roleName', 'externalId'] as const).filter(
        (field) => plan.account[field] !== first.account[field],
      );
      if (
        plan.regions.primary !== first.regions.primary ||
        plan.regions.recovery !== first.regions.recovery
      )
        differs.push('regions' as never);
      if (differs.length > 0)
        problems.push(
          `${plan.customer.id}: shares account ${accountId} with ${first.customer.id} but not its ${differs.join(', ')}; the plans of an account share its roles, so they must agree.`,
        );
    }
    if (first.account.roleName.length > 64 - READ_ONLY_ROLE_SUFFIX.length)
      problems.push(
        `${first.customer.id}: account.roleName "${first.account.roleName}" is longer than ${64 - READ_ONLY_ROLE_SUFFIX.length} characters; the read-only role adds "${READ_ONLY_ROLE_SUFFIX}" to it (IAM names are at most 64).`,
      );
    const owner = owners.get(first.account.externalId);
    if (owner)
      problems.push(
        `${first.customer.id}: account ${accountId} has the same account.externalId as account ${owner}; generate one per account (README, "Onboarding a customer").`,
      );
    owners.set(first.account.externalId, accountId);
    for (const plan of group)
      for (const hook of stackHooksOf(plan)) {
        if (!hook.stackName.startsWith(STACK_HOOK_PREFIX))
          problems.push(
            `${plan.customer.id}: stack hook "${hook.name}" names stack "${hook.stackName}"; Lifeboat may deploy and delete only stacks named ${STACK_HOOK_PREFIX}*.`,
          );
      }
  }
  return problems;
}

/** The plans by workload account, in the order given. */
export function plansByAccount(plans: readonly Plan[]): Map<string, Plan[]> {
  const byAccount = new Map<string, Plan[]>();
  for (const plan of plans) {
    const group = byAccount.get(plan.account.id) ?? [];
    group.push(plan);
    byAccount.set(plan.account.id, group);
  }
  return byAccount;
}

type StackHook = Extract<Plan['waves'][number]['preHooks'][number], { kind: 'stack' }>;

function stackHooksOf(plan: Plan): StackHook[] {
  return [...plan.waves.flatMap((w) => [...w.preHooks, ...w.postHooks]), ...plan.validation].filter(
    (hook): hook is StackHook => hook.kind === 'stack',
  );
}

/**
 * The parameters of the workload role template for one account, from the plans in it (they
 * agree on account, role and regions: {@link checkWorkloadAccounts}): what onboarding passes to
 * `aws cloudformation deploy`, and what the local AWS evaluates the synthesized policy with.
 */
export function workloadRoleParameters(plans: readonly Plan[]): Record<string, string> {
  const [first] = plans;
  if (!first) throw new RangeError('workloadRoleParameters needs at least one plan.');
  const unique = (values: string[]) => [...new Set(values)].join(',');
  const records = plans.flatMap((plan) => plan.dns?.records ?? []);
  const hooks = plans.flatMap(stackHooksOf);
  const buckets = hooks.flatMap((hook) =>
    hook.templateUrl
      ? [/^https:\/\/([^./]+(?:\.[^./]+)*?)\.s3[.-]/.exec(hook.templateUrl)?.[1] ?? '']
      : [],
  );
  const bucket = buckets[0] ?? (hooks.length > 0 ? `lifeboat-templates-${first.account.id}` : '');
  return {
    ExternalId: first.account.externalId,
    RoleName: first.account.roleName,
    PrimaryRegion: first.regions.primary,
    RecoveryRegion: first.regions.recovery,
    PlanIds: unique(plans.map((plan) => plan.customer.id)),
    HostedZoneIds: unique(
      plans.flatMap((plan) => (plan.dns ? [plan.dns.zones.primary, plan.dns.zones.recovery] : [])),
    ),
    RecordNames: unique(records.map((record) => normalizeRecordName(record.name))),
    RecordTypes: unique(records.map((record) => record.type)) || 'A,CNAME',
    SsmDocumentPrefix: 'Lifeboat-',
    HookFunctionPrefix: 'lifeboat-',
    StackTemplateBucket: bucket,
  };
}

/** A record name as Route 53's condition keys compare it: lower case, no trailing dot. */
export function normalizeRecordName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}
