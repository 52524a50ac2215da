import type { Plan } from '../../../orchestrator/domain/plan.ts';
import type { Region } from '../../../orchestrator/domain/regions.ts';
import type { LocalAws, LocalAwsOptions } from '../../../sandbox/aws/local-aws.ts';
import { readSample } from '../../helpers.ts';
import { assumeCustomer, clientConfig, startSampleAws } from '../../sandbox/aws/harness.ts';

export const PRIMARY: Region = 'us-east-1';
export const RECOVERY: Region = 'us-east-2';
export const MINUTE = 60_000;

/** A sample customer's account on a fresh local AWS, as an adapter sees it. */
export interface LocalAccount {
  aws: LocalAws;
  plan: Plan;
  /** Client options for a region, signed with the customer's assumed role. */
  config(region: Region): Promise<ReturnType<typeof clientConfig>>;
  /** The DRS source server id of a plan server, by name. */
  sourceIdOf(name: string): string;
  server(name: string): Plan['servers'][number];
}

export async function startLocalAccount(
  customerId = 'bcbsaz',
  options: Partial<LocalAwsOptions> = {},
): Promise<LocalAccount> {
  const plan = await readSample(customerId);
  const aws = await startSampleAws(options);
  return {
    aws,
    plan,
    config: async (region) => clientConfig(aws, region, await assumeCustomer(aws, plan, region)),
    sourceIdOf: (name) => {
      const id = aws.estate.serverNamed(name)?.sourceServerId;
      if (!id) throw new Error(`no source server for ${name}`);
      return id;
    },
    server: (name) => {
      const server = plan.servers.find((s) => s.name === name);
      if (!server) throw new Error(`no server ${name} in ${customerId}`);
      return server;
    },
  };
}
