import * as z from 'zod';

/**
 * The regions Lifeboat knows. The team's pairs are us-east-1 -> us-east-2 and
 * us-west-2 -> us-west-1; the others are accepted so a new pair needs no release.
 */
export const KNOWN_REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'ca-central-1',
  'eu-west-1',
  'eu-west-2',
  'eu-central-1',
  'ap-southeast-2',
] as const;
export type Region = (typeof KNOWN_REGIONS)[number];

export const RegionSchema = z.string().refine((r): r is Region => isKnownRegion(r), {
  error: (issue) =>
    `"${String(issue.input)}" is not a region Lifeboat knows; use one of ${KNOWN_REGIONS.join(', ')}.`,
  params: { code: 'unknown-region' },
});

export function isKnownRegion(region: string): region is Region {
  return (KNOWN_REGIONS as readonly string[]).includes(region);
}
