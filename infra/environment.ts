import { z } from 'zod';
import { FunctionEnvironmentError, InvalidPropsError } from './errors.ts';

/** Variables Lambda sets itself (and refuses in a function's configuration). */
const SET_BY_LAMBDA = ['AWS_REGION'] as const;

/** The variables an environment schema reads: an object, or an intersection of objects. */
export function schemaVariables(schema: z.ZodType): string[] {
  if (schema instanceof z.ZodObject) return Object.keys(schema.shape);
  if (schema instanceof z.ZodIntersection)
    return [
      ...schemaVariables(schema.def.left as z.ZodType),
      ...schemaVariables(schema.def.right as z.ZodType),
    ];
  if (schema instanceof z.ZodPipe) return schemaVariables(schema.def.in as z.ZodType);
  throw new InvalidPropsError(
    'schemaVariables',
    `cannot list the variables of a ${schema.constructor.name}; use z.object (or .and of objects).`,
  );
}

/** Whether a handler reads `name` (so infra wires a variable only once its handler uses it). */
export function acceptsVariable(schema: z.ZodType, name: string): boolean {
  return schemaVariables(schema).includes(name);
}

/**
 * Checks at synth time the environment a Lambda will get, against the schemas its handler
 * parses at cold start (with the variables Lambda adds): a missing or malformed variable fails
 * the synth, not the first request. A variable no schema reads fails too: it would be dropped
 * silently, which is a wiring mistake. A handler that also wires the orchestrator (the bot's
 * functions do, through `wireOrchestrator`) is checked against both schemas. Returns the environment
 * unchanged.
 */
export function checkEnvironment(
  functionPath: string,
  schemas: z.ZodType | readonly z.ZodType[],
  environment: Record<string, string>,
  region: string,
): Record<string, string> {
  const all = Array.isArray(schemas) ? (schemas as readonly z.ZodType[]) : [schemas as z.ZodType];
  const problems: string[] = [];
  const known = [...new Set(all.flatMap(schemaVariables))];
  for (const name of Object.keys(environment)) {
    if ((SET_BY_LAMBDA as readonly string[]).includes(name))
      problems.push(`${name} is set by Lambda itself; remove it.`);
    else if (!known.includes(name))
      problems.push(
        `${name}="${environment[name]}" is not read by the handler (it reads ${known.join(', ')}).`,
      );
  }
  for (const schema of all) {
    const parsed = schema.safeParse({ ...environment, AWS_REGION: region });
    if (parsed.success) continue;
    for (const issue of parsed.error.issues) {
      const name = issue.path.join('.');
      const problem = name
        ? `${name}=${JSON.stringify(environment[name] ?? null)}: ${issue.message}`
        : issue.message;
      if (!problems.includes(problem)) problems.push(problem);
    }
  }
  if (problems.length > 0) throw new FunctionEnvironmentError(functionPath, problems);
  return environment;
}
