import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  ObjectLockRetention,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { InvalidPropsError } from '../errors.ts';

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
}

const S3_BUCKET_NAME = /^(?!xn--)(?!.*-s3alias$)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

/**
 * The region's evidence store for run reports (RTO and RPO measured, who approved, who signed
 * off): versioned, object-locked, encrypted, private, TLS only, with server access logs in a
 * bucket of their own. Kept when the stack goes.
 */
export class ReportBucket extends Construct {
  readonly bucket: Bucket;
  readonly accessLogs: Bucket;

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
      encryption: BucketEncryption.S3_MANAGED,
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
  }
}
