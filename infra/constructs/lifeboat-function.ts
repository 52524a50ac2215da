import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Annotations, AssetHashType, DockerImage, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  Architecture,
  Code,
  Function as LambdaFunction,
  LoggingFormat,
  Runtime,
} from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type BuildOptions, buildSync, type Metafile } from 'esbuild';
import {
  PLAN_BUNDLE_GLOBAL,
  PLANS_BUNDLED_GLOBAL,
  type PlanBundle,
} from '../../orchestrator/adapters/bundled-plans.ts';
import { bundlePlans } from '../../orchestrator/adapters/plan-bundle.ts';
import { InvalidPropsError } from '../errors.ts';
import { acknowledge } from '../nag/acknowledge.ts';

/** The repository root: the bundler's project root, and where `config/` is copied from. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Where the bundled `config/` lands inside every function (the Lambda task root). */
export const BUNDLED_CONFIG = {
  plansDir: '/var/task/config/customers',
  settingsFile: '/var/task/config/defaults.yaml',
} as const;

/**
 * How every Lifeboat Lambda is bundled, in esbuild's own terms: `bundleLambda` builds with these
 * for `LifeboatFunction` (`cdk synth`) and for the benchmark, so the bench measures what
 * deploys. ESM for Node 22, minified, the AWS SDK inside (the deployed code is the tested code,
 * not the runtime's SDK), only what the entry reaches. Split: each dynamic `import()` (S3's
 * presigner on a report link, the SDK's credential providers other than the environment's) is a
 * chunk of its own, read only when that path runs, so a cold start parses only `index.mjs` and
 * the chunks it imports. The source maps are written beside and not loaded at start: Node reads
 * them only with `--enable-source-maps`, which no function sets; a stack trace's minified
 * positions are mapped back with them when an error is looked into.
 */
export const LAMBDA_BUNDLING = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  mainFields: ['module', 'main'],
  splitting: true,
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  // CommonJS dependencies inside an ES module still call require().
  banner: {
    js: "import { createRequire as __lifeboatRequire } from 'node:module'; const require = __lifeboatRequire(import.meta.url);",
  },
  keepNames: true,
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  logLevel: 'silent',
} satisfies BuildOptions;

/** The file a bundle's Lambda handler lives in (`index.handler`), beside its chunks. */
export const BUNDLE_ENTRY_FILE = 'index.mjs';

/**
 * One Lambda's bundle written to `outdir`: `index.mjs`, its chunks, their source maps, the
 * plans inside as data. `entry` is a module of the repository (`bot/lambda.ts`), or source text
 * resolved from the repository's root (the benchmark's bare Bolt app). Returns esbuild's
 * metafile (what each output holds and imports) and its warnings.
 */
export function bundleLambda(
  entry: string | { source: string },
  outdir: string,
  plans: PlanBundle = repositoryPlans(),
): { metafile: Metafile; warnings: string[] } {
  const result = buildSync({
    ...LAMBDA_BUNDLING,
    ...(typeof entry === 'string'
      ? { entryPoints: { index: join(REPO_ROOT, entry) } }
      : {
          stdin: { contents: entry.source, resolveDir: REPO_ROOT, loader: 'ts' },
          entryNames: 'index',
        }),
    define: planDefine(plans),
    outdir,
    metafile: true,
  });
  return { metafile: result.metafile, warnings: result.warnings.map((w) => w.text) };
}

/**
 * The outputs of a bundle that a cold start reads: the entry and, transitively, the chunks it
 * imports statically (a chunk only `import()`ed is read when its path first runs).
 */
export function startupOutputs(metafile: Metafile): string[] {
  const reached = new Set<string>();
  const visit = (output: string) => {
    if (reached.has(output)) return;
    reached.add(output);
    for (const i of metafile.outputs[output]?.imports ?? [])
      if (i.kind === 'import-statement' && !i.external) visit(i.path);
  };
  const entry = Object.keys(metafile.outputs).find((o) => o.endsWith(`/${BUNDLE_ENTRY_FILE}`));
  if (entry) visit(entry);
  return [...reached];
}

/**
 * esbuild's `define` that puts the plans and runbook defaults into a bundle as data
 * (`bundledPlans()` returns them), so no Lambda parses YAML at a cold start, and marks the
 * bundle as one, so the YAML reader is left out of it (`planConfigOf`).
 */
export function planDefine(bundle: PlanBundle): Record<string, string> {
  // A string literal holding the JSON (parsed on first use), not an object literal.
  return {
    [PLAN_BUNDLE_GLOBAL]: JSON.stringify(JSON.stringify(bundle)),
    [PLANS_BUNDLED_GLOBAL]: 'true',
  };
}

/** The repository's plans and defaults, validated once per synth: a bad plan stops it. */
const validatedPlans = new Map<string, PlanBundle>();
export function repositoryPlans(root: string = REPO_ROOT): PlanBundle {
  const known = validatedPlans.get(root);
  if (known) return known;
  const bundle = bundlePlans({
    plansDir: join(root, 'config', 'customers'),
    settingsFile: join(root, 'config', 'defaults.yaml'),
    root,
  });
  validatedPlans.set(root, bundle);
  return bundle;
}

/** IAM path of every role Lifeboat's functions run as: the customers' roles trust this path only. */
export const FUNCTION_ROLE_PATH = '/lifeboat/';

export interface LifeboatFunctionProps {
  /** The TypeScript module, relative to the repository root (`bot/lambda.ts`). */
  entry: string;
  /**
   * The exported handler.
   * @default 'handler'
   */
  handler?: string;
  description: string;
  /** Already checked against the handler's environment schema (see `checkEnvironment`). */
  environment: Record<string, string>;
  /** @default 60 seconds */
  timeout?: Duration;
  /** @default 512 */
  memorySize?: number;
  /** @default one month */
  logRetention?: RetentionDays;
}

/**
 * One Lifeboat Lambda: Node 22 on arm64, bundled by esbuild locally (never in Docker) with
 * {@link bundleLambda}, the plans and runbook defaults inside as data (validated at synth;
 * `config/` is still copied beside it, for the environment's paths), its own role under
 * {@link FUNCTION_ROLE_PATH} that may write only to its own log group.
 */
export class LifeboatFunction extends Construct {
  readonly function: LambdaFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: LifeboatFunctionProps) {
    super(scope, id);
    if (props.entry.startsWith('/') || props.entry.includes('..'))
      throw new InvalidPropsError(
        'LifeboatFunction',
        `entry "${props.entry}" must be a path inside the repository, relative to its root.`,
      );
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      path: FUNCTION_ROLE_PATH,
      description: `Lifeboat: ${props.description}`,
    });
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.logGroup.grantWrite(this.role);
    const entry = props.entry;
    this.function = new LambdaFunction(this, 'Function', {
      code: Code.fromAsset(REPO_ROOT, {
        // The hash of what is deployed; the repository itself is never fingerprinted.
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          // Never run: local bundling always answers, or throws esbuild's error.
          image: DockerImage.fromRegistry('lifeboat-bundles-locally-only'),
          local: {
            tryBundle: (outputDir) => {
              const { warnings } = bundleLambda(entry, outputDir);
              for (const warning of warnings)
                Annotations.of(this).addWarningV2('lifeboat:bundle', `${entry}: ${warning}`);
              mkdirSync(join(outputDir, 'config'), { recursive: true });
              cpSync(
                join(REPO_ROOT, 'config', 'customers'),
                join(outputDir, 'config', 'customers'),
                {
                  recursive: true,
                },
              );
              cpSync(
                join(REPO_ROOT, 'config', 'defaults.yaml'),
                join(outputDir, 'config', 'defaults.yaml'),
              );
              return true;
            },
          },
        },
      }),
      handler: `index.${props.handler ?? 'handler'}`, // BUNDLE_ENTRY_FILE's export
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(60),
      environment: props.environment,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
    });
    acknowledge(
      this.function,
      'AwsSolutions-L1',
      'Node.js 22 is the runtime Lifeboat is built, bundled (target node22) and tested for; moving to a newer runtime is a release of its own, with the toolchain.',
    );
  }
}
