import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';

export const SlackSecretsSchema = z.object({
  signingSecret: z.string().min(1),
  botToken: z.string().startsWith('xox'),
});
export type SlackSecrets = z.infer<typeof SlackSecretsSchema>;

/**
 * Slack's secrets, once per cold start: from Secrets Manager when `SLACK_SECRET_ARN` is set
 * (JSON `{"signingSecret", "botToken"}`), else from the environment (local use).
 */
export async function loadSlackSecrets(env: {
  SLACK_SECRET_ARN?: string | undefined;
  SLACK_SIGNING_SECRET?: string | undefined;
  SLACK_BOT_TOKEN?: string | undefined;
  AWS_REGION: string;
}): Promise<SlackSecrets> {
  if (!env.SLACK_SECRET_ARN)
    return SlackSecretsSchema.parse({
      signingSecret: env.SLACK_SIGNING_SECRET,
      botToken: env.SLACK_BOT_TOKEN,
    });
  const client = new SecretsManagerClient({ region: env.AWS_REGION, maxAttempts: 3 });
  const out = await client.send(new GetSecretValueCommand({ SecretId: env.SLACK_SECRET_ARN }));
  const parsed = SlackSecretsSchema.safeParse(JSON.parse(out.SecretString ?? '{}'));
  if (!parsed.success)
    throw new Error(
      `Secret ${env.SLACK_SECRET_ARN} must hold JSON {"signingSecret": "...", "botToken": "xoxb-..."}: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')} missing or malformed`,
    );
  return parsed.data;
}
