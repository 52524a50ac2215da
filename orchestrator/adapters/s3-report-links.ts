import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { ReportLocations } from '../ports/report-store.ts';
import { type AwsCaller, awsCaller } from './map-aws-error.ts';

/** The longest a SigV4 presigned URL lives: a week. */
export const MAX_LINK_SECONDS = 604_800;
const S3_URI = /^s3:\/\/([^/]+)\/(.+)$/;
/** The renderings people open; the Markdown keeps its `s3://` location, for the record. */
const LINKED_KINDS = ['html', 'json'];

/**
 * Links to reports in a region's report bucket that anyone with the link can open for a while:
 * presigned GETs, signed with this function's own credentials, so they also die with those
 * credentials (a Lambda role's session lasts hours, not the week asked for).
 */
export class S3ReportLinks {
  private readonly call: AwsCaller;

  constructor(
    private readonly client: S3Client,
    readonly region: string,
    private readonly expiresIn = MAX_LINK_SECONDS,
  ) {
    this.call = awsCaller({ service: 's3', region });
  }

  /** The HTML and JSON `s3://` locations as https links; every other location as it is. */
  async link(locations: ReportLocations): Promise<ReportLocations> {
    const linked = await Promise.all(
      Object.entries(locations).map(async ([kind, location]) => {
        const uri = S3_URI.exec(location);
        if (!uri || !LINKED_KINDS.includes(kind)) return [kind, location] as const;
        const [, bucket = '', key = ''] = uri;
        return [kind, await this.presign(bucket, key)] as const;
      }),
    );
    return Object.fromEntries(linked);
  }

  /** A GET of one object, presigned now (the bot's report route presigns one per visit). */
  presign(bucket: string, key: string): Promise<string> {
    return this.call('GetObject (presign)', () =>
      getSignedUrl(this.client, new GetObjectCommand({ Bucket: bucket, Key: key }), {
        expiresIn: this.expiresIn,
      }),
    );
  }
}

/** Report links per region (a run's report is in the bucket of the region it ran in), clients built once. */
export function reportLinksByRegion(
  expiresIn = MAX_LINK_SECONDS,
): (region: string) => S3ReportLinks {
  const built = new Map<string, S3ReportLinks>();
  return (region) => {
    const known = built.get(region);
    if (known) return known;
    const links = new S3ReportLinks(new S3Client({ region, maxAttempts: 3 }), region, expiresIn);
    built.set(region, links);
    return links;
  };
}
