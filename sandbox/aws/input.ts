import type { z } from 'zod';
import type { AwsError } from './errors.ts';

/** One thing wrong with a request's input: the field, what it must satisfy, and what came. */
export interface InputProblem {
  field: string;
  constraint: string;
  value: unknown;
}

/**
 * Parses an operation's input with its schema. Input that does not fit is answered with the
 * service's own validation error, which `reject` builds from the problems.
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  input: unknown,
  reject: (problems: InputProblem[]) => AwsError,
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw reject(
    result.error.issues.map((issue) => {
      const value = valueAt(input, issue.path);
      return {
        field: issue.path.map(String).join('.'),
        constraint: constraintOf(issue, value),
        value,
      };
    }),
  );
}

export interface DescribeOptions {
  /** Name fields in lower camel case, as the query-protocol services do (`RoleArn` → `roleArn`). */
  camelCase?: boolean;
}

/** AWS's wording: `1 validation error detected: Value 'x' at 'field' failed to satisfy constraint: …`. */
export function describeProblems(problems: InputProblem[], options: DescribeOptions = {}): string {
  const each = problems.map(
    (p) =>
      `Value ${formatValue(p.value)} at '${options.camelCase ? camelCase(p.field) : p.field}' failed to satisfy constraint: ${p.constraint}`,
  );
  const count = `${problems.length} validation error${problems.length === 1 ? '' : 's'} detected`;
  return `${count}: ${each.join('; ')}`;
}

/** The constraint in AWS's words, where zod's issue has a counterpart. */
function constraintOf(issue: z.core.$ZodIssue, value: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      return value === undefined
        ? 'Member must not be null'
        : `Member must be ${article(issue.expected)}`;
    case 'too_small':
      return `Member must have ${issue.origin === 'string' || issue.origin === 'array' ? 'length' : 'value'} greater than or equal to ${issue.minimum}`;
    case 'too_big':
      return `Member must have ${issue.origin === 'string' || issue.origin === 'array' ? 'length' : 'value'} less than or equal to ${issue.maximum}`;
    case 'invalid_value':
      return `Member must satisfy enum value set: [${issue.values.join(', ')}]`;
    case 'invalid_format':
      return issue.pattern
        ? `Member must satisfy regular expression pattern: ${issue.pattern}`
        : `Member must be ${article(issue.format)}`;
    default:
      return issue.message;
  }
}

function article(noun: string): string {
  return `${/^[aeiou]/.test(noun) ? 'an' : 'a'} ${noun}`;
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function formatValue(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  return `'${typeof value === 'string' ? value : JSON.stringify(value)}'`;
}

function camelCase(field: string): string {
  return field
    .split('.')
    .map((part) => part.charAt(0).toLowerCase() + part.slice(1))
    .join('.');
}
