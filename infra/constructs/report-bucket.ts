import { Duration, RemovalPolicy, Stack, Tags } from 'aws-cdk-lib';
import {
  AccountRootPrincipal,
  AnyPrincipal,
  ArnPrincipal,
  Effect,
  type IRole,
  PolicyDocument,
  PolicyStatement,
} from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  ObjectLockRetention,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { InvalidPropsError } from '../errors.ts';
import { acknowledgeWildcards } from '../nag/acknowledge.ts';
import { FUNCTION_ROLE_PATH } from './lifeboat-function.ts';

export interface ReportBucketProps {
  /** The reports' bucket name (S3 names are global: include the account and region). */
  bucketName: string;
  /** The bucket receiving the reports bucket's server access logs. */
  accessLogsBucketName: string;
  /**
   * How long each report version is locked against deletion and overwrite.
   * @default 7 years
   */
  retention?: Duration;
  /**
   * `governance`: only principals with `s3:BypassGovernanceRetention` may delete early;
   * `compliance`: nobody may, not even the account's root user.
   * @default 'governance'
   */
  lockMode?: 'governance' | 'compliance';
  /**
   * How long server access logs are kept.
   * @default 1 year
   */
  accessLogsRetention?: Duration;
  /**
   * Roles of auditors who may read the reports (ARNs; in this account or another). They need
   * no KMS permission of their own; in their own account, `s3:GetObject` on the bucket.
   * @default none
   */
  auditorRoleArns?: readonly string[];
}

/**
 * The tag that lets one of Lifeboat's function roles (under `/lifeboat/`) use a report key:
 * `write` (the report step and an aborted run's end) or `read` (presigned report links).
 */
export const REPORTS_ACCESS_TAG = 'lifeboat:reports';
const IAM_ROLE_ARN = /^arn:aws:iam::\d{12}:role\/[\w+=,.@/-]+$/;
/** What the account may do with the key itself: manage it, never use it (IAM grants no use). */
const KEY_ADMINISTRATION = [
  'kms:Create*',
  'kms:Describe*',
  'kms:Enable*',
  'kms:List*',
  'kms:Put*',
  'kms:Update*',
  'kms:Revoke*',
  'kms:Disable*',
  'kms:Get*',
  'kms:Delete*',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
];

const S3_BUCKET_NAME = /^(?!xn--)(?!.*-s3alias$)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

/**
 * The region's evidence store for run reports (RTO and RPO measured, who approved, who signed
 * off): versioned, object-locked, private, TLS only, with server access logs in a bucket of
 * their own. Kept when the stack goes, and so is its key.
 *
 * Encrypted with a customer managed KMS key (rotated yearly, S3 Bucket Key on) whose policy
 * lets the account manage the key but not use it: only Lifeboat's function roles tagged
 * {@link REPORTS_ACCESS_TAG} (`write`: the writers; `read`: the notifier's and the ingress's
 * presigned links) and the named auditor roles decrypt, and only through S3. A reader of the
 * tooling account with `s3:GetObject` on `*` gets `AccessDenied` from KMS. A write that asks
 * for another key, or for S3's own, is refused by the bucket policy.
 */
export class ReportBucket extends Construct {
  readonly bucket: Bucket;
  readonly accessLogs: Bucket;
  readonly key: Key;

  constructor(scope: Construct, id: string, props: ReportBucketProps) {
    super(scope, id);
    for (const name of [props.bucketName, props.accessLogsBucketName]) {
      if (!S3_BUCKET_NAME.test(name))
        throw new InvalidPropsError(
          'ReportBucket',
          `"${name}" is not a valid S3 bucket name (3-63 lower-case letters, digits and dashes).`,
        );
    }
    const retention = props.retention ?? Duration.days(2557);
    const seconds = retention.toSeconds({ integral: false });
    if (seconds < 86_400 || seconds % 86_400 !== 0)
      throw new InvalidPropsError(
        'ReportBucket',
        `retention ${retention.toHumanString()} is not a whole number of days (at least one); object lock counts in days.`,
      );
    const auditors = props.auditorRoleArns ?? [];
    for (const arn of auditors)
      if (!IAM_ROLE_ARN.test(arn))
        throw new InvalidPropsError(
          'ReportBucket',
          `auditor "${arn}" is not an IAM role ARN like arn:aws:iam::111122223333:role/Auditor.`,
        );
    const { account, region } = Stack.of(this);
    const viaS3 = { 'kms:ViaService': `s3.${region}.amazonaws.com` };
    const lifeboatRole = {
      'aws:PrincipalArn': `arn:aws:iam::${account}:role${FUNCTION_ROLE_PATH}*`,
    };
    // S3's encryption context names the bucket (with a Bucket Key) or the object (without).
    const thisBucket = {
      'kms:EncryptionContext:aws:s3:arn': [
        `arn:aws:s3:::${props.bucketName}`,
        `arn:aws:s3:::${props.bucketName}/*`,
      ],
    };
    const tagged = (access: 'read' | 'write') => ({
      [`aws:PrincipalTag/${REPORTS_ACCESS_TAG}`]: access,
    });
    this.key = new Key(this, 'Key', {
      alias: 'alias/lifeboat-reports',
      description: "Lifeboat: the region's run reports",
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
      policy: new PolicyDocument({
        statements: [
          new PolicyStatement({
            sid: 'AccountManagesTheKeyOnly',
            principals: [new AccountRootPrincipal()],
            actions: KEY_ADMINISTRATION,
            resources: ['*'],
          }),
          new PolicyStatement({
            sid: 'LifeboatWritesReports',
            principals: [new AccountRootPrincipal()],
            actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
            resources: ['*'],
            conditions: {
              StringEquals: { ...viaS3, ...tagged('write') },
              StringLike: thisBucket,
              ArnLike: lifeboatRole,
            },
          }),
          new PolicyStatement({
            sid: 'LifeboatReadsReports',
            principals: [new AccountRootPrincipal()],
            actions: ['kms:Decrypt'],
            resources: ['*'],
            conditions: {
              StringEquals: { ...viaS3, ...tagged('read') },
              StringLike: thisBucket,
              ArnLike: lifeboatRole,
            },
          }),
          ...(auditors.length > 0
            ? [
                new PolicyStatement({
                  sid: 'AuditorsReadReports',
                  principals: auditors.map((arn) => new ArnPrincipal(arn)),
                  actions: ['kms:Decrypt'],
                  resources: ['*'],
                  conditions: { StringEquals: viaS3, StringLike: thisBucket },
                }),
              ]
            : []),
        ],
      }),
    });
    this.accessLogs = new Bucket(this, 'AccessLogs', {
      bucketName: props.accessLogsBucketName,
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ expiration: props.accessLogsRetention ?? Duration.days(365) }],
    });
    this.bucket = new Bucket(this, 'Reports', {
      bucketName: props.bucketName,
      encryption: BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: true,
      objectLockEnabled: true,
      objectLockDefaultRetention:
        (props.lockMode ?? 'governance') === 'compliance'
          ? ObjectLockRetention.compliance(retention)
          : ObjectLockRetention.governance(retention),
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'reports/',
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        { abortIncompleteMultipartUploadAfter: Duration.days(7) },
        // Locked versions cannot go before their retention ends; after it they need not stay.
        { noncurrentVersionExpiration: retention.plus(Duration.days(1)) },
      ],
    });
    const objects = this.bucket.arnForObjects('*');
    // The bucket's key or none: a write naming S3's own key or another KMS key is refused.
    this.bucket.addToResourcePolicy(
      new PolicyStatement({
        sid: 'OnlyTheReportKey',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [objects],
        conditions: {
          StringEquals: { 's3:x-amz-server-side-encryption': ['AES256', 'aws:kms:dsse'] },
        },
      }),
    );
    this.bucket.addToResourcePolicy(
      new PolicyStatement({
        sid: 'OnlyTheReportKeyId',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [objects],
        conditions: {
          Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'false' },
          StringNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': this.key.keyArn },
        },
      }),
    );
    if (auditors.length > 0)
      this.bucket.addToResourcePolicy(
        new PolicyStatement({
          sid: 'AuditorsReadReports',
          principals: auditors.map((arn) => new ArnPrincipal(arn)),
          actions: [
            's3:GetObject',
            's3:GetObjectVersion',
            's3:ListBucket',
            's3:ListBucketVersions',
          ],
          resources: [this.bucket.bucketArn, objects],
        }),
      );
  }

  /** Lets one of Lifeboat's function roles write reports: tagged, and allowed the key. */
  grantWriteKey(role: IRole): void {
    Tags.of(role).add(REPORTS_ACCESS_TAG, 'write');
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [this.key.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.amazonaws.com` },
        },
      }),
    );
  }
}

/**
 * Lets one of Lifeboat's function roles read the reports of every region's bucket (presigned
 * links): tagged `read`, and allowed to decrypt through S3 the objects of those buckets (their
 * keys live in other stacks: matched by S3's encryption context, the bucket's ARN).
 */
export function grantReadReportKeys(role: IRole, bucketNames: readonly string[]): void {
  Tags.of(role).add(REPORTS_ACCESS_TAG, 'read');
  const { account } = Stack.of(role);
  const keys = `arn:aws:kms:*:${account}:key/*`;
  role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['kms:Decrypt'],
      resources: [keys],
      conditions: {
        StringLike: {
          'kms:ViaService': 's3.*.amazonaws.com',
          // The bucket's ARN with an S3 Bucket Key; an object's without one.
          'kms:EncryptionContext:aws:s3:arn': bucketNames.flatMap((b) => [
            `arn:aws:s3:::${b}`,
            `arn:aws:s3:::${b}/*`,
          ]),
        },
      },
    }),
  );
  acknowledgeWildcards(
    role,
    [keys],
    "Each region's report key is created by that region's stack, so its id is not known here; decryption is limited to calls through S3 whose encryption context is one of the deployment's report buckets, and each key's policy admits only roles tagged to read reports.",
  );
}
