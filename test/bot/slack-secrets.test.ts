import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadSlackSecrets, SlackSecretsError } from '../../bot/slack-secrets.ts';

const ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:lifeboat/slack';
const SECRETS: Record<string, string> = {
  [`${ARN}-ok`]: JSON.stringify({ signingSecret: 'signing-secret', botToken: 'xoxb-1' }),
  [`${ARN}-text`]: 'xoxb-pasted-as-text',
  [`${ARN}-no-token`]: JSON.stringify({ signingSecret: 'signing-secret' }),
  [`${ARN}-link-key`]: JSON.stringify({
    signingSecret: 'signing-secret',
    botToken: 'xoxb-1',
    reportLinkKey: 'k'.repeat(32),
  }),
  [`${ARN}-short-key`]: JSON.stringify({
    signingSecret: 'signing-secret',
    botToken: 'xoxb-1',
    reportLinkKey: 'short-key-value',
  }),
};

/** Secrets Manager's GetSecretValue on loopback (JSON 1.1, as the SDK speaks it); counts reads. */
let server: Server;
const reads: string[] = [];

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const { SecretId } = JSON.parse(Buffer.concat(chunks).toString()) as { SecretId: string };
    reads.push(SecretId);
    const value = SECRETS[SecretId];
    res.setHeader('content-type', 'application/x-amz-json-1.1');
    if (value === undefined) {
      res.statusCode = 400;
      res.end(
        JSON.stringify({
          __type: 'ResourceNotFoundException',
          message: "Secrets Manager can't find the specified secret.",
        }),
      );
      return;
    }
    res.end(JSON.stringify({ ARN: SecretId, Name: 'lifeboat/slack', SecretString: value }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  vi.stubEnv(
    'AWS_ENDPOINT_URL_SECRETS_MANAGER',
    `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  );
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
});

afterAll(() => {
  vi.unstubAllEnvs();
  server.close();
});

describe("Slack's secrets", () => {
  it('carry the report-link key when the secret holds one, and refuse a short one without quoting it', async () => {
    // Act
    const withKey = await loadSlackSecrets({ SLACK_SECRET_ARN: `${ARN}-link-key` });
    const short = await loadSlackSecrets({ SLACK_SECRET_ARN: `${ARN}-short-key` }).catch(
      (error: Error) => error,
    );
    const local = await loadSlackSecrets({
      SLACK_SIGNING_SECRET: 's',
      SLACK_BOT_TOKEN: 'xoxb-2',
      REPORT_LINK_KEY: 'l'.repeat(40),
    });
    // Assess
    expect(withKey.reportLinkKey).toBe('k'.repeat(32));
    expect(short).toBeInstanceOf(SlackSecretsError);
    expect((short as Error).message).toMatch(
      /reportLinkKey \(32 characters or more\) missing or malformed/,
    );
    expect((short as Error).message).not.toContain('short-key-value');
    expect(local.reportLinkKey).toBe('l'.repeat(40));
  });

  it('come from the secret, read once for many requests', async () => {
    // Act
    const first = await loadSlackSecrets({ SLACK_SECRET_ARN: `${ARN}-ok` });
    const again = await loadSlackSecrets({ SLACK_SECRET_ARN: `${ARN}-ok` });
    // Assess
    expect(first).toEqual({ signingSecret: 'signing-secret', botToken: 'xoxb-1' });
    expect(again).toEqual(first);
    expect(reads.filter((id) => id === `${ARN}-ok`)).toHaveLength(1);
  });

  it.each([
    [`${ARN}-text`, /is not JSON: store \{"signingSecret"/],
    [`${ARN}-no-token`, /must hold .*: botToken missing or malformed/],
    [`${ARN}-gone`, /could not be read \(.*can't find.*\): check that it exists/],
  ])('from %s fail with what to do, and no secret in the message', async (arn, message) => {
    // Act
    const loading = loadSlackSecrets({ SLACK_SECRET_ARN: arn });
    // Assess
    const error = await loading.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SlackSecretsError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain(arn);
    expect((error as Error).message).not.toMatch(/xoxb-pasted|signing-secret/);
  });

  it('come from the environment without a secret (local use), checked alike', async () => {
    // Act
    const local = await loadSlackSecrets({
      SLACK_SIGNING_SECRET: 'local-signing',
      SLACK_BOT_TOKEN: 'xoxb-local',
    });
    const wrong = loadSlackSecrets({
      SLACK_SIGNING_SECRET: 'local-signing',
      SLACK_BOT_TOKEN: 'bot',
    });
    // Assess
    expect(local).toEqual({ signingSecret: 'local-signing', botToken: 'xoxb-local' });
    await expect(wrong).rejects.toThrow(
      /^SLACK_BOT_TOKEN missing or malformed: set SLACK_SIGNING_SECRET .* and SLACK_BOT_TOKEN to its bot token/,
    );
  });
});
