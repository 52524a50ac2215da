import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BundledPlanSource, bundledPlans } from '../../../orchestrator/adapters/bundled-plans.ts';
import { FilePlanSource, readSettingsFile } from '../../../orchestrator/adapters/config-files.ts';
import { bundlePlans } from '../../../orchestrator/adapters/plan-bundle.ts';
import { PlanValidationError, UnknownCustomerError } from '../../../orchestrator/domain/errors.ts';
import { FIXTURES, SAMPLE_PLANS, SAMPLE_SETTINGS } from '../../helpers.ts';

describe('plans bundled as data', () => {
  it('carry what the files give, through JSON as a bundle carries them', async () => {
    // Prepare
    const files = new FilePlanSource(SAMPLE_PLANS);
    // Act: validated at build time, then written into the bundle as JSON and read back
    const bundle = JSON.parse(
      JSON.stringify(
        bundlePlans({ plansDir: SAMPLE_PLANS, settingsFile: SAMPLE_SETTINGS, root: FIXTURES }),
      ),
    );
    const bundled = new BundledPlanSource(bundle);
    // Assess: the same customers, plans, revisions and defaults; sources named in the repository
    expect(await bundled.listCustomers()).toEqual(await files.listCustomers());
    for (const id of await files.listCustomers()) {
      const [fromFile, fromBundle] = [await files.loadPlan(id), await bundled.loadPlan(id)];
      expect(fromBundle.plan).toEqual(fromFile.plan);
      expect(fromBundle.revision).toBe(fromFile.revision);
      expect(fromBundle.source).toBe(`plans/samples/${id}.yaml`);
    }
    expect(bundle.settings).toEqual(await readSettingsFile(SAMPLE_SETTINGS));
  });

  it('name the known customers for an unknown one, as the files do', async () => {
    // Prepare
    const bundled = new BundledPlanSource(
      bundlePlans({ plansDir: SAMPLE_PLANS, settingsFile: SAMPLE_SETTINGS, root: FIXTURES }),
    );
    // Act + Assess
    await expect(bundled.loadPlan('acme')).rejects.toThrow(UnknownCustomerError);
    await expect(bundled.loadPlan('constructor')).rejects.toThrow(UnknownCustomerError);
  });

  it('stop the build at an invalid plan, naming its file', () => {
    // Prepare: a folder with one broken plan
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-bundle-'));
    copyFileSync(
      join(FIXTURES, 'plans', 'broken', 'bad-duration.yaml'),
      join(dir, 'bad-duration.yaml'),
    );
    // Act
    const build = () => bundlePlans({ plansDir: dir, settingsFile: SAMPLE_SETTINGS, root: dir });
    // Assess
    expect(build).toThrow(PlanValidationError);
    expect(build).toThrow(/bad-duration\.yaml/);
  });

  it('are absent when the code runs from source', () => {
    expect(bundledPlans()).toBeUndefined();
  });
});
