import { TransformParameterError } from '@aws-lambda-powertools/parameters/errors';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import * as z from 'zod';
import { LifeboatError } from '../orchestrator/domain/errors.ts';

export const SlackSecretsSchema = z.object({
  signingSecret: z.string().min(1),
  botToken: z.string().startsWith('xox'),
  /**
   * Signs the report links the bot posts (HMAC-SHA256); never logged, never in a link. Optional:
   * without it the notifier falls back to presigned links that die with its session.
   */
  reportLinkKey: z.string().min(32).optional(),
});
export type SlackSecrets = z.infer<typeof SlackSecretsSchema>;

/**
 * How long a warm Lambda uses the secret it read before asking Secrets Manager again: a
 * rotated signing secret or bot token is in use everywhere within this.
 */
export const SLACK_SECRET_MAX_AGE_SECONDS = 300;

const SHAPE =
  '{"signingSecret": "...", "botToken": "xoxb-...", "reportLinkKey": "<32+ random characters>"}';

/** Slack's secrets are missing or malformed: the bot cannot verify Slack's requests or post. */
export class SlackSecretsError extends LifeboatError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SlackSecretsError';
  }
}

/**
 * Slack's secrets: from Secrets Manager when `SLACK_SECRET_ARN` is set (JSON `{"signingSecret",
 * "botToken"}`), cached for {@link SLACK_SECRET_MAX_AGE_SECONDS}; else from the environment
 * (local use). No message here quotes a secret's value.
 */
export async function loadSlackSecrets(env: {
  SLACK_SECRET_ARN?: string | undefined;
  SLACK_SIGNING_SECRET?: string | undefined;
  SLACK_BOT_TOKEN?: string | undefined;
  REPORT_LINK_KEY?: string | undefined;
}): Promise<SlackSecrets> {
  if (!env.SLACK_SECRET_ARN) {
    const parsed = SlackSecretsSchema.safeParse({
      signingSecret: env.SLACK_SIGNING_SECRET,
      botToken: env.SLACK_BOT_TOKEN,
      ...(env.REPORT_LINK_KEY ? { reportLinkKey: env.REPORT_LINK_KEY } : {}),
    });
    if (parsed.success) return parsed.data;
    throw new SlackSecretsError(
      `${problems(parsed.error, { signingSecret: 'SLACK_SIGNING_SECRET', botToken: 'SLACK_BOT_TOKEN', reportLinkKey: 'REPORT_LINK_KEY (32 characters or more)' })}: set SLACK_SIGNING_SECRET to the app's signing secret and SLACK_BOT_TOKEN to its bot token (xoxb-...), or SLACK_SECRET_ARN to a secret holding ${SHAPE}.`,
    );
  }
  const arn = env.SLACK_SECRET_ARN;
  let value: unknown;
  try {
    value = await getSecret(arn, { maxAge: SLACK_SECRET_MAX_AGE_SECONDS, transform: 'json' });
  } catch (error) {
    // A JSON parse error quotes the text it could not parse: the secret itself. Not passed on.
    if (error instanceof TransformParameterError)
      throw new SlackSecretsError(`Secret ${arn} is not JSON: store ${SHAPE} in it.`);
    throw new SlackSecretsError(
      `Secret ${arn} could not be read (${(error as Error).message}): check that it exists in this region and that the function's role may call secretsmanager:GetSecretValue on it.`,
      { cause: error },
    );
  }
  const parsed = SlackSecretsSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new SlackSecretsError(
    `Secret ${arn} must hold ${SHAPE}: ${problems(parsed.error, { signingSecret: 'signingSecret', botToken: 'botToken', reportLinkKey: 'reportLinkKey (32 characters or more)' })}.`,
  );
}

/** `botToken missing or malformed`, naming each field by `names`, never quoting its value. */
function problems(error: z.ZodError, names: Record<keyof SlackSecrets, string>): string {
  const fields = [...new Set(error.issues.map((i) => String(i.path[0] ?? '')))];
  const named = fields.map((f) => names[f as keyof SlackSecrets] ?? 'the secret');
  return `${named.join(' and ')} missing or malformed`;
}
