import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { ROOT } from './helpers.ts';

/**
 * The part of Slack's app manifest format (version 2) that Lifeboat uses, after Slack's own JSON
 * schema (github.com/slackapi/manifest-schema, schemas/manifest.schema.2.0.0.json) and the
 * `Manifest` type of @slack/web-api. Objects are strict, so a misspelled or unknown field fails
 * here instead of being dropped by Slack.
 */
const HttpsUrlSchema = z.url({ protocol: /^https$/ });

const ManifestSchema = z.strictObject({
  _metadata: z.strictObject({
    major_version: z.literal(2),
    minor_version: z.number().int().min(0),
  }),
  display_information: z.strictObject({
    name: z.string().min(1).max(35),
    description: z.string().min(1).max(140),
    background_color: z.string().regex(/^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$/),
  }),
  features: z.strictObject({
    bot_user: z.strictObject({
      display_name: z.string().regex(/^[a-z0-9._-]{1,80}$/),
      always_online: z.boolean(),
    }),
    slash_commands: z
      .array(
        z.strictObject({
          command: z.string().regex(/^\/[a-z0-9_-]{1,31}$/),
          url: HttpsUrlSchema.max(3000),
          description: z.string().min(1).max(2000),
          usage_hint: z.string().min(1).max(1000),
          should_escape: z.boolean(),
        }),
      )
      .min(1)
      .max(50),
  }),
  oauth_config: z.strictObject({
    scopes: z.strictObject({
      bot: z.array(z.string().regex(/^[a-z_.]+(:[a-z_.]+)?$/)).min(1),
    }),
  }),
  settings: z.strictObject({
    interactivity: z.strictObject({
      is_enabled: z.boolean(),
      request_url: HttpsUrlSchema.max(3500),
    }),
    org_deploy_enabled: z.boolean(),
    socket_mode_enabled: z.boolean(),
    token_rotation_enabled: z.boolean(),
  }),
});

type Manifest = z.infer<typeof ManifestSchema>;

/** What the bot does with Slack, and nothing more (see the comments in manifest.yml). */
const LEAST_BOT_SCOPES = ['chat:write', 'commands', 'usergroups:read', 'users:read'];

async function readManifest(): Promise<unknown> {
  // `parse` throws on YAML errors, duplicate keys among them.
  return parse(await readFile(join(ROOT, 'manifest.yml'), 'utf8'));
}

/** Every string under a key that names a URL (`url`, `request_url`, `…_url`), with its path. */
function urlsIn(value: unknown, path = ''): [string, unknown][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => urlsIn(v, `${path}[${i}]`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, v]) => {
    const at = path ? `${path}.${key}` : key;
    if (!/(^|_)urls?$/.test(key)) return urlsIn(v, at);
    return Array.isArray(v) ? v.map((u, i): [string, unknown] => [`${at}[${i}]`, u]) : [[at, v]];
  });
}

describe('manifest.yml', () => {
  it('is a Slack app manifest with no field Slack does not know', async () => {
    // Act
    const result = ManifestSchema.safeParse(await readManifest());
    // Assess
    expect(result.error?.issues ?? []).toEqual([]);
  });

  it('asks for the least bot scopes and no user scopes', async () => {
    const manifest = ManifestSchema.parse(await readManifest());
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual(LEAST_BOT_SCOPES);
    expect(Object.keys(manifest.oauth_config.scopes)).toEqual(['bot']);
  });

  it('has the /dr command, interactivity on, Socket Mode and org-wide deploy off', async () => {
    // Act
    const manifest = ManifestSchema.parse(await readManifest());
    // Assess
    expect(manifest.display_information.name).toBe('Lifeboat');
    expect(manifest.features.slash_commands).toEqual([
      expect.objectContaining({
        command: '/dr',
        url: 'https://lifeboat.example.com/slack/events',
        should_escape: false,
      }),
    ]);
    expect(manifest.features.slash_commands[0]?.usage_hint).toContain('drill bcbsaz');
    expect(manifest.settings.interactivity).toEqual({
      is_enabled: true,
      request_url: 'https://lifeboat.example.com/slack/events',
    });
    expect(manifest.settings.socket_mode_enabled).toBe(false);
    expect(manifest.settings.org_deploy_enabled).toBe(false);
  });

  it('sends every request over https to the one path Bolt answers', async () => {
    // Act
    const urls = urlsIn(await readManifest());
    // Assess
    expect(urls.map(([at]) => at).sort()).toEqual([
      'features.slash_commands[0].url',
      'settings.interactivity.request_url',
    ]);
    for (const [at, url] of urls) {
      expect(typeof url, at).toBe('string');
      const { protocol, pathname } = new URL(String(url));
      expect([at, protocol, pathname]).toEqual([at, 'https:', '/slack/events']);
    }
  });

  it.each<[string, (m: Manifest) => void]>([
    ['a misspelled field', (m) => Object.assign(m.settings, { socket_mode_enable: true })],
    ['an unknown top-level field', (m) => Object.assign(m, { event_subscription: {} })],
    [
      'an http request URL',
      (m) => {
        m.settings.interactivity.request_url = 'http://lifeboat.example.com/slack/events';
      },
    ],
    [
      'a command without its slash',
      (m) => {
        for (const c of m.features.slash_commands) c.command = 'dr';
      },
    ],
    [
      'a bot name Slack refuses',
      (m) => {
        m.features.bot_user.display_name = 'Life Boat';
      },
    ],
  ])('the schema refuses %s', async (_, mutate) => {
    // Prepare
    const manifest = ManifestSchema.parse(await readManifest());
    mutate(manifest);
    // Act
    const result = ManifestSchema.safeParse(manifest);
    // Assess
    expect(result.success).toBe(false);
  });
});
