import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import {
  grantReadReportKeys,
  REPORTS_ACCESS_TAG,
  ReportBucket,
  type ReportBucketProps,
} from '../../../infra/constructs/report-bucket.ts';
import { InvalidPropsError } from '../../../infra/errors.ts';
import { cdkJsonContext } from '../synthesize.ts';

const ACCOUNT = '111122223333';
const BUCKET = `lifeboat-reports-${ACCOUNT}-us-east-1`;
const AUDITOR = `arn:aws:iam::${ACCOUNT}:role/LifeboatAuditor`;

interface Statement {
  Sid?: string;
  Effect: string;
  Principal?: unknown;
  Action: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

function reports(props: Partial<ReportBucketProps> = {}) {
  const app = new App({
    builtinCloudFormationValidation: false,
    // The app's feature flags (cdk.json), as the deploy synthesizes it.
    context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] },
  });
  const stack = new Stack(app, 'Test', { env: { account: ACCOUNT, region: 'us-east-1' } });
  const bucket = new ReportBucket(stack, 'Reports', {
    bucketName: BUCKET,
    accessLogsBucketName: `lifeboat-access-logs-${ACCOUNT}-us-east-1`,
    ...props,
  });
  const role = (id: string) =>
    new Role(stack, id, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      path: '/lifeboat/',
    });
  return { stack, bucket, role, template: () => Template.fromStack(stack) };
}

const keyPolicy = (template: Template): Statement[] => {
  const [key] = Object.values(template.findResources('AWS::KMS::Key'));
  return key?.Properties.KeyPolicy.Statement as Statement[];
};
const actions = (s: Statement) => [s.Action].flat();

describe('the report bucket', () => {
  it('encrypts with a key of its own, rotated and kept, with an S3 Bucket Key', () => {
    // Act
    const { template } = reports();
    // Assess
    const t = template();
    t.hasResource('AWS::KMS::Key', {
      DeletionPolicy: 'Retain',
      Properties: { EnableKeyRotation: true },
    });
    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: BUCKET,
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: Match.anyValue(),
            },
            BucketKeyEnabled: true,
          },
        ],
      },
    });
  });

  it('lets the account manage the key, never use it: IAM alone grants no decryption', () => {
    // Act
    const statements = keyPolicy(reports().template());
    // Assess
    const [admin] = statements;
    expect(admin?.Sid).toBe('AccountManagesTheKeyOnly');
    expect(actions(admin as Statement)).not.toContain('kms:*');
    for (const s of statements.filter((x) => x.Effect === 'Allow')) {
      const crypto = actions(s).filter((a) =>
        /^kms:(Decrypt|Encrypt|GenerateDataKey|ReEncrypt|\*)/.test(a),
      );
      // Every statement that uses the key is conditioned on S3 and on this bucket.
      if (crypto.length > 0) {
        expect(s.Condition?.StringEquals?.['kms:ViaService']).toBe('s3.us-east-1.amazonaws.com');
        expect(s.Condition?.StringLike?.['kms:EncryptionContext:aws:s3:arn']).toEqual([
          `arn:aws:s3:::${BUCKET}`,
          `arn:aws:s3:::${BUCKET}/*`,
        ]);
      }
    }
  });

  it.each([
    ['LifeboatWritesReports', 'write', ['kms:GenerateDataKey', 'kms:Decrypt']],
    ['LifeboatReadsReports', 'read', ['kms:Decrypt']],
  ])('%s: only Lifeboat function roles tagged %s', (sid, access, allowed) => {
    // Act
    const statement = keyPolicy(reports().template()).find((s) => s.Sid === sid);
    // Assess
    expect(actions(statement as Statement).sort()).toEqual([...allowed].sort());
    expect(statement?.Condition?.StringEquals?.[`aws:PrincipalTag/${REPORTS_ACCESS_TAG}`]).toBe(
      access,
    );
    expect(statement?.Condition?.ArnLike).toEqual({
      'aws:PrincipalArn': `arn:aws:iam::${ACCOUNT}:role/lifeboat/*`,
    });
  });

  it('lets the named auditors read, through the key and the bucket, and nobody else by name', () => {
    // Act
    const { template } = reports({ auditorRoleArns: [AUDITOR] });
    const t = template();
    // Assess
    const auditors = keyPolicy(t).find((s) => s.Sid === 'AuditorsReadReports');
    expect(auditors?.Principal).toEqual({ AWS: AUDITOR });
    expect(actions(auditors as Statement)).toEqual(['kms:Decrypt']);
    const bucketPolicy = JSON.stringify(t.findResources('AWS::S3::BucketPolicy'));
    expect(bucketPolicy).toContain(`"AWS":"${AUDITOR}"`);
    expect(keyPolicy(reports().template()).map((s) => s.Sid)).not.toContain('AuditorsReadReports');
  });

  it("refuses writes that name S3's own key or another KMS key", () => {
    // Act
    const policies = Object.values(reports().template().findResources('AWS::S3::BucketPolicy'));
    const statements = policies.flatMap(
      (p) => p.Properties.PolicyDocument.Statement as Statement[],
    );
    // Assess
    const ownKey = statements.find((s) => s.Sid === 'OnlyTheReportKey');
    expect(ownKey).toMatchObject({
      Effect: 'Deny',
      Action: 's3:PutObject',
      Condition: {
        StringEquals: { 's3:x-amz-server-side-encryption': ['AES256', 'aws:kms:dsse'] },
      },
    });
    const otherKey = statements.find((s) => s.Sid === 'OnlyTheReportKeyId');
    expect(otherKey).toMatchObject({
      Effect: 'Deny',
      Condition: {
        Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'false' },
        StringNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': expect.anything() },
      },
    });
  });

  it.each([
    ['governance', 'GOVERNANCE'],
    ['compliance', 'COMPLIANCE'],
  ] as const)('locks each version in %s mode, as the deploy setting says', (lockMode, mode) => {
    // Act
    const t = reports({ lockMode }).template();
    // Assess
    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: BUCKET,
      ObjectLockConfiguration: { Rule: { DefaultRetention: { Mode: mode } } },
    });
  });

  it('tags a writer and lets it use this key through S3; tags a reader for every report bucket', () => {
    // Prepare
    const { bucket, role, template } = reports();
    const writer = role('Writer');
    const reader = role('Reader');
    // Act
    bucket.grantWriteKey(writer);
    grantReadReportKeys(reader, [BUCKET, `lifeboat-reports-${ACCOUNT}-us-west-2`]);
    // Assess
    const t = template();
    const tagOf = (id: string) =>
      (Object.entries(t.findResources('AWS::IAM::Role')).find(([k]) => k.startsWith(id))?.[1]
        .Properties.Tags ?? []) as { Key: string; Value: string }[];
    expect(tagOf('Writer')).toContainEqual({ Key: REPORTS_ACCESS_TAG, Value: 'write' });
    expect(tagOf('Reader')).toContainEqual({ Key: REPORTS_ACCESS_TAG, Value: 'read' });
    const policies = JSON.stringify(t.findResources('AWS::IAM::Policy'));
    expect(policies).toContain(`arn:aws:kms:*:${ACCOUNT}:key/*`);
    expect(policies).toContain(`"arn:aws:s3:::lifeboat-reports-${ACCOUNT}-us-west-2/*"`);
  });

  it('refuses an auditor that is not a role ARN, naming it', () => {
    // Act
    const build = () => reports({ auditorRoleArns: ['LifeboatAuditor'] });
    // Assess
    expect(build).toThrow(InvalidPropsError);
    expect(build).toThrow('"LifeboatAuditor" is not an IAM role ARN');
  });
});
