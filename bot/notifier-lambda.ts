import { HandlerEnvSchema } from '../orchestrator/handlers/env.ts';
import { NotifierEnvSchema } from './env.ts';
import { createNotifierLambda } from './notifier-handler.ts';

/** The notifier Lambda's entry: built once per cold start from this function's environment. */
export const handler = createNotifierLambda({
  ...HandlerEnvSchema.parse(process.env),
  ...NotifierEnvSchema.parse(process.env),
});
