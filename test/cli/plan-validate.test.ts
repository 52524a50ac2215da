import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { main } from '../../cli/main.ts';
import { syntheticPlanDocument } from '../../sandbox/aws/synthetic-plan.ts';

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
