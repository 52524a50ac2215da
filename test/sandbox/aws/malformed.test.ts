import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import {
  DescribeJobsCommand,
  DescribeRecoverySnapshotsCommand,
  DrsClient,
  StartRecoveryCommand,
} from '@aws-sdk/client-drs';
import {
  DescribeInstancesCommand,
  EC2Client,
  StartInstancesCommand,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  ChangeResourceRecordSetsCommand,
  ListHostedZonesCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import {
  CreateBucketCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandInput,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type S3Client,
  type ServerSideEncryption,
} from '@aws-sdk/client-s3';
import { GetCommandInvocationCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../../orchestrator/domain/plan.ts';
import type { LocalAws } from '../../../sandbox/aws/local-aws.ts';
import {
  assumeCustomer,
  clientConfig,
  createReportBucket,
  samplePlans,
  startSampleAws,
} from './harness.ts';

/** What a refused call looks like through the SDK: the service's code, its status, its words. */
interface Refusal {
  name: string;
  message: string;
  $metadata: { httpStatusCode?: number };
  [field: string]: unknown;
}

let aws: LocalAws;
let bcbsaz: Plan;
let credentials: AwsCredentialIdentity;
let bucket: string;
let s3: S3Client;

beforeAll(async () => {
  aws = await startSampleAws();
  bcbsaz = (await samplePlans()).find((p) => p.customer.id === 'bcbsaz') as Plan;
  credentials = await assumeCustomer(aws, bcbsaz);
  ({ s3, bucket } = await createReportBucket(aws, 'us-east-2'));
});
afterAll(() => aws.stop());

const config = (region = 'us-east-2') => clientConfig(aws, region, credentials);
const drs = () => new DrsClient(config());
const ec2 = () => new EC2Client(config('us-east-1'));
const route53 = () => new Route53Client(config('us-east-1'));
const ssm = () => new SSMClient(config('us-east-1'));
const lambda = () => new LambdaClient(config());
const cloudformation = () => new CloudFormationClient(config());
const sts = () => new STSClient(clientConfig(aws, 'us-east-2'));
const zoneId = () => bcbsaz.dns?.zones.primary ?? '';

/** An object put with a server-side encryption S3 does not have. */
function putWithUnknownEncryption(): Promise<unknown> {
  return s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: 'k',
      Body: 'b',
      ServerSideEncryption: 'rot13' as ServerSideEncryption,
    }),
  );
}

async function refusalOf(call: Promise<unknown>): Promise<Refusal> {
  const outcome = await call.then(
    () => undefined,
    (error: unknown) => error as Refusal,
  );
  if (!outcome) throw new Error('The malformed call was answered as if it were well formed');
  return outcome;
}

/** A request signed for a service (the local AWS reads the credential scope, not the signature). */
function rawRequest(service: string, path: string, init: RequestInit): Promise<Response> {
  const scope = `${credentials.accessKeyId}/20260101/us-east-2/${service}/aws4_request`;
  return fetch(`${aws.endpoints.drs}${path}`, {
    ...init,
    headers: {
      ...init.headers,
      authorization: `AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=host, Signature=0`,
    },
  });
}

describe('a malformed request gets the service’s own validation error, naming what is wrong', () => {
  it.each<[string, () => Promise<unknown>, string, string]>([
    [
      'DRS: a recovery of no servers',
      () => drs().send(new StartRecoveryCommand({ sourceServers: [] })),
      'ValidationException',
      "at 'sourceServers'",
    ],
    [
      'DRS: a source server id that is not one',
      () => drs().send(new DescribeRecoverySnapshotsCommand({ sourceServerID: 'bcbsaz-ora-01' })),
      'ValidationException',
      "Value 'bcbsaz-ora-01' at 'sourceServerID'",
    ],
    [
      'DRS: a page of no jobs',
      () => drs().send(new DescribeJobsCommand({ maxResults: 0 })),
      'ValidationException',
      "at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1",
    ],
    [
      'EC2: a stop of no instances',
      () => ec2().send(new StopInstancesCommand({ InstanceIds: [] })),
      'MissingParameter',
      'InstanceId',
    ],
    [
      'EC2: a start of an instance named by its server name',
      () => ec2().send(new StartInstancesCommand({ InstanceIds: ['bcbsaz-ora-01'] })),
      'InvalidInstanceID.Malformed',
      '"bcbsaz-ora-01"',
    ],
    [
      'EC2: a page of two instances',
      () => ec2().send(new DescribeInstancesCommand({ MaxResults: 2 })),
      'InvalidParameterValue',
      'MaxResults',
    ],
    [
      'Route 53: a page of no zones',
      () => route53().send(new ListHostedZonesCommand({ MaxItems: 0 })),
      'InvalidInput',
      "Value '0' at 'maxitems'",
    ],
    [
      'Route 53: a record type without a record name',
      () =>
        route53().send(
          new ListResourceRecordSetsCommand({ HostedZoneId: zoneId(), StartRecordType: 'A' }),
        ),
      'InvalidInput',
      "at 'type'",
    ],
    [
      'Route 53: a record of a type DNS does not have',
      () =>
        route53().send(
          new ChangeResourceRecordSetsCommand({
            HostedZoneId: zoneId(),
            ChangeBatch: {
              Changes: [
                {
                  Action: 'UPSERT',
                  ResourceRecordSet: {
                    Name: 'x.bcbsaz.hrp.internal',
                    Type: 'BOGUS' as 'A',
                    TTL: 60,
                    ResourceRecords: [{ Value: '10.0.0.1' }],
                  },
                },
              ],
            },
          }),
        ),
      'InvalidInput',
      'ResourceRecordSet.Type',
    ],
    [
      'SSM: a command that may not run even 30 seconds',
      () =>
        ssm().send(
          new SendCommandCommand({
            DocumentName: 'Lifeboat-OracleOpenCheck',
            InstanceIds: [bcbsaz.servers[0]?.primary.instanceId ?? ''],
            TimeoutSeconds: 5,
          }),
        ),
      'ValidationException',
      "Value '5' at 'TimeoutSeconds'",
    ],
    [
      'SSM: a command id that is not one',
      () =>
        ssm().send(
          new GetCommandInvocationCommand({
            CommandId: 'last-one',
            InstanceId: bcbsaz.servers[0]?.primary.instanceId ?? '',
          }),
        ),
      'ValidationException',
      "Value 'last-one' at 'CommandId'",
    ],
    [
      'STS: a session name with a space',
      () =>
        sts().send(
          new AssumeRoleCommand({
            RoleArn: `arn:aws:iam::${bcbsaz.account.id}:role/${bcbsaz.account.roleName}`,
            RoleSessionName: 'lifeboat test',
            ExternalId: bcbsaz.account.externalId,
          }),
        ),
      'ValidationError',
      "Value 'lifeboat test' at 'roleSessionName'",
    ],
    [
      'STS: a session of one minute',
      () =>
        sts().send(
          new AssumeRoleCommand({
            RoleArn: `arn:aws:iam::${bcbsaz.account.id}:role/${bcbsaz.account.roleName}`,
            RoleSessionName: 'lifeboat-test',
            ExternalId: bcbsaz.account.externalId,
            DurationSeconds: 60,
          }),
        ),
      'ValidationError',
      "at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
    ],
    [
      'Lambda: an invocation type Lambda does not have',
      () =>
        lambda().send(
          new InvokeCommand({
            FunctionName: 'lifeboat-eks-scale',
            InvocationType: 'Sometimes' as 'Event',
          }),
        ),
      'ValidationException',
      "Value 'Sometimes' at 'invocationType'",
    ],
    [
      'Lambda: a payload that is not JSON',
      () =>
        lambda().send(
          new InvokeCommand({
            FunctionName: 'lifeboat-eks-scale',
            Payload: new TextEncoder().encode('{"replicas": 3'),
          }),
        ),
      'InvalidRequestContentException',
      'Could not parse request body into json',
    ],
    [
      'CloudFormation: a stack name that starts with a digit',
      () =>
        cloudformation().send(
          new CreateStackCommand({ StackName: '1-valkey', TemplateBody: '{}' }),
        ),
      'ValidationError',
      "Value '1-valkey' at 'stackName'",
    ],
    [
      'CloudFormation: a parameter without a key',
      () =>
        cloudformation().send(
          new CreateStackCommand({
            StackName: 'valkey',
            TemplateBody: '{}',
            Parameters: [{ ParameterValue: 'x' }],
          }),
        ),
      'ValidationError',
      "at 'parameters.member.0.parameterKey'",
    ],
    [
      'S3: a bucket name with capitals',
      () =>
        s3.send(
          new CreateBucketCommand({
            Bucket: 'Lifeboat_Reports',
            CreateBucketConfiguration: { LocationConstraint: 'us-east-2' },
          }),
        ),
      'InvalidBucketName',
      "Value 'Lifeboat_Reports' at 'Bucket'",
    ],
    [
      'S3: a versioning status S3 does not have',
      () =>
        s3.send(
          new PutBucketVersioningCommand({
            Bucket: bucket,
            VersioningConfiguration: { Status: 'Sometimes' as 'Enabled' },
          }),
        ),
      'MalformedXML',
      "at 'VersioningConfiguration.Status'",
    ],
    [
      'S3: an encryption S3 does not have',
      () => putWithUnknownEncryption(),
      'InvalidArgument',
      "Value 'rot13' at 'x-amz-server-side-encryption'",
    ],
    [
      'S3: a negative page size',
      () =>
        s3.send(
          new ListObjectsV2Command({ Bucket: bucket, MaxKeys: -1 } as ListObjectsV2CommandInput),
        ),
      'InvalidArgument',
      "at 'max-keys'",
    ],
  ])('%s', async (_, call, code, words) => {
    // Act
    const refusal = await refusalOf(call());
    // Assess
    expect(refusal.name).toBe(code);
    expect(refusal.$metadata.httpStatusCode).toBe(400);
    expect(refusal.message).toContain(words);
  });

  it('DRS lists each field that failed, as its ValidationException does', async () => {
    // Act
    const refusal = await refusalOf(
      drs().send(new StartRecoveryCommand({ sourceServers: [{ sourceServerID: 'nope' }] })),
    );
    // Assess
    expect(refusal).toMatchObject({
      name: 'ValidationException',
      reason: 'fieldValidationFailed',
      fieldList: [{ name: 'sourceServers.0.sourceServerID' }],
    });
  });

  it('S3 names the argument and its value', async () => {
    // Act
    const refusal = await refusalOf(putWithUnknownEncryption());
    // Assess
    expect(refusal).toMatchObject({
      ArgumentName: 'x-amz-server-side-encryption',
      ArgumentValue: 'rot13',
    });
  });

  it('answers a DRS body that is not JSON with a ValidationException, not a crash', async () => {
    // Act
    const response = await rawRequest('drs', '/DescribeSourceServers', {
      method: 'POST',
      body: '{"maxResults": ',
    });
    // Assess
    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toBe('ValidationException');
    expect(await response.json()).toMatchObject({ reason: 'cannotParse' });
  });

  it('refuses a stack looked up by a name too long to be one', async () => {
    // Act
    const refusal = await refusalOf(
      cloudformation().send(new DescribeStacksCommand({ StackName: 'x'.repeat(300) })),
    );
    // Assess
    expect(refusal.name).toBe('ValidationError');
    expect(refusal.message).toContain("at 'stackName'");
  });
});
