import { Stack, Validations } from 'aws-cdk-lib';
// cdk-nag names IAM5 findings with this function; using it keeps our ids identical to its own.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { IConstruct } from 'constructs';
import { InvalidPropsError } from '../errors.ts';

/**
 * Acknowledges one cdk-nag finding on a construct (and what it contains), with the reason a
 * reviewer reads. cdk-nag v3 matches ids exactly: `AwsSolutions-L1`, or
 * `AwsSolutions-IAM5[Resource::arn:...]` for one finding of a rule that reports several.
 */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * Acknowledges the IAM5 finding each wildcard resource raises, one by one. `resources` are the
 * values given to the policy statement (strings or tokens); the id is computed the way cdk-nag
 * flattens them (`<LogicalId.Arn>:*`), so it follows logical-id changes.
 */
export function acknowledgeWildcards(
  scope: IConstruct,
  resources: readonly string[],
  reason: string,
): void {
  const stack = Stack.of(scope);
  for (const resource of new Set(resources)) {
    const flat = flattenCfnReference(stack.resolve(resource));
    if (!flat.includes('*'))
      throw new InvalidPropsError(
        'acknowledgeWildcards',
        `resource ${flat} has no wildcard: there is no finding to acknowledge.`,
      );
    acknowledge(scope, `AwsSolutions-IAM5[Resource::${flat}]`, reason);
  }
}
