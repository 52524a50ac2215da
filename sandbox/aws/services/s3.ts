import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { z } from 'zod';
import { AwsError } from '../errors.ts';
import type { Estate } from '../estate.ts';
import { parseInput } from '../input.ts';
import {
  escapeXml,
  requestId,
  type SimRequest,
  type SimResponse,
  type SimService,
  toXml,
  type XmlValue,
} from '../protocol.ts';
import {
  ByBucket,
  CreateBucketInput,
  DeleteObjectInput,
  GetObjectInput,
  inputOf,
  invalid,
  ListObjectsV2Input,
  PutBucketVersioningInput,
  PutObjectInput,
  PutObjectLockConfigurationInput,
  pathOf,
} from './s3-input.ts';
import { type Bucket, type Listed, type ObjectVersion, S3State } from './s3-state.ts';

const NS = 'http://s3.amazonaws.com/doc/2006-03-01/';
/** SigV4 presigned URLs live at most a week. */
const MAX_PRESIGN_SECONDS = 604_800;
const MAX_KEYS = 1000;
/** Headers S3 keeps with an object and gives back on GET and HEAD. */
const KEPT_HEADERS = [
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-language',
];
/**
 * S3 (REST-XML), path-style (`/<bucket>/<key>`): parses each request with its operation's schema,
 * asks the model (`s3-state.ts`), renders the answer. Presigned GETs are checked for expiry.
 * Enough for Lifeboat's report store and its links.
 */
export class S3Service implements SimService {
  readonly signingName = 's3';
  readonly state: S3State;

  constructor(estate: Estate) {
    this.state = new S3State(estate);
  }

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
    const input = inputOf(req, operation);
    const { account, region } = req;
    const bucketOf = (name: string) => this.state.bucket(account, region, name);
    switch (operation) {
      case 'CreateBucket': {
        const { Bucket: name, ...rest } = parseInput(CreateBucketInput, input, invalid);
        this.state.createBucket(account, region, name, {
          location: rest.CreateBucketConfiguration?.LocationConstraint,
          objectLock: rest['x-amz-bucket-object-lock-enabled'] === 'true',
        });
        return { status: 200, headers: { location: `/${name}` }, body: '' };
      }
      case 'HeadBucket':
        bucketOf(parseInput(ByBucket, input, invalid).Bucket);
        return { status: 200, headers: { 'x-amz-bucket-region': region }, body: '' };
      case 'PutBucketVersioning': {
        const parsed = parseInput(PutBucketVersioningInput, input, invalid);
        this.state.setVersioning(bucketOf(parsed.Bucket), parsed.VersioningConfiguration.Status);
        return { status: 200, body: '' };
      }
      case 'GetBucketVersioning':
        return getBucketVersioning(bucketOf(parseInput(ByBucket, input, invalid).Bucket));
      case 'PutObjectLockConfiguration': {
        const parsed = parseInput(PutObjectLockConfigurationInput, input, invalid);
        const retention = parsed.ObjectLockConfiguration?.Rule?.DefaultRetention;
        this.state.setDefaultRetention(
          bucketOf(parsed.Bucket),
          retention && { mode: retention.Mode, days: retention.Days },
        );
        return { status: 200, body: '' };
      }
      case 'ListObjectsV2': {
        const parsed = parseInput(ListObjectsV2Input, input, invalid);
        return this.listObjects(bucketOf(parsed.Bucket), parsed);
      }
      case 'PutObject': {
        const parsed = parseInput(PutObjectInput, input, invalid);
        return this.putObject(req, bucketOf(parsed.Bucket), parsed);
      }
      case 'GetObject':
      case 'HeadObject': {
        const parsed = parseInput(GetObjectInput, input, invalid);
        const bucket = bucketOf(parsed.Bucket);
        const version = this.state.version(bucket, parsed.Key, parsed.versionId, req.method);
        return objectResponse(bucket, version, operation === 'GetObject');
      }
      case 'DeleteObject': {
        const parsed = parseInput(DeleteObjectInput, input, invalid);
        const deleted = this.state.deleteObject(
          bucketOf(parsed.Bucket),
          parsed.Key,
          parsed.versionId,
          parsed['x-amz-bypass-governance-retention'] === 'true',
        );
        return {
          status: 204,
          headers: {
            ...(deleted.versionId ? { 'x-amz-version-id': deleted.versionId } : {}),
            ...(deleted.deleteMarker ? { 'x-amz-delete-marker': 'true' } : {}),
          },
          body: '',
        };
      }
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

  private putObject(
    req: SimRequest,
    bucket: Bucket,
    input: z.output<typeof PutObjectInput>,
  ): SimResponse {
    if ((input['content-encoding'] ?? '').includes('aws-chunked'))
      throw new AwsError(
        'NotImplemented',
        'The local S3 does not decode aws-chunked bodies; send the body as a string or Buffer.',
        501,
      );
    const sse = input['x-amz-server-side-encryption'] ?? 'AES256';
    const mode = input['x-amz-object-lock-mode'];
    const until = input['x-amz-object-lock-retain-until-date'];
    const lock = this.state.lockFor(
      bucket,
      mode && until ? { mode, retainUntil: Date.parse(until) } : undefined,
    );
    if (lock) checkIntegrityHeader(req);
    checkDigests(req);
    const version = this.state.putObject(bucket, input.Key, {
      body: req.bytes,
      contentType: input['content-type'] ?? 'binary/octet-stream',
      headers: { ...keptHeaders(req), 'x-amz-server-side-encryption': sse },
      lock,
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

  private listObjects(bucket: Bucket, input: z.output<typeof ListObjectsV2Input>): SimResponse {
    const prefix = input.prefix ?? '';
    const delimiter = input.delimiter ?? '';
    const maxKeys = Math.min(input['max-keys'] ?? MAX_KEYS, MAX_KEYS);
    const token = input['continuation-token'];
    const after = token
      ? Buffer.from(token, 'base64url').toString('utf8')
      : (input['start-after'] ?? '');
    const url = input['encoding-type'] === 'url';
    const encode = (k: string) => (url ? encodeURIComponent(k).replace(/%2F/g, '/') : k);
    const entries: Listed[] = this.state.list(bucket, { prefix, delimiter, after });
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

function objectResponse(bucket: Bucket, version: ObjectVersion, withBody: boolean): SimResponse {
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

function keptHeaders(req: SimRequest): Record<string, string> {
  return Object.fromEntries(
    Object.entries(req.headers).flatMap(([name, value]) =>
      value !== undefined && (KEPT_HEADERS.includes(name) || name.startsWith('x-amz-meta-'))
        ? [[name, String(value)]]
        : [],
    ),
  );
}
