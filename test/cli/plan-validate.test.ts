import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { main } from '../../cli/main.ts';
import { syntheticPlanDocument } from '../../sandbox/aws/synthetic-plan.ts';
import { readTiny } from '../helpers.ts';

describe('lifeboat plan validate, on text Slack cannot show whole', () => {
  it('passes the plan with exit 0 and warns that the instructions will be cut in Slack', async () => {
    // Prepare
    const doc = syntheticPlanDocument(2);
    const [wave] = doc.waves as Record<string, unknown>[];
    if (wave)
      wave.postHooks = [{ kind: 'manual', name: 'flip-vpn', instructions: 'Do it. '.repeat(4000) }];
    const file = join(await mkdtemp(join(tmpdir(), 'lifeboat-fit-')), 'big.yaml');
    await writeFile(file, stringify(doc));
    const out: string[] = [];
    // Act
    const code = await main(['plan', 'validate', file], { out: (l) => out.push(l), err: () => {} });
    // Assess
    expect(code).toBe(0);
    expect(out.join('\n')).toMatch(
      /warning: .*big\.yaml: waves\[0\]\.postHooks\[0\]\.instructions: 28000 characters .*will be cut in Slack/,
    );
    expect(out.join('\n')).toContain('1 plan valid');
  });
});

describe('lifeboat plan validate, across plans', () => {
  /** A folder of tiny plans, each renamed to its id and given the fields shown. */
  async function folder(plans: Record<string, Record<string, unknown>>): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'lifeboat-set-'));
    const tiny = JSON.stringify(await readTiny());
    for (const [id, fields] of Object.entries(plans))
      await writeFile(
        join(dir, `${id}.yaml`),
        stringify({ ...JSON.parse(tiny.replaceAll('tiny', id)), ...fields }),
      );
    return dir;
  }

  async function validate(files: string[]): Promise<{ code: number; out: string }> {
    const out: string[] = [];
    const code = await main(['plan', 'validate', ...files], {
      out: (l) => out.push(l),
      err: (l) => out.push(l),
    });
    return { code, out: out.join('\n') };
  }

  it('reports a set problem with its file and path, and fails', async () => {
    // Prepare
    const dir = await folder({
      shared: { kind: 'shared-services' },
      alpha: { after: ['shared', { plan: 'shared', wave: 'web-tier' }] },
      beta: { after: ['alpha'] },
    });
    const files = ['alpha', 'beta', 'shared'].map((id) => join(dir, `${id}.yaml`));
    // Act
    const { code, out } = await validate(files);
    // Assess
    expect(code).toBe(1);
    expect(out).toMatch(
      /alpha\.yaml: after\[1\]\.wave: "web-tier" is not a wave of "shared" .*\[unknown-wave\]/,
    );
    expect(out).toContain('1 of 3 plans invalid');
  });

  it('checks one file against the other plans of its folder', async () => {
    // Prepare
    const dir = await folder({ alpha: { after: ['beta'] }, beta: { after: ['alpha'] } });
    // Act
    const { code, out } = await validate([join(dir, 'alpha.yaml')]);
    // Assess
    expect(code).toBe(1);
    expect(out).toMatch(
      /alpha\.yaml: after\[0\]\.plan: .*\(alpha -> beta -> alpha\).*\[after-cycle\]/,
    );
    expect(out).not.toMatch(/beta\.yaml: after/);
  });

  it('passes a file whose after names a plan of its folder', async () => {
    // Prepare
    const dir = await folder({ alpha: { after: ['shared'] }, shared: { kind: 'shared-services' } });
    // Act
    const { code, out } = await validate([join(dir, 'alpha.yaml')]);
    // Assess
    expect(code).toBe(0);
    expect(out).toContain('1 plan valid');
  });
});
