import { describe, expect, it } from 'vitest';
import { LifeboatError } from '../../../orchestrator/domain/errors.ts';
import {
  nearestStrongReplica,
  reachesStrongMajority,
} from '../../../orchestrator/domain/strong-replicas.ts';

describe('nearestStrongReplica', () => {
  it.each([
    ['us-east-1', 'us-east-1'],
    ['us-east-2', 'us-east-2'],
    ['us-west-2', 'us-west-2'],
    ['us-west-1', 'us-west-2'],
  ])('serves %s from %s', (region, replica) => {
    expect(nearestStrongReplica(region)).toBe(replica);
  });

  it('refuses a region no replica serves, naming the set', () => {
    expect(() => nearestStrongReplica('eu-west-1')).toThrow(LifeboatError);
    expect(() => nearestStrongReplica('eu-west-1')).toThrow(
      /eu-west-1: its replicas are in us-east-1, us-east-2, us-west-2/,
    );
  });
});

describe('reachesStrongMajority', () => {
  it.each([
    // [caller, regions it cannot reach, serves]
    ['us-east-1', [], true],
    ['us-east-1', ['us-west-2'], true],
    ['us-east-1', ['us-east-2'], true],
    ['us-east-1', ['us-east-2', 'us-west-2'], false],
    ['us-west-2', ['us-east-1', 'us-east-2'], false],
    ['us-west-1', [], false],
  ])('%s cut off from %j: %s', (region, cut, serves) => {
    expect(reachesStrongMajority(region, (other) => !cut.includes(other))).toBe(serves);
  });
});
