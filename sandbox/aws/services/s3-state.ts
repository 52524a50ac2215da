import { createHash } from 'node:crypto';
import { AwsError } from '../errors.ts';
import type { Estate } from '../estate.ts';

export type LockMode = 'GOVERNANCE' | 'COMPLIANCE';
export type Lock = { mode: LockMode; retainUntil: number };

export interface ObjectVersion {
  versionId: string;
  /** A delete marker has no body and hides the versions before it. */
  deleteMarker: boolean;
  body: Buffer;
  etag: string;
  lastModified: number;
  contentType: string;
  headers: Record<string, string>;
  lock?: Lock;
}

export interface Bucket {
  name: string;
  account: string;
  region: string;
  createdAt: number;
  versioning: 'Unversioned' | 'Enabled' | 'Suspended';
  objectLock: boolean;
  defaultRetention?: { mode: LockMode; days: number };
  /** Each key's versions, oldest first. */
  objects: Map<string, ObjectVersion[]>;
}

/** What a listing holds: a key and its current version, or a prefix folded at the delimiter. */
export type Listed = { key: string; version: ObjectVersion } | { prefix: string };

/** What a delete did: the version it removed or the marker it added. */
export interface Deleted {
  versionId?: string;
  deleteMarker?: boolean;
}

/**
 * S3's world: buckets in the region they were created in (names are global), objects in memory
 * with versioning and object lock. A locked version cannot be deleted before its retain-until
 * date (a governance lock can be bypassed); overwriting a versioned key only adds a version.
 */
export class S3State {
  private readonly buckets = new Map<string, Bucket>();
  private versionsMade = 0;

  constructor(private readonly estate: Estate) {}

  /** The bucket, if it exists, belongs to the account and lives in the signed region. */
  bucket(account: string, region: string, name: string): Bucket {
    const bucket = this.buckets.get(name);
    if (!bucket)
      throw new AwsError('NoSuchBucket', 'The specified bucket does not exist', 404, {
        BucketName: name,
      });
    if (bucket.region !== region)
      throw new AwsError(
        'AuthorizationHeaderMalformed',
        `The authorization header is malformed; the region '${region}' is wrong; expecting '${bucket.region}'`,
        400,
        { Region: bucket.region },
      );
    if (bucket.account !== account) throw new AwsError('AccessDenied', 'Access Denied', 403);
    return bucket;
  }

  /** A bucket in the region its location constraint names (none means us-east-1), once. */
  createBucket(
    account: string,
    region: string,
    name: string,
    options: { location: string | undefined; objectLock: boolean },
  ): Bucket {
    const existing = this.buckets.get(name);
    if (existing)
      throw existing.account === account
        ? new AwsError(
            'BucketAlreadyOwnedByYou',
            'Your previous request to create the named bucket succeeded and you already own it.',
            409,
            { BucketName: name },
          )
        : new AwsError(
            'BucketAlreadyExists',
            'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.',
            409,
            { BucketName: name },
          );
    const location = options.location || 'us-east-1';
    if (location !== region)
      throw new AwsError(
        'IllegalLocationConstraintException',
        options.location
          ? `The ${location} location constraint is incompatible for the region specific endpoint this request was sent to.`
          : 'The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.',
        400,
      );
    const bucket: Bucket = {
      name,
      account,
      region,
      createdAt: this.estate.now(),
      // Object lock needs versioning, and turns it on for good.
      versioning: options.objectLock ? 'Enabled' : 'Unversioned',
      objectLock: options.objectLock,
      objects: new Map(),
    };
    this.buckets.set(name, bucket);
    return bucket;
  }

  setVersioning(bucket: Bucket, status: 'Enabled' | 'Suspended'): void {
    if (bucket.objectLock && status === 'Suspended')
      throw new AwsError(
        'InvalidBucketState',
        'An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.',
        409,
      );
    bucket.versioning = status;
  }

  /** The retention every new version gets; none clears it. Only for a bucket made with object lock. */
  setDefaultRetention(bucket: Bucket, retention: { mode: LockMode; days: number } | undefined) {
    if (!bucket.objectLock)
      throw new AwsError(
        'InvalidBucketState',
        'Object Lock configuration cannot be enabled on existing buckets',
        409,
      );
    if (retention) bucket.defaultRetention = retention;
    else delete bucket.defaultRetention;
  }

  /** The lock a new version gets: the one asked for, else the bucket's default retention. */
  lockFor(bucket: Bucket, asked: Lock | undefined): Lock | undefined {
    const now = this.estate.now();
    if (!asked) {
      const retention = bucket.defaultRetention;
      return retention
        ? { mode: retention.mode, retainUntil: now + retention.days * 86_400_000 }
        : undefined;
    }
    if (!bucket.objectLock)
      throw new AwsError('InvalidRequest', 'Bucket is missing Object Lock Configuration', 400);
    if (asked.retainUntil <= now)
      throw new AwsError('InvalidArgument', 'The retain until date must be in the future!', 400);
    return asked;
  }

  putObject(
    bucket: Bucket,
    key: string,
    object: Pick<ObjectVersion, 'body' | 'contentType' | 'headers' | 'lock'>,
  ): ObjectVersion {
    const version: ObjectVersion = {
      versionId: bucket.versioning === 'Enabled' ? this.newVersionId() : 'null',
      deleteMarker: false,
      body: object.body,
      etag: `"${createHash('md5').update(object.body).digest('hex')}"`,
      lastModified: this.estate.now(),
      contentType: object.contentType,
      headers: object.headers,
      ...(object.lock ? { lock: object.lock } : {}),
    };
    this.addVersion(bucket, key, version);
    this.estate.record('s3-put-object', {
      bucket: bucket.name,
      key,
      versionId: version.versionId,
      bytes: object.body.length,
    });
    return version;
  }

  /** S3's version ids are opaque 32-character strings; these are deterministic, as the estate is. */
  private newVersionId(): string {
    this.versionsMade += 1;
    return createHash('sha256')
      .update(`version:${this.versionsMade}`)
      .digest('base64url')
      .slice(0, 32);
  }

  private addVersion(bucket: Bucket, key: string, version: ObjectVersion): void {
    const versions = bucket.objects.get(key) ?? [];
    // Unversioned and suspended buckets have one "null" version, replaced in place.
    const kept =
      version.versionId === 'null' ? versions.filter((v) => v.versionId !== 'null') : versions;
    bucket.objects.set(key, [...kept, version]);
  }

  /** The key's current version, or the one asked for; a delete marker answers as S3 does. */
  version(bucket: Bucket, key: string, versionId: string | undefined, method: string) {
    const versions = bucket.objects.get(key) ?? [];
    const version =
      versionId === undefined ? versions.at(-1) : versions.find((v) => v.versionId === versionId);
    if (!version) {
      if (versionId !== undefined && versions.length > 0)
        throw new AwsError('NoSuchVersion', 'The specified version does not exist.', 404, {
          Key: key,
          VersionId: versionId,
        });
      throw new AwsError('NoSuchKey', 'The specified key does not exist.', 404, { Key: key });
    }
    if (version.deleteMarker) {
      // The current version is a delete marker: the key is gone, its versions are not.
      if (versionId !== undefined)
        throw new AwsError(
          'MethodNotAllowed',
          'The specified method is not allowed against this resource.',
          405,
          { Method: method, ResourceType: 'DeleteMarker' },
        );
      throw new AwsError('NoSuchKey', 'The specified key does not exist.', 404, { Key: key });
    }
    return version;
  }

  /** Without a version: gone (unversioned) or hidden behind a marker. With one: that version, unless locked. */
  deleteObject(
    bucket: Bucket,
    key: string,
    versionId: string | undefined,
    bypassGovernance: boolean,
  ): Deleted {
    const versions = bucket.objects.get(key) ?? [];
    if (versionId === undefined) {
      if (bucket.versioning === 'Unversioned') {
        bucket.objects.delete(key);
        return {};
      }
      // A versioned delete hides the key behind a marker; every version stays.
      const marker: ObjectVersion = {
        versionId: bucket.versioning === 'Enabled' ? this.newVersionId() : 'null',
        deleteMarker: true,
        body: Buffer.alloc(0),
        etag: '',
        lastModified: this.estate.now(),
        contentType: '',
        headers: {},
      };
      this.addVersion(bucket, key, marker);
      return { versionId: marker.versionId, deleteMarker: true };
    }
    const version = versions.find((v) => v.versionId === versionId);
    if (!version) return {};
    const { lock } = version;
    if (
      lock &&
      lock.retainUntil > this.estate.now() &&
      !(lock.mode === 'GOVERNANCE' && bypassGovernance)
    )
      throw new AwsError(
        'AccessDenied',
        'Access Denied because object protected by object lock.',
        403,
      );
    bucket.objects.set(
      key,
      versions.filter((v) => v !== version),
    );
    return {
      versionId: version.versionId,
      ...(version.deleteMarker ? { deleteMarker: true } : {}),
    };
  }

  /** Keys under a prefix after `after`, and the prefixes folded at the delimiter, in UTF-8 binary order. */
  list(bucket: Bucket, options: { prefix: string; delimiter: string; after: string }): Listed[] {
    const { prefix, delimiter, after } = options;
    const entries: Listed[] = [];
    const seen = new Set<string>();
    const keys = [...bucket.objects.keys()].sort((a, b) =>
      Buffer.compare(Buffer.from(a), Buffer.from(b)),
    );
    for (const key of keys) {
      const version = bucket.objects.get(key)?.at(-1);
      if (!version || version.deleteMarker || !key.startsWith(prefix) || key <= after) continue;
      const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
      if (cut >= 0) {
        const common = key.slice(0, cut + delimiter.length);
        if (!seen.has(common) && common > after) entries.push({ prefix: common });
        seen.add(common);
      } else entries.push({ key, version });
    }
    return entries;
  }
}
