import {
  AssumeRoleCommand,
  GetCallerIdentityCommand,
  STSClient,
  STSServiceException,
} from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalAws } from '../../../sandbox/aws/local-aws.ts';
import { assumeCustomer, clientConfig, samplePlans, startSampleAws } from './harness.ts';

let aws: LocalAws;
beforeAll(async () => {
  aws = await startSampleAws();
});
afterAll(() => aws.stop());

describe('STS', () => {
  it('assumes a customer role with its external id, and later calls act in that account', async () => {
    // Prepare
    const [bcbsaz] = await samplePlans();
    if (!bcbsaz) throw new Error('no plan');
    // Act
    const credentials = await assumeCustomer(aws, bcbsaz);
    const who = await new STSClient(clientConfig(aws, 'us-east-2', credentials)).send(
      new GetCallerIdentityCommand({}),
    );
    // Assess
    expect(who.Account).toBe(bcbsaz.account.id);
  });

  it.each([
    [
      'a wrong external id',
      'arn:aws:iam::410000000101:role/LifeboatExecution',
      'wrong-external-id',
    ],
    ['an unknown role', 'arn:aws:iam::410000000101:role/Admin', 'a54797ec5e073652af569e40f9e45ccb'],
    [
      'an unknown account',
      'arn:aws:iam::999999999999:role/LifeboatExecution',
      'a54797ec5e073652af569e40f9e45ccb',
    ],
  ])('refuses %s with the SDK’s AccessDenied', async (_, RoleArn, ExternalId) => {
    const sts = new STSClient(clientConfig(aws, 'us-east-2'));
    const error = await sts
      .send(new AssumeRoleCommand({ RoleArn, ExternalId, RoleSessionName: 'x' }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(STSServiceException);
    expect((error as STSServiceException).name).toBe('AccessDenied');
    expect((error as STSServiceException).$metadata.httpStatusCode).toBe(403);
  });

  it('keeps the session tags of an AssumeRole for IAM to read, and refuses a key given twice or a transitive key not among them', async () => {
    // Prepare
    const [bcbsaz] = await samplePlans();
    if (!bcbsaz) throw new Error('no plan');
    const sts = new STSClient(clientConfig(aws, 'us-east-2'));
    const assume = (Tags: { Key: string; Value: string }[], TransitiveTagKeys?: string[]) =>
      sts.send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${bcbsaz.account.id}:role/${bcbsaz.account.roleName}`,
          ExternalId: bcbsaz.account.externalId,
          RoleSessionName: 'tagged',
          Tags,
          ...(TransitiveTagKeys ? { TransitiveTagKeys } : {}),
        }),
      );
    // Act
    const tagged = await assume([{ Key: 'lifeboat:plan', Value: 'bcbsaz' }]);
    const refused = await Promise.all([
      assume([
        { Key: 'lifeboat:plan', Value: 'bcbsaz' },
        { Key: 'Lifeboat:Plan', Value: 'dmnt' },
      ]).catch((e: unknown) => e),
      assume([{ Key: 'lifeboat:plan', Value: 'bcbsaz' }], ['lifeboat:run']).catch(
        (e: unknown) => e,
      ),
    ]);
    // Assess
    const session = aws.estate.truth.findLast((e) => e.type === 'assume-role');
    expect(tagged.Credentials?.AccessKeyId).toBeDefined();
    expect(session).toMatchObject({ session: 'tagged', tags: { 'lifeboat:plan': 'bcbsaz' } });
    for (const error of refused) {
      expect(error).toBeInstanceOf(STSServiceException);
      expect((error as STSServiceException).name).toBe('InvalidParameterValue');
      expect((error as STSServiceException).$metadata.httpStatusCode).toBe(400);
    }
  });
});
