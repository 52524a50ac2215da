import { LifeboatError, UnknownCustomerError } from '../domain/errors.ts';
import type { RunbookSettings } from '../domain/settings.ts';
import type { LoadedPlan, PlanSource } from '../ports/plan-source.ts';

/**
 * Every customer's plan and the runbook defaults, validated when the Lambdas were bundled
 * (`bundlePlans`) and carried inside the bundle as data: a cold start parses no YAML.
 */
export interface PlanBundle {
  plans: Record<string, LoadedPlan>;
  settings: RunbookSettings;
}

/** The plans and runbook defaults as the wiring takes them: bundled data in AWS, YAML files locally. */
export interface PlanConfig {
  plans: PlanSource;
  settings(): Promise<RunbookSettings>;
}

/** The global esbuild replaces with the bundle (its `define`); absent outside a bundle. */
export const PLAN_BUNDLE_GLOBAL = 'LIFEBOAT_PLAN_BUNDLE';
/**
 * The bundle as JSON text, read by `JSON.parse` once: V8 reads JSON that way much faster than
 * the same data written as an object literal in the code, which grows with every customer.
 */
declare const LIFEBOAT_PLAN_BUNDLE: string | undefined;
let parsedBundle: PlanBundle | undefined;
/**
 * `true` in a bundle (its `define`), beside the plans: a constant esbuild folds, so a branch
 * taken only outside a bundle is dropped with what it imports.
 */
export const PLANS_BUNDLED_GLOBAL = 'LIFEBOAT_PLANS_BUNDLED';
declare const LIFEBOAT_PLANS_BUNDLED: true | undefined;

/** The plans this bundle was built with, or undefined when running from source (tests, the CLI). */
export function bundledPlans(): PlanBundle | undefined {
  if (typeof LIFEBOAT_PLAN_BUNDLE === 'undefined') return undefined;
  parsedBundle ??= JSON.parse(LIFEBOAT_PLAN_BUNDLE) as PlanBundle;
  return parsedBundle;
}

/** Plans from a {@link PlanBundle}: the deployed Lambdas' source, as `FilePlanSource` is the local one. */
export class BundledPlanSource implements PlanSource {
  constructor(private readonly bundle: PlanBundle) {}

  async listCustomers(): Promise<string[]> {
    return Object.keys(this.bundle.plans).sort();
  }

  async loadPlan(customerId: string): Promise<LoadedPlan> {
    const loaded = Object.hasOwn(this.bundle.plans, customerId)
      ? this.bundle.plans[customerId]
      : undefined;
    if (!loaded) throw new UnknownCustomerError(customerId, await this.listCustomers());
    return loaded;
  }
}

/**
 * The bundle's plans and defaults; outside a bundle (tests, local use), the YAML files the
 * environment names, read by a module loaded on the first read. A bundle leaves that module
 * (and the YAML parser) out.
 */
export function planConfigOf(env: { PLANS_DIR: string; SETTINGS_FILE: string }): PlanConfig {
  if (typeof LIFEBOAT_PLANS_BUNDLED === 'undefined') {
    let files: Promise<PlanConfig> | undefined;
    const fromFiles = () =>
      (files ??= import('./config-files.ts').then((m) => m.filePlanConfig(env)));
    return {
      plans: {
        listCustomers: async () => (await fromFiles()).plans.listCustomers(),
        loadPlan: async (id) => (await fromFiles()).plans.loadPlan(id),
      },
      settings: async () => (await fromFiles()).settings(),
    };
  }
  const bundled = bundledPlanConfig();
  if (!bundled) throw new LifeboatError('This bundle was built without its plans (planDefine).');
  return bundled;
}

/** The bundle's plans and defaults as the wiring takes them; undefined outside a bundle. */
export function bundledPlanConfig(): PlanConfig | undefined {
  const bundle = bundledPlans();
  return bundle ? planConfigFrom(bundle) : undefined;
}

/** A {@link PlanBundle} as the wiring takes it (a bundle's own, or one built by `bundlePlans`). */
export function planConfigFrom(bundle: PlanBundle): PlanConfig {
  return { plans: new BundledPlanSource(bundle), settings: async () => bundle.settings };
}
