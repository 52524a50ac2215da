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
});
