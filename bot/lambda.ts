import { HandlerEnvSchema } from '../orchestrator/handlers/env.ts';
import { IngressEnvSchema } from './env.ts';
import { createIngressLambda } from './ingress-lambda.ts';

/** The ingress Lambda's entry: built once per cold start from this function's environment. */
export const handler = createIngressLambda({
  ...HandlerEnvSchema.parse(process.env),
  ...IngressEnvSchema.parse(process.env),
});
