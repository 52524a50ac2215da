import { type BucketLocationConstraint, CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { FilePlanSource } from '../../../orchestrator/adapters/config-files.ts';
import type { Plan } from '../../../orchestrator/domain/plan.ts';
import {
  type LocalAws,
  type LocalAwsOptions,
  startLocalAws,
} from '../../../sandbox/aws/local-aws.ts';
import { SAMPLE_PLANS } from '../../helpers.ts';

export { syntheticPlan as bigPlan } from '../../../sandbox/aws/synthetic-plan.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** The tooling account's static keys: what Lifeboat's own role would have. */
export const TOOLING_CREDENTIALS: AwsCredentialIdentity = {
  accessKeyId: 'AKIALIFEBOATLOCAL',
  secretAccessKey: 'local',
};

export async function samplePlans(): Promise<Plan[]> {
  return new FilePlanSource(SAMPLE_PLANS).loadAll();
}

/**
 * A local AWS seeded with the sample customers, on a clock that stands still unless a test
 * advances it (speed 0), so every test is deterministic. Without IAM unless asked: these tests
 * exercise what a service does with any call; what the workload roles may call is tested by
 * `iam.test.ts`, and every end-to-end run goes through IAM.
 */
export async function startSampleAws(options: Partial<LocalAwsOptions> = {}): Promise<LocalAws> {
  return startLocalAws({
    plans: await samplePlans(),
    speed: 0,
    seed: 7,
    dynamodb: false,
    iam: false,
    ...options,
  });
}

/** Client options for a region: the local endpoint, and few, quick retries. */
export function clientConfig(
  aws: LocalAws,
  region: string,
  credentials: AwsCredentialIdentity = TOOLING_CREDENTIALS,
) {
  return {
    region,
    endpoint: aws.endpoints.drs,
    credentials,
    maxAttempts: 2,
    retryMode: 'standard' as const,
  };
}

/** Credentials in a customer's workload account, through the real STS client, as Lifeboat gets them. */
export async function assumeCustomer(
  aws: LocalAws,
  plan: Plan,
  region = plan.regions.recovery,
): Promise<AwsCredentialIdentity> {
  const sts = new STSClient(clientConfig(aws, region));
  const { Credentials } = await sts.send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${plan.account.id}:role/${plan.account.roleName}`,
      RoleSessionName: 'lifeboat-test',
      ExternalId: plan.account.externalId,
    }),
  );
  if (!Credentials?.AccessKeyId || !Credentials.SecretAccessKey)
    throw new Error('AssumeRole gave no credentials');
  return {
    accessKeyId: Credentials.AccessKeyId,
    secretAccessKey: Credentials.SecretAccessKey,
    ...(Credentials.SessionToken ? { sessionToken: Credentials.SessionToken } : {}),
  };
}

/**
 * The tooling account's report bucket in a region, versioned and object-locked as infra makes it,
 * and an S3 client as Lifeboat's functions build one (the endpoint, no path-style flag).
 */
export async function createReportBucket(
  aws: LocalAws,
  region: string,
): Promise<{ s3: S3Client; bucket: string }> {
  const s3 = new S3Client({ ...clientConfig(aws, region), endpoint: aws.endpoints.s3 });
  const bucket = `lifeboat-reports-000000000000-${region}`;
  await s3.send(
    new CreateBucketCommand({
      Bucket: bucket,
      CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint },
      ObjectLockEnabledForBucket: true,
    }),
  );
  return { s3, bucket };
}

/**
 * Everything the simulators hold, as text: two worlds are in the same state when their texts are
 * equal. The clock is left out (its anchor in real time differs between two worlds), and so is
 * what cannot be compared (functions); a repeated reference is written once.
 */
export function snapshotWorld(aws: LocalAws): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(
    { estate: aws.estate, services: [...aws.services.values()] },
    (key, value: unknown) => {
      if (key === 'clock' || typeof value === 'function') return undefined;
      if (value instanceof Map) return [...value];
      if (value instanceof Set) return [...value];
      if (value !== null && typeof value === 'object') {
        if (seen.has(value)) return '[seen]';
        seen.add(value);
      }
      return value;
    },
  );
}
