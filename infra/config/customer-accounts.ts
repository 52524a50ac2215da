import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePlanText } from '../../orchestrator/adapters/config-files.ts';
import { formatProblem } from '../../orchestrator/domain/errors.ts';
import type { Plan, Side } from '../../orchestrator/domain/plan.ts';
import type { Region } from '../../orchestrator/domain/regions.ts';
import { DeployConfigError } from '../errors.ts';

/** What the deployment needs from one customer's plan: the role Lifeboat assumes, and where. */
export interface CustomerAccount {
  customerId: string;
  accountId: string;
  roleName: string;
  /** `arn:aws:iam::<account>:role/<roleName>`: the only roles Lifeboat may assume. */
  roleArn: string;
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
  for (const name of files) {
    const file = join(dir, name);
    const result = parsePlanText(readFileSync(file, 'utf8'), file);
    if (!result.ok) {
      problems.push(...result.problems.map((p) => `${name}: ${formatProblem(p)}`));
      continue;
    }
    const { customer, account, regions } = result.plan;
    const dns = dnsOf(result.plan);
    for (const region of [regions.primary, regions.recovery]) {
      if (!deployed.includes(region))
        problems.push(
          `${name}: region "${region}" is not deployed (pairs cover ${deployed.join(', ')}); add its pair to config/deploy.yaml.`,
        );
    }
    accounts.push({
      customerId: customer.id,
      accountId: account.id,
      roleName: account.roleName,
      roleArn: `arn:${partition}:iam::${account.id}:role/${account.roleName}`,
      regions,
      ...(dns ? { dns } : {}),
    });
  }
  if (problems.length > 0) throw new DeployConfigError(dir, problems);
  return accounts;
}
