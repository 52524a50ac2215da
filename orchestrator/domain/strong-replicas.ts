import { LifeboatError } from './errors.ts';

/**
 * The regions of the US set of DynamoDB's multi-Region strong consistency (MRSC): a table is
 * strongly consistent across exactly these three. Its conditional writes hold across regions,
 * which is what one active run per customer needs when the bot answers in two regions.
 */
export const STRONG_CONSISTENCY_REGIONS = ['us-east-1', 'us-east-2', 'us-west-2'] as const;

/**
 * Where a region's Lambdas reach the strongly consistent table: their own region's replica,
 * or for us-west-1 (outside the set) the nearest of the set, us-west-2.
 */
const NEAREST: Readonly<Record<string, string>> = {
  'us-east-1': 'us-east-1',
  'us-east-2': 'us-east-2',
  'us-west-2': 'us-west-2',
  'us-west-1': 'us-west-2',
};

export function nearestStrongReplica(region: string): string {
  const replica = NEAREST[region];
  if (!replica)
    throw new LifeboatError(
      `No replica of the strongly consistent table serves ${region}: its replicas are in ${STRONG_CONSISTENCY_REGIONS.join(', ')}, and only US regions are mapped to them; add ${region} to NEAREST in strong-replicas.ts, or deploy a set of its own geography.`,
    );
  return replica;
}

/**
 * Whether a replica can serve a strongly consistent read or write: it must reach a majority of
 * the set, itself counted, as a write is committed by a quorum.
 */
export function reachesStrongMajority(
  region: string,
  reachable: (other: string) => boolean,
): boolean {
  const set: readonly string[] = STRONG_CONSISTENCY_REGIONS;
  if (!set.includes(region)) return false;
  const reached = set.filter((other) => other === region || reachable(other)).length;
  return reached * 2 > set.length;
}
