import {
  ChangeResourceRecordSetsCommand,
  ListHealthChecksCommand,
  ListHostedZonesCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalAws } from '../../../sandbox/aws/local-aws.ts';
import { assumeCustomer, clientConfig, samplePlans, startSampleAws } from './harness.ts';

let aws: LocalAws;
afterEach(() => aws.stop());

async function world(faults: string[] = []): Promise<AwsCredentialIdentity> {
  const plans = await samplePlans();
  aws = await startSampleAws({ plans });
  const bcbsaz = plans.find((p) => p.customer.id === 'bcbsaz');
  if (!bcbsaz) throw new Error('no sample plan bcbsaz');
  // Credentials first (STS in us-east-2 stays up), then the outage.
  const credentials = await assumeCustomer(aws, bcbsaz, 'us-east-2');
  for (const fault of faults) aws.addFault(fault);
  return credentials;
}

/** Route 53 as Lifeboat reaches it from the recovery region: signed with us-east-2. */
function route53From(region: string, credentials: AwsCredentialIdentity): Route53Client {
  return new Route53Client({ ...clientConfig(aws, region, credentials), maxAttempts: 1 });
}

/** A call to IAM (not simulated) signed for a region: only the scope matters to the local AWS. */
function callIam(region: string): Promise<Response> {
  return fetch(`${aws.endpoints.sts}/?Action=ListRoles&Version=2010-05-08`, {
    headers: {
      authorization: `AWS4-HMAC-SHA256 Credential=AKIALIFEBOATLOCAL/20261206/${region}/iam/aws4_request, SignedHeaders=host, Signature=00`,
    },
  });
}

describe('us-east-1 down: the global control planes homed there go with it', () => {
  it('drops every Route 53 call, even from a client in us-east-2, while answers go on', async () => {
    // Prepare
    const credentials = await world(['region-down:us-east-1']);
    const route53 = route53From('us-east-2', credentials);
    // Act
    const zones = await route53.send(new ListHostedZonesCommand({})).catch((e: unknown) => e);
    const checks = await route53.send(new ListHealthChecksCommand({})).catch((e: unknown) => e);
    const change = await route53
      .send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: 'Z04BCBSAZUSE2',
          ChangeBatch: {
            Changes: [
              {
                Action: 'UPSERT',
                ResourceRecordSet: {
                  Name: 'x.bcbsaz.hrp.internal',
                  Type: 'A',
                  TTL: 60,
                  ResourceRecords: [{ Value: '10.1.1.1' }],
                },
              },
            ],
          },
        }),
      )
      .catch((e: unknown) => e);
    // Assess
    for (const error of [zones, checks, change]) {
      expect(error).toBeInstanceOf(Error);
      expect((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBe(
        undefined,
      );
    }
    expect(aws.estate.truth.filter((e) => e.type === 'dns-change')).toEqual([]);
    const answer = await fetch(
      `${aws.controlUrl}/dns?zone=Z04BCBSAZUSE2&name=ora01.bcbsaz.hrp.internal`,
    );
    expect(answer.status).toBe(200);
  });

  it('keeps Route 53 up under keep-global, and whatever other region is down', async () => {
    // Prepare
    const credentials = await world(['region-down:us-east-1:keep-global', 'region-down:us-east-2']);
    // Act
    const fromEast2 = await route53From('us-east-2', credentials).send(
      new ListHostedZonesCommand({}),
    );
    const fromWest2 = await route53From('us-west-2', credentials).send(
      new ListHealthChecksCommand({}),
    );
    // Assess
    expect(fromEast2.HostedZones).toHaveLength(2);
    expect(fromWest2.HealthChecks).toHaveLength(2);
  });

  it('drops IAM with us-east-1 whatever region signs; up, it answers as an unknown service', async () => {
    // Prepare
    await world();
    const up = await callIam('us-east-2');
    aws.addFault('region-down:us-east-1');
    // Act
    const down = await callIam('us-east-2').catch((e: unknown) => e);
    aws.faults.remove('region-down:us-east-1');
    aws.addFault('region-down:us-east-1:keep-global');
    const kept = await callIam('us-west-2');
    // Assess
    expect(up.status).toBe(400);
    expect(down).toBeInstanceOf(TypeError);
    expect(kept.status).toBe(400);
  });

  it('leaves regional STS in us-east-2 answering, while STS in us-east-1 is gone', async () => {
    // Prepare
    const credentials = await world(['region-down:us-east-1']);
    const sts = (region: string) =>
      new STSClient({ ...clientConfig(aws, region, credentials), maxAttempts: 1 });
    // Act
    const east2 = await sts('us-east-2').send(new GetCallerIdentityCommand({}));
    const east1 = await sts('us-east-1')
      .send(new GetCallerIdentityCommand({}))
      .catch((e: unknown) => e);
    // Assess
    expect(east2.Account).toMatch(/^\d{12}$/);
    expect(east1).toBeInstanceOf(Error);
  });
});
