import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.ts';

/** DRS's client, which the registry has only at an old version, and the SSO clients it brings: they keep their own SDK core beneath them. */
const OLD_CLIENTS = ['@aws-sdk/client-drs', '@aws-sdk/client-sso', '@aws-sdk/client-sso-oidc'];

describe('the lock file', () => {
  it('hoists one AWS SDK core that every current client shares, so a bundle carries it once', async () => {
    // Prepare
    const lock = JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string }>;
    };
    const paths = Object.keys(lock.packages);
    // Act
    const nestedCores = paths.filter((path) => {
      const owner =
        /^node_modules\/(@aws-sdk\/client-[^/]+)\/node_modules\/(@smithy\/core|@aws-sdk\/core)$/.exec(
          path,
        )?.[1];
      return owner !== undefined && !OLD_CLIENTS.includes(owner);
    });
    // Assess
    expect(
      nestedCores,
      'a client nests its own SDK core: remove the lock entries of @aws-sdk/* and @smithy/* and run npm install, so npm hoists the newest',
    ).toEqual([]);
    expect(
      Number(lock.packages['node_modules/@aws-sdk/core']?.version?.split('.')[1]),
    ).toBeGreaterThan(900);
  });
});
