import {
  BucketAlreadyOwnedByYou,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchBucket,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  PutObjectLockConfigurationCommand,
  S3Client,
  type S3ClientConfig,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LocalAws } from '../../../sandbox/aws/local-aws.ts';
import { assumeCustomer, clientConfig, samplePlans, startSampleAws } from './harness.ts';

const REGION = 'us-east-2';
const LOCKED = 'lifeboat-reports-000000000000-us-east-2';
const PLAIN = 'lifeboat-scratch-us-east-2';
const DAY = 86_400_000;

let aws: LocalAws;
let s3: S3Client;
beforeEach(async () => {
  aws = await startSampleAws();
  s3 = s3Client();
  await s3.send(new CreateBucketCommand(bucketIn(LOCKED, { ObjectLockEnabledForBucket: true })));
  await s3.send(new CreateBucketCommand(bucketIn(PLAIN)));
});
afterEach(() => aws.stop());

function s3Client(options: Partial<S3ClientConfig> = {}, region = REGION): S3Client {
  return new S3Client({
    ...clientConfig(aws, region),
    endpoint: aws.endpoints.s3,
    forcePathStyle: true,
    ...options,
  });
}

function bucketIn(Bucket: string, extra: { ObjectLockEnabledForBucket?: boolean } = {}) {
  return { Bucket, CreateBucketConfiguration: { LocationConstraint: REGION }, ...extra } as const;
}

function put(Key: string, Body: string, extra: Partial<PutObjectCommand['input']> = {}) {
  return s3.send(new PutObjectCommand({ Bucket: LOCKED, Key, Body, ...extra }));
}

async function read(Key: string, VersionId?: string, Bucket = LOCKED): Promise<string> {
  const object = await s3.send(new GetObjectCommand({ Bucket, Key, VersionId }));
  return (await object.Body?.transformToString()) ?? '';
}

async function failureOf(promise: Promise<unknown>): Promise<S3ServiceException> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => {
      if (!(error instanceof S3ServiceException)) throw error;
      return error;
    },
  );
}

describe('S3 objects', () => {
  it('stores an object with its type, encryption and metadata, and gives it back', async () => {
    // Prepare
    const html = '<!doctype html><p>RTO 42m — met</p>';
    // Act
    const written = await put('reports/bcbsaz/run-1.html', html, {
      ContentType: 'text/html; charset=utf-8',
      ServerSideEncryption: 'AES256',
      Metadata: { customer: 'bcbsaz' },
    });
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: LOCKED, Key: 'reports/bcbsaz/run-1.html' }),
    );
    // Assess
    expect(written.VersionId).toMatch(/^[\w-]{32}$/);
    expect(written.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(await read('reports/bcbsaz/run-1.html')).toBe(html);
    expect(head).toMatchObject({
      ContentType: 'text/html; charset=utf-8',
      ContentLength: Buffer.byteLength(html),
      ServerSideEncryption: 'AES256',
      Metadata: { customer: 'bcbsaz' },
      VersionId: written.VersionId,
      ETag: written.ETag,
    });
  });

  it('keeps bytes as sent', async () => {
    // Prepare
    const bytes = Buffer.from([0, 255, 128, 10, 13, 0xc3]);
    // Act
    await s3.send(new PutObjectCommand({ Bucket: PLAIN, Key: 'blob', Body: bytes }));
    const object = await s3.send(new GetObjectCommand({ Bucket: PLAIN, Key: 'blob' }));
    // Assess
    expect(Buffer.from((await object.Body?.transformToByteArray()) ?? [])).toEqual(bytes);
    expect(object.VersionId).toBeUndefined();
  });

  it('keeps every version of a key in a versioned bucket: an overwrite adds one', async () => {
    // Prepare
    const first = await put('reports/a.json', '{"v":1}');
    // Act
    const second = await put('reports/a.json', '{"v":2}');
    // Assess
    expect(second.VersionId).not.toBe(first.VersionId);
    expect(await read('reports/a.json')).toBe('{"v":2}');
    expect(await read('reports/a.json', first.VersionId)).toBe('{"v":1}');
  });

  it.each([
    ['a key that does not exist', LOCKED, 'reports/none.json', NoSuchKey, 404],
    ['a bucket that does not exist', 'lifeboat-nobody', 'x', NoSuchBucket, 404],
  ])('answers GetObject of %s like S3', async (_, Bucket, Key, type, status) => {
    // Act
    const error = await failureOf(s3.send(new GetObjectCommand({ Bucket, Key })));
    // Assess
    expect(error).toBeInstanceOf(type);
    expect(error.$metadata.httpStatusCode).toBe(status);
  });

  it('answers HeadObject of a missing key with a bare 404 (NotFound)', async () => {
    // Act
    const error = await failureOf(s3.send(new HeadObjectCommand({ Bucket: LOCKED, Key: 'no' })));
    // Assess
    expect(error).toBeInstanceOf(NotFound);
    expect(error.$metadata.httpStatusCode).toBe(404);
  });

  it('refuses a bucket from another region and from another account', async () => {
    // Prepare
    const east1 = s3Client({}, 'us-east-1');
    const plan = (await samplePlans()).find((p) => p.customer.id === 'bcbsaz');
    if (!plan) throw new Error('no sample plan bcbsaz');
    const customer = s3Client({ credentials: await assumeCustomer(aws, plan, REGION) });
    // Act
    const wrongRegion = await failureOf(
      east1.send(new GetObjectCommand({ Bucket: LOCKED, Key: 'x' })),
    );
    const wrongAccount = await failureOf(
      customer.send(new GetObjectCommand({ Bucket: LOCKED, Key: 'x' })),
    );
    // Assess
    expect(wrongRegion.name).toBe('AuthorizationHeaderMalformed');
    expect(wrongRegion.message).toContain("expecting 'us-east-2'");
    expect([wrongAccount.name, wrongAccount.$metadata.httpStatusCode]).toEqual([
      'AccessDenied',
      403,
    ]);
  });
});

describe('S3 object lock', () => {
  it('refuses to delete a locked version, in compliance mode even with the governance bypass', async () => {
    // Prepare
    const { VersionId } = await put('reports/r.html', 'evidence', {
      ObjectLockMode: 'COMPLIANCE',
      ObjectLockRetainUntilDate: new Date(aws.clock.now() + DAY),
    });
    // Act
    const error = await failureOf(
      s3.send(
        new DeleteObjectCommand({
          Bucket: LOCKED,
          Key: 'reports/r.html',
          VersionId,
          BypassGovernanceRetention: true,
        }),
      ),
    );
    // Assess
    expect([error.name, error.$metadata.httpStatusCode]).toEqual(['AccessDenied', 403]);
    expect(await read('reports/r.html', VersionId)).toBe('evidence');
    const head = await s3.send(new HeadObjectCommand({ Bucket: LOCKED, Key: 'reports/r.html' }));
    expect(head.ObjectLockMode).toBe('COMPLIANCE');
    expect(head.ObjectLockRetainUntilDate?.getTime()).toBe(aws.clock.now() + DAY);
  });

  it('lets a governance lock be bypassed, and lets a lock run out', async () => {
    // Prepare
    const lock = {
      ObjectLockMode: 'GOVERNANCE',
      ObjectLockRetainUntilDate: new Date(aws.clock.now() + DAY),
    } as const;
    const governed = await put('reports/g.json', '{}', lock);
    const expiring = await put('reports/e.json', '{}', lock);
    const deleteVersion = (Key: string, VersionId?: string, BypassGovernanceRetention = false) =>
      s3.send(
        new DeleteObjectCommand({ Bucket: LOCKED, Key, VersionId, BypassGovernanceRetention }),
      );
    // Act
    const refused = await failureOf(deleteVersion('reports/g.json', governed.VersionId));
    await deleteVersion('reports/g.json', governed.VersionId, true);
    const early = await failureOf(deleteVersion('reports/e.json', expiring.VersionId));
    aws.clock.advance(DAY + 1000);
    await deleteVersion('reports/e.json', expiring.VersionId);
    // Assess
    expect([refused.name, early.name]).toEqual(['AccessDenied', 'AccessDenied']);
    expect(await failureOf(read('reports/g.json'))).toBeInstanceOf(NoSuchKey);
    expect(await failureOf(read('reports/e.json'))).toBeInstanceOf(NoSuchKey);
  });

  it('hides a key behind a delete marker and keeps its locked versions', async () => {
    // Prepare
    const { VersionId } = await put('reports/d.md', '# report');
    // Act
    const deleted = await s3.send(new DeleteObjectCommand({ Bucket: LOCKED, Key: 'reports/d.md' }));
    // Assess
    expect(deleted.DeleteMarker).toBe(true);
    expect(await failureOf(read('reports/d.md'))).toBeInstanceOf(NoSuchKey);
    expect(await read('reports/d.md', VersionId)).toBe('# report');
  });

  it("locks every new version for the bucket's default retention", async () => {
    // Prepare
    await s3.send(
      new PutObjectLockConfigurationCommand({
        Bucket: LOCKED,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 7 } },
        },
      }),
    );
    // Act
    const { VersionId } = await put('reports/x.json', '{}');
    const error = await failureOf(
      s3.send(new DeleteObjectCommand({ Bucket: LOCKED, Key: 'reports/x.json', VersionId })),
    );
    // Assess
    expect(error.name).toBe('AccessDenied');
    const head = await s3.send(new HeadObjectCommand({ Bucket: LOCKED, Key: 'reports/x.json' }));
    expect(head.ObjectLockRetainUntilDate?.getTime()).toBe(aws.clock.now() + 7 * DAY);
  });

  it.each([
    [
      'lock headers on a bucket without object lock',
      PLAIN,
      { ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: new Date(Date.now() + DAY) },
      {},
      'InvalidRequest',
    ],
    [
      'a retain-until date in the past',
      LOCKED,
      { ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: new Date(Date.now() - DAY) },
      {},
      'InvalidArgument',
    ],
    [
      'a locked write without Content-MD5 or a checksum',
      LOCKED,
      { ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: new Date(Date.now() + DAY) },
      { requestChecksumCalculation: 'WHEN_REQUIRED' },
      'InvalidRequest',
    ],
  ] as const)('refuses %s', async (_, Bucket, lock, options, code) => {
    // Act
    const error = await failureOf(
      s3Client(options).send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'b', ...lock })),
    );
    // Assess
    expect([error.name, error.$metadata.httpStatusCode]).toEqual([code, 400]);
  });
});

describe('S3 buckets', () => {
  it('creates a bucket only in the region its location constraint names, and only once', async () => {
    // Act
    const elsewhere = await failureOf(
      s3.send(
        new CreateBucketCommand({
          Bucket: 'lifeboat-x',
          CreateBucketConfiguration: { LocationConstraint: 'us-west-1' },
        }),
      ),
    );
    const again = await failureOf(s3.send(new CreateBucketCommand(bucketIn(PLAIN))));
    const east1 = await s3Client({}, 'us-east-1').send(
      new CreateBucketCommand({ Bucket: 'lifeboat-x' }),
    );
    // Assess
    expect(elsewhere.name).toBe('IllegalLocationConstraintException');
    expect(again).toBeInstanceOf(BucketAlreadyOwnedByYou);
    expect(east1.Location).toBe('/lifeboat-x');
  });

  it('lists keys under a prefix page by page, folding keys under a delimiter', async () => {
    // Prepare
    for (const key of ['reports/b/2.json', 'reports/a/1.json', 'reports/a/0.json', 'other.json'])
      await put(key, key);
    // Act
    const first = await s3.send(
      new ListObjectsV2Command({ Bucket: LOCKED, Prefix: 'reports/', MaxKeys: 2 }),
    );
    const second = await s3.send(
      new ListObjectsV2Command({
        Bucket: LOCKED,
        Prefix: 'reports/',
        MaxKeys: 2,
        ContinuationToken: first.NextContinuationToken,
      }),
    );
    const folded = await s3.send(
      new ListObjectsV2Command({ Bucket: LOCKED, Prefix: 'reports/', Delimiter: '/' }),
    );
    // Assess
    expect(first.Contents?.map((c) => c.Key)).toEqual(['reports/a/0.json', 'reports/a/1.json']);
    expect([first.IsTruncated, first.KeyCount]).toEqual([true, 2]);
    expect(second.Contents?.map((c) => [c.Key, c.Size])).toEqual([['reports/b/2.json', 16]]);
    expect(second.IsTruncated).toBe(false);
    expect(folded.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['reports/a/', 'reports/b/']);
    expect(folded.Contents).toBeUndefined();
  });
});

describe('S3 presigned URLs', () => {
  it('serves an object to a plain GET of its presigned URL', async () => {
    // Prepare
    await put('reports/p.html', '<p>report</p>', { ContentType: 'text/html; charset=utf-8' });
    const url = await getSignedUrl(
      s3,
      new GetObjectCommand({ Bucket: LOCKED, Key: 'reports/p.html' }),
      {
        expiresIn: 604_800,
      },
    );
    // Act
    const response = await fetch(url);
    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await response.text()).toBe('<p>report</p>');
  });

  it('refuses a presigned URL once it has expired', async () => {
    // Prepare
    await put('reports/p.html', '<p>report</p>');
    const url = await getSignedUrl(
      s3,
      new GetObjectCommand({ Bucket: LOCKED, Key: 'reports/p.html' }),
      {
        expiresIn: 60,
        signingDate: new Date(Date.now() - 61_000),
      },
    );
    // Act
    const response = await fetch(url);
    // Assess
    expect(response.status).toBe(403);
    expect(await response.text()).toContain(
      '<Code>AccessDenied</Code><Message>Request has expired</Message>',
    );
  });
});
