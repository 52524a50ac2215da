import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { XMLParser } from 'fast-xml-parser';
import { AwsError } from '../errors.ts';
import type { Estate } from '../estate.ts';
import {
  escapeXml,
  requestId,
  type SimRequest,
  type SimResponse,
  type SimService,
  toXml,
  type XmlValue,
} from '../protocol.ts';

const NS = 'http://s3.amazonaws.com/doc/2006-03-01/';
/** SigV4 presigned URLs live at most a week. */
const MAX_PRESIGN_SECONDS = 604_800;
const MAX_KEYS = 1000;
const BUCKET_NAME =
  /^(?!xn--)(?!.*-s3alias$)(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** Headers S3 keeps with an object and gives back on GET and HEAD. */
const KEPT_HEADERS = [
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-language',
];
const SSE = ['AES256', 'aws:kms', 'aws:kms:dsse'];

type LockMode = 'GOVERNANCE' | 'COMPLIANCE';

interface ObjectVersion {
  versionId: string;
  /** A delete marker has no body and hides the versions before it. */
  deleteMarker: boolean;
  body: Buffer;
  etag: string;
  lastModified: number;
  contentType: string;
  headers: Record<string, string>;
  lock?: { mode: LockMode; retainUntil: number };
}

interface Bucket {
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

const parser = new XMLParser({ parseTagValue: false });

/**
 * S3 (REST-XML), path-style (`/<bucket>/<key>`): buckets in the region they were created in,
 * objects in memory with versioning and object lock (a locked version cannot be deleted before
 * its retain-until date; overwriting a versioned key only adds a version), and presigned GETs
 * checked for expiry. Enough for Lifeboat's report store and its links.
 */
export class S3Service implements SimService {
  readonly signingName = 's3';
  /** Bucket names are global, as in S3; each bucket answers only in its region. */
  private readonly buckets = new Map<string, Bucket>();
  private versionsMade = 0;

  constructor(private readonly estate: Estate) {}

  operationOf(req: SimRequest): string {
    const { bucket, key } = pathOf(req);
    const q = req.query;
    if (!bucket) return req.method === 'GET' ? 'ListBuckets' : `${req.method} /`;
    if (key === undefined) {
      if (req.method === 'PUT')
        return q.has('versioning')
          ? 'PutBucketVersioning'
          : q.has('object-lock')
            ? 'PutObjectLockConfiguration'
            : 'CreateBucket';
      if (req.method === 'GET' && q.get('list-type') === '2') return 'ListObjectsV2';
      if (req.method === 'GET' && q.has('versioning')) return 'GetBucketVersioning';
      if (req.method === 'HEAD') return 'HeadBucket';
      return `${req.method} /${bucket}?${[...q.keys()].join('&')}`;
    }
    if (req.method === 'PUT')
      return req.headers['x-amz-copy-source']
        ? 'CopyObject'
        : q.has('retention')
          ? 'PutObjectRetention'
          : 'PutObject';
    if (req.method === 'GET') return 'GetObject';
    if (req.method === 'HEAD') return 'HeadObject';
    if (req.method === 'DELETE') return 'DeleteObject';
    return `${req.method} /${bucket}/${key}`;
  }

  handle(req: SimRequest, operation: string): SimResponse {
    checkPresigned(req);
    const { bucket: name = '', key = '' } = pathOf(req);
    switch (operation) {
      case 'CreateBucket':
        return this.createBucket(req, name);
      case 'HeadBucket':
        this.bucket(req, name);
        return { status: 200, headers: { 'x-amz-bucket-region': req.region }, body: '' };
      case 'PutBucketVersioning':
        return this.putBucketVersioning(req, this.bucket(req, name));
      case 'GetBucketVersioning':
        return getBucketVersioning(this.bucket(req, name));
      case 'PutObjectLockConfiguration':
        return this.putObjectLockConfiguration(req, this.bucket(req, name));
      case 'ListObjectsV2':
        return listObjects(req, this.bucket(req, name));
      case 'PutObject':
        return this.putObject(req, this.bucket(req, name), key);
      case 'GetObject':
        return getObject(req, this.bucket(req, name), key, true);
      case 'HeadObject':
        return getObject(req, this.bucket(req, name), key, false);
      case 'DeleteObject':
        return this.deleteObject(req, this.bucket(req, name), key);
      default:
        throw new AwsError(
          'NotImplemented',
          `The local S3 does not simulate ${operation}; it answers CreateBucket, HeadBucket, PutBucketVersioning, GetBucketVersioning, PutObjectLockConfiguration, ListObjectsV2, PutObject, GetObject, HeadObject and DeleteObject (path-style).`,
          501,
        );
    }
  }

  renderError(error: AwsError): SimResponse {
    const id = requestId();
    return {
      status: error.status,
      headers: { 'content-type': 'application/xml', 'x-amz-request-id': id },
      body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${toXml({ Code: error.code, Message: error.message, ...(error.fields as Record<string, XmlValue>), RequestId: id })}</Error>`,
    };
  }

  throttlingError(): AwsError {
    return new AwsError('SlowDown', 'Please reduce your request rate.', 503);
  }

  /** The bucket, if it exists, belongs to the caller's account and lives in the signed region. */
  private bucket(req: SimRequest, name: string): Bucket {
    const bucket = this.buckets.get(name);
    if (!bucket)
      throw new AwsError('NoSuchBucket', 'The specified bucket does not exist', 404, {
        BucketName: name,
      });
    if (bucket.region !== req.region)
      throw new AwsError(
        'AuthorizationHeaderMalformed',
        `The authorization header is malformed; the region '${req.region}' is wrong; expecting '${bucket.region}'`,
        400,
        { Region: bucket.region },
      );
    if (bucket.account !== req.account) throw new AwsError('AccessDenied', 'Access Denied', 403);
    return bucket;
  }

  private createBucket(req: SimRequest, name: string): SimResponse {
    if (!BUCKET_NAME.test(name) || name.includes('..'))
      throw new AwsError('InvalidBucketName', 'The specified bucket is not valid.', 400, {
        BucketName: name,
      });
    const existing = this.buckets.get(name);
    if (existing)
      throw existing.account === req.account
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
    const constraint = readXml(req, 'CreateBucketConfiguration')?.LocationConstraint;
    const location = typeof constraint === 'string' && constraint ? constraint : 'us-east-1';
    if (location !== req.region)
      throw new AwsError(
        'IllegalLocationConstraintException',
        constraint
          ? `The ${location} location constraint is incompatible for the region specific endpoint this request was sent to.`
          : 'The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.',
        400,
      );
    const objectLock = String(req.headers['x-amz-bucket-object-lock-enabled']) === 'true';
    this.buckets.set(name, {
      name,
      account: req.account,
      region: req.region,
      createdAt: this.estate.now(),
      // Object lock needs versioning, and turns it on for good.
      versioning: objectLock ? 'Enabled' : 'Unversioned',
      objectLock,
      objects: new Map(),
    });
    return { status: 200, headers: { location: `/${name}` }, body: '' };
  }

  private putBucketVersioning(req: SimRequest, bucket: Bucket): SimResponse {
    const status = readXml(req, 'VersioningConfiguration')?.Status;
    if (status !== 'Enabled' && status !== 'Suspended')
      throw new AwsError(
        'MalformedXML',
        'The XML you provided was not well-formed or did not validate against our published schema',
        400,
      );
    if (bucket.objectLock && status === 'Suspended')
      throw new AwsError(
        'InvalidBucketState',
        'An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.',
        409,
      );
    bucket.versioning = status;
    return { status: 200, body: '' };
  }

  private putObjectLockConfiguration(req: SimRequest, bucket: Bucket): SimResponse {
    const config = readXml(req, 'ObjectLockConfiguration');
    if (!bucket.objectLock)
      throw new AwsError(
        'InvalidBucketState',
        'Object Lock configuration cannot be enabled on existing buckets',
        409,
      );
    const retention = (config?.Rule as Record<string, unknown> | undefined)?.DefaultRetention as
      | Record<string, string>
      | undefined;
    if (!retention) {
      delete bucket.defaultRetention;
      return { status: 200, body: '' };
    }
    const mode = lockModeOf(retention.Mode);
    const days = Number(retention.Days);
    if (!Number.isInteger(days) || days < 1 || retention.Years !== undefined)
      throw new AwsError(
        'MalformedXML',
        'DefaultRetention needs Days, a whole number from 1 (the local S3 takes no Years).',
        400,
      );
    bucket.defaultRetention = { mode, days };
    return { status: 200, body: '' };
  }

  private putObject(req: SimRequest, bucket: Bucket, key: string): SimResponse {
    if (Buffer.byteLength(key) > 1024)
      throw new AwsError('KeyTooLongError', 'Your key is too long', 400);
    if (String(req.headers['content-encoding'] ?? '').includes('aws-chunked'))
      throw new AwsError(
        'NotImplemented',
        'The local S3 does not decode aws-chunked bodies; send the body as a string or Buffer.',
        501,
      );
    const sse = String(req.headers['x-amz-server-side-encryption'] ?? 'AES256');
    if (!SSE.includes(sse))
      throw new AwsError(
        'InvalidArgument',
        `Server Side Encryption with ${sse} is not valid; use ${SSE.join(', ')}.`,
        400,
        {
          ArgumentName: 'x-amz-server-side-encryption',
          ArgumentValue: sse,
        },
      );
    const lock = this.lockOf(req, bucket);
    if (lock) checkIntegrityHeader(req);
    checkDigests(req);
    const now = this.estate.now();
    const version: ObjectVersion = {
      versionId: bucket.versioning === 'Enabled' ? this.newVersionId() : 'null',
      deleteMarker: false,
      body: req.bytes,
      etag: `"${createHash('md5').update(req.bytes).digest('hex')}"`,
      lastModified: now,
      contentType: String(req.headers['content-type'] ?? 'binary/octet-stream'),
      headers: {
        ...keptHeaders(req),
        'x-amz-server-side-encryption': sse,
      },
      ...(lock ? { lock } : {}),
    };
    this.addVersion(bucket, key, version);
    this.estate.record('s3-put-object', {
      bucket: bucket.name,
      key,
      versionId: version.versionId,
      bytes: req.bytes.length,
    });
    return {
      status: 200,
      headers: {
        etag: version.etag,
        'x-amz-server-side-encryption': sse,
        ...(bucket.versioning === 'Unversioned' ? {} : { 'x-amz-version-id': version.versionId }),
      },
      body: '',
    };
  }

  /** S3's version ids are opaque 32-character strings; these are deterministic, as the estate is. */
  private newVersionId(): string {
    this.versionsMade += 1;
    return createHash('sha256')
      .update(`version:${this.versionsMade}`)
      .digest('base64url')
      .slice(0, 32);
  }

  /** The lock a new version gets: the request's, else the bucket's default retention. */
  private lockOf(req: SimRequest, bucket: Bucket): ObjectVersion['lock'] {
    const mode = req.headers['x-amz-object-lock-mode'];
    const until = req.headers['x-amz-object-lock-retain-until-date'];
    if (mode === undefined && until === undefined) {
      const retention = bucket.defaultRetention;
      return retention
        ? { mode: retention.mode, retainUntil: this.estate.now() + retention.days * 86_400_000 }
        : undefined;
    }
    if (mode === undefined || until === undefined)
      throw new AwsError(
        'InvalidArgument',
        'x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied',
        400,
      );
    if (!bucket.objectLock)
      throw new AwsError('InvalidRequest', 'Bucket is missing Object Lock Configuration', 400);
    const retainUntil = Date.parse(String(until));
    if (Number.isNaN(retainUntil))
      throw new AwsError(
        'InvalidArgument',
        `The retain until date "${String(until)}" is not an ISO 8601 date.`,
        400,
      );
    if (retainUntil <= this.estate.now())
      throw new AwsError('InvalidArgument', 'The retain until date must be in the future!', 400);
    return { mode: lockModeOf(mode), retainUntil };
  }

  private addVersion(bucket: Bucket, key: string, version: ObjectVersion): void {
    const versions = bucket.objects.get(key) ?? [];
    // Unversioned and suspended buckets have one "null" version, replaced in place.
    const kept =
      version.versionId === 'null' ? versions.filter((v) => v.versionId !== 'null') : versions;
    bucket.objects.set(key, [...kept, version]);
  }

  private deleteObject(req: SimRequest, bucket: Bucket, key: string): SimResponse {
    const versionId = req.query.get('versionId');
    const versions = bucket.objects.get(key) ?? [];
    if (versionId === null) {
      if (bucket.versioning === 'Unversioned') {
        bucket.objects.delete(key);
        return { status: 204, body: '' };
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
      return {
        status: 204,
        headers: { 'x-amz-delete-marker': 'true', 'x-amz-version-id': marker.versionId },
        body: '',
      };
    }
    const version = versions.find((v) => v.versionId === versionId);
    if (!version) return { status: 204, body: '' };
    const bypass = String(req.headers['x-amz-bypass-governance-retention']) === 'true';
    if (
      version.lock &&
      version.lock.retainUntil > this.estate.now() &&
      !(version.lock.mode === 'GOVERNANCE' && bypass)
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
      status: 204,
      headers: {
        'x-amz-version-id': version.versionId,
        ...(version.deleteMarker ? { 'x-amz-delete-marker': 'true' } : {}),
      },
      body: '',
    };
  }
}

/** Path-style addressing: `/<bucket>` or `/<bucket>/<key>` (the key percent-encoded). */
function pathOf(req: SimRequest): { bucket?: string; key?: string } {
  const match = /^\/([^/]+)(?:\/(.*))?$/.exec(req.path);
  if (!match) return {};
  const [, bucket = '', key] = match;
  return {
    bucket: decodeURIComponent(bucket),
    ...(key === undefined || key === '' ? {} : { key: decodeURIComponent(key) }),
  };
}

/** A presigned URL works until its signing time plus `X-Amz-Expires` (real time, the signer's). */
function checkPresigned(req: SimRequest): void {
  const date = req.query.get('X-Amz-Date');
  if (!date || req.headers.authorization) return;
  const expires = Number(req.query.get('X-Amz-Expires'));
  if (!Number.isInteger(expires) || expires < 1 || expires > MAX_PRESIGN_SECONDS)
    throw new AwsError(
      'AuthorizationQueryParametersError',
      `X-Amz-Expires must be less than a week (in seconds) that is; ${MAX_PRESIGN_SECONDS}`,
      400,
    );
  const signedAt = Date.parse(
    date.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
  );
  if (Number.isNaN(signedAt) || Date.now() > signedAt + expires * 1000)
    throw new AwsError('AccessDenied', 'Request has expired', 403, {
      'X-Amz-Expires': expires,
      Expires: new Date(signedAt + expires * 1000).toISOString(),
      ServerTime: new Date().toISOString(),
    });
}

/** S3 insists on an integrity header for anything written under object lock. */
function checkIntegrityHeader(req: SimRequest): void {
  const headers = Object.keys(req.headers);
  if (!headers.some((h) => h === 'content-md5' || h.startsWith('x-amz-checksum-')))
    throw new AwsError(
      'InvalidRequest',
      'Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters',
      400,
    );
}

/** Content-MD5 and the CRC32 checksum the SDK sends are checked; other algorithms are taken on trust. */
function checkDigests(req: SimRequest): void {
  const md5 = req.headers['content-md5'];
  if (md5 !== undefined && md5 !== createHash('md5').update(req.bytes).digest('base64'))
    throw new AwsError(
      'BadDigest',
      'The Content-MD5 you specified did not match what we received.',
      400,
    );
  const crc = req.headers['x-amz-checksum-crc32'];
  if (crc !== undefined) {
    const actual = Buffer.alloc(4);
    actual.writeUInt32BE(crc32(req.bytes));
    if (crc !== actual.toString('base64'))
      throw new AwsError(
        'BadDigest',
        'The CRC32 you specified did not match the calculated checksum.',
        400,
      );
  }
}

function getObject(req: SimRequest, bucket: Bucket, key: string, withBody: boolean): SimResponse {
  const versionId = req.query.get('versionId');
  const versions = bucket.objects.get(key) ?? [];
  const version =
    versionId === null ? versions.at(-1) : versions.find((v) => v.versionId === versionId);
  if (!version) {
    if (versionId !== null && versions.length > 0)
      throw new AwsError('NoSuchVersion', 'The specified version does not exist.', 404, {
        Key: key,
        VersionId: versionId,
      });
    throw new AwsError('NoSuchKey', 'The specified key does not exist.', 404, { Key: key });
  }
  if (version.deleteMarker) {
    // The current version is a delete marker: the key is gone, its versions are not.
    if (versionId !== null)
      throw new AwsError(
        'MethodNotAllowed',
        'The specified method is not allowed against this resource.',
        405,
        {
          Method: req.method,
          ResourceType: 'DeleteMarker',
        },
      );
    throw new AwsError('NoSuchKey', 'The specified key does not exist.', 404, { Key: key });
  }
  return {
    status: 200,
    headers: {
      'content-type': version.contentType,
      'content-length': String(version.body.length),
      etag: version.etag,
      'last-modified': new Date(version.lastModified).toUTCString(),
      'accept-ranges': 'bytes',
      ...version.headers,
      ...(bucket.versioning === 'Unversioned' ? {} : { 'x-amz-version-id': version.versionId }),
      ...(version.lock
        ? {
            'x-amz-object-lock-mode': version.lock.mode,
            'x-amz-object-lock-retain-until-date': new Date(version.lock.retainUntil).toISOString(),
          }
        : {}),
    },
    body: withBody ? version.body : '',
  };
}

function listObjects(req: SimRequest, bucket: Bucket): SimResponse {
  const q = req.query;
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const maxKeys = Math.min(Number(q.get('max-keys') ?? MAX_KEYS), MAX_KEYS);
  if (!Number.isInteger(maxKeys) || maxKeys < 0)
    throw new AwsError(
      'InvalidArgument',
      'Provided max-keys not an integer or within integer range',
      400,
    );
  const token = q.get('continuation-token');
  const after = token
    ? Buffer.from(token, 'base64url').toString('utf8')
    : (q.get('start-after') ?? '');
  const url = q.get('encoding-type') === 'url';
  const encode = (k: string) => (url ? encodeURIComponent(k).replace(/%2F/g, '/') : k);
  // Keys and common prefixes in UTF-8 binary order, as S3 lists them.
  const entries: ({ key: string; version: ObjectVersion } | { prefix: string })[] = [];
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
  const page = entries.slice(0, maxKeys);
  const truncated = entries.length > page.length;
  const last = page.at(-1);
  const next = last && ('key' in last ? last.key : last.prefix);
  const result: Record<string, XmlValue> = {
    Name: bucket.name,
    Prefix: encode(prefix),
    ...(delimiter ? { Delimiter: encode(delimiter) } : {}),
    KeyCount: page.length,
    MaxKeys: maxKeys,
    ...(url ? { EncodingType: 'url' } : {}),
    IsTruncated: truncated,
    ...(token ? { ContinuationToken: token } : {}),
    ...(truncated && next
      ? { NextContinuationToken: Buffer.from(next).toString('base64url') }
      : {}),
  };
  const contents = page.flatMap((e) =>
    'key' in e
      ? [
          `<Contents>${toXml({
            Key: encode(e.key),
            LastModified: new Date(e.version.lastModified).toISOString(),
            ETag: e.version.etag,
            Size: e.version.body.length,
            StorageClass: 'STANDARD',
          })}</Contents>`,
        ]
      : [],
  );
  const prefixes = page.flatMap((e) =>
    'prefix' in e
      ? [`<CommonPrefixes><Prefix>${escapeXml(encode(e.prefix))}</Prefix></CommonPrefixes>`]
      : [],
  );
  return xmlResponse(
    'ListBucketResult',
    `${toXml(result)}${contents.join('')}${prefixes.join('')}`,
  );
}

function getBucketVersioning(bucket: Bucket): SimResponse {
  return xmlResponse(
    'VersioningConfiguration',
    bucket.versioning === 'Unversioned' ? '' : toXml({ Status: bucket.versioning }),
  );
}

function xmlResponse(root: string, content: string): SimResponse {
  return {
    status: 200,
    headers: { 'content-type': 'application/xml' },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${NS}">${content}</${root}>`,
  };
}

/** The request's XML body under `root`, or undefined when it has none. */
function readXml(req: SimRequest, root: string): Record<string, unknown> | undefined {
  if (!req.body.trim()) return undefined;
  let parsed: Record<string, unknown>;
  try {
    parsed = parser.parse(req.body, true) as Record<string, unknown>;
  } catch {
    throw new AwsError(
      'MalformedXML',
      'The XML you provided was not well-formed or did not validate against our published schema',
      400,
    );
  }
  const content = parsed[root];
  if (content === undefined)
    throw new AwsError('MalformedXML', `Expected a ${root} document.`, 400);
  return typeof content === 'object' && content !== null
    ? (content as Record<string, unknown>)
    : {};
}

function lockModeOf(mode: unknown): LockMode {
  if (mode === 'GOVERNANCE' || mode === 'COMPLIANCE') return mode;
  throw new AwsError(
    'InvalidArgument',
    `Unknown wormMode directive "${String(mode)}"; use GOVERNANCE or COMPLIANCE.`,
    400,
  );
}

function keptHeaders(req: SimRequest): Record<string, string> {
  return Object.fromEntries(
    Object.entries(req.headers).flatMap(([name, value]) =>
      value !== undefined && (KEPT_HEADERS.includes(name) || name.startsWith('x-amz-meta-'))
        ? [[name, String(value)]]
        : [],
    ),
  );
}
