import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';

/** The Slack app manifest the bot is installed from (`manifest.yml` at the repository's root). */
export const MANIFEST_FILE = fileURLToPath(new URL('../../manifest.yml', import.meta.url));

const ScopesSchema = z.object({
  oauth_config: z.object({ scopes: z.object({ bot: z.array(z.string()) }) }),
});

/**
 * The bot scopes the manifest asks for: the fake Slack grants these and no others, so a call
 * the manifest does not cover fails locally (`missing_scope`) as it would in a workspace.
 */
export async function readManifestScopes(file = MANIFEST_FILE): Promise<string[]> {
  return ScopesSchema.parse(parse(await readFile(file, 'utf8'))).oauth_config.scopes.bot;
}
