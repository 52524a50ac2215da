import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.ts';

const DOMAIN = join(ROOT, 'orchestrator', 'domain');
const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g;
const GLOBALS = /\b(process\.env|Date\.now|new Date\(\)|Math\.random)\b/;

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/** What a module imports that is neither zod nor a file inside the domain. */
export function foreignImports(file: string, text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(IMPORT)) {
    const spec = match[1] ?? match[2] ?? match[3] ?? '';
    if (spec === 'zod' || spec.startsWith('zod/')) continue;
    if (spec.startsWith('.') && !relative(DOMAIN, resolve(file, '..', spec)).startsWith('..'))
      continue;
    found.push(spec);
  }
  return found;
}

describe('orchestrator/domain', () => {
  it('imports nothing but zod and itself', async () => {
    // Prepare
    const files = await sources(DOMAIN);
    expect(files.length).toBeGreaterThan(5);
    // Act
    const offenders: string[] = [];
    for (const file of files) {
      for (const spec of foreignImports(file, await readFile(file, 'utf8')))
        offenders.push(`${relative(ROOT, file)} imports ${spec}`);
    }
    // Assess
    expect(offenders).toEqual([]);
  });

  it('reads no clock, randomness or environment: those come in through ports', async () => {
    const offenders: string[] = [];
    for (const file of await sources(DOMAIN)) {
      if (GLOBALS.test(await readFile(file, 'utf8'))) offenders.push(relative(ROOT, file));
    }
    expect(offenders).toEqual([]);
  });

  it.each([
    ["import { DRS } from '@aws-sdk/client-drs';", ['@aws-sdk/client-drs']],
    ["import { readFile } from 'node:fs/promises';", ['node:fs/promises']],
    ["import type { Plan } from '../adapters/config-files.ts';", ['../adapters/config-files.ts']],
    ["export { x } from '../../bot/x.ts';", ['../../bot/x.ts']],
    ["const m = await import('yaml');", ['yaml']],
    ["import { z } from 'zod';\nimport { a } from './plan.ts';", []],
  ])('the scan catches %j', (text, expected) => {
    expect(foreignImports(join(DOMAIN, 'x.ts'), text)).toEqual(expected);
  });
});
