import { XMLParser } from 'fast-xml-parser';
import { z } from 'zod';
import { AwsError } from '../errors.ts';
import { describeProblems, type InputProblem } from '../input.ts';
import type { SimRequest } from '../protocol.ts';

/** How S3 reads a request: each operation's input from its path, query, headers and XML body. */

const BUCKET_NAME =
  /^(?!xn--)(?!.*-s3alias$)(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const MALFORMED_XML =
  'The XML you provided was not well-formed or did not validate against our published schema';

const LockMode = z.enum(['GOVERNANCE', 'COMPLIANCE']);
const IsoDate = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), 'Member must be an ISO 8601 date');
const WholeNumber = z.string().regex(/^\d+$/).transform(Number);
const BucketName = z.string().min(1);
const Key = z.string().refine((key) => Buffer.byteLength(key) <= 1024, 'Your key is too long');
const Flag = z.enum(['true', 'false']);

/** Each operation's input: path (`Bucket`, `Key`), query, headers and XML body under their wire names. */
export const CreateBucketInput = z.object({
  Bucket: z
    .string()
    .regex(BUCKET_NAME)
    .refine((name) => !name.includes('..'), 'Member must not hold two dots in a row'),
  CreateBucketConfiguration: z.object({ LocationConstraint: z.string().optional() }).optional(),
  'x-amz-bucket-object-lock-enabled': Flag.optional(),
});
export const ByBucket = z.object({ Bucket: BucketName });
export const PutBucketVersioningInput = z.object({
  Bucket: BucketName,
  VersioningConfiguration: z.object({
    Status: z.enum(['Enabled', 'Suspended']),
    MfaDelete: z.enum(['Enabled', 'Disabled']).optional(),
  }),
});
export const PutObjectLockConfigurationInput = z.object({
  Bucket: BucketName,
  ObjectLockConfiguration: z
    .object({
      ObjectLockEnabled: z.literal('Enabled').optional(),
      Rule: z
        .object({
          DefaultRetention: z.strictObject({
            Mode: LockMode,
            // The local S3 takes Days only, a whole number from 1.
            Days: z
              .string()
              .regex(/^[1-9]\d*$/)
              .transform(Number),
          }),
        })
        .optional(),
    })
    .optional(),
});
export const ListObjectsV2Input = z.object({
  Bucket: BucketName,
  prefix: z.string().optional(),
  delimiter: z.string().optional(),
  'max-keys': WholeNumber.optional(),
  'continuation-token': z
    .string()
    .regex(/^[A-Za-z0-9_-]*$/)
    .optional(),
  'start-after': z.string().optional(),
  'encoding-type': z.literal('url').optional(),
});
export const PutObjectInput = z
  .object({
    Bucket: BucketName,
    Key,
    'content-type': z.string().optional(),
    'content-encoding': z.string().optional(),
    'content-md5': z.base64().optional(),
    'x-amz-checksum-crc32': z.base64().optional(),
    'x-amz-server-side-encryption': z.enum(['AES256', 'aws:kms', 'aws:kms:dsse']).optional(),
    'x-amz-object-lock-mode': LockMode.optional(),
    'x-amz-object-lock-retain-until-date': IsoDate.optional(),
  })
  .refine(
    (input) =>
      (input['x-amz-object-lock-mode'] === undefined) ===
      (input['x-amz-object-lock-retain-until-date'] === undefined),
    {
      message:
        'x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied',
      path: ['x-amz-object-lock-mode'],
    },
  );
export const GetObjectInput = z.object({
  Bucket: BucketName,
  Key,
  versionId: z.string().min(1).optional(),
});
export const DeleteObjectInput = z.object({
  Bucket: BucketName,
  Key,
  versionId: z.string().min(1).optional(),
  'x-amz-bypass-governance-retention': Flag.optional(),
});
const XML_ROOTS = new Set([
  'CreateBucketConfiguration',
  'VersioningConfiguration',
  'ObjectLockConfiguration',
]);

/** S3 names what was wrong by where it was: the bucket's name, the key, the XML, or an argument. */
export function invalid(problems: InputProblem[]): AwsError {
  const [first] = problems;
  const where = first?.field.split('.')[0] ?? '';
  const message = describeProblems(problems);
  if (where === 'Bucket')
    return new AwsError('InvalidBucketName', `The specified bucket is not valid. ${message}`, 400, {
      BucketName: String(first?.value),
    });
  if (where === 'Key') return new AwsError('KeyTooLongError', 'Your key is too long', 400);
  if (XML_ROOTS.has(where))
    return new AwsError('MalformedXML', `${MALFORMED_XML}. ${message}`, 400);
  return new AwsError('InvalidArgument', message, 400, {
    ArgumentName: where,
    ArgumentValue: first?.value === undefined ? '' : String(first.value),
  });
}

const parser = new XMLParser({ parseTagValue: false });

/** The operations whose body is XML (the others' is an object's bytes, or nothing). */
const XML_BODIES = new Set(['CreateBucket', 'PutBucketVersioning', 'PutObjectLockConfiguration']);

/** The request's input under its wire names: path, query, headers, and an XML body's root. */
export function inputOf(req: SimRequest, operation: string): Record<string, unknown> {
  const { bucket, key } = pathOf(req);
  return {
    ...Object.fromEntries(req.query),
    ...req.headers,
    ...(XML_BODIES.has(operation) ? readXml(req.body) : {}),
    ...(bucket === undefined ? {} : { Bucket: bucket }),
    ...(key === undefined ? {} : { Key: key }),
  };
}

/** Path-style addressing: `/<bucket>` or `/<bucket>/<key>` (the key percent-encoded). */
export function pathOf(req: SimRequest): { bucket?: string; key?: string } {
  const match = /^\/([^/]+)(?:\/(.*))?$/.exec(req.path);
  if (!match) return {};
  const [, bucket = '', key] = match;
  return {
    bucket: decodeURIComponent(bucket),
    ...(key === undefined || key === '' ? {} : { key: decodeURIComponent(key) }),
  };
}

/** The request's XML body as `{ root: content }`; empty when there is none, MalformedXML when it is not XML. */
function readXml(body: string): Record<string, unknown> {
  if (!body.trim()) return {};
  let parsed: Record<string, unknown>;
  try {
    parsed = parser.parse(body, true) as Record<string, unknown>;
  } catch {
    throw new AwsError('MalformedXML', MALFORMED_XML, 400);
  }
  // An empty element (`<Root/>`) parses as ''; its content is no members.
  return Object.fromEntries(
    Object.entries(parsed)
      .filter(([root]) => XML_ROOTS.has(root))
      .map(([root, content]) => [root, content === '' ? {} : content]),
  );
}
