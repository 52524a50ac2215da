import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
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
 * How every Lifeboat Lambda is bundled, in esbuild's own terms: `LifeboatFunction` hands these to
 * NodejsFunction, and the benchmark to esbuild's API, so the bench measures what deploys. ESM
 * for Node 22, minified, the AWS SDK inside (the deployed code is the tested code, not the
 * runtime's SDK), only what the entry reaches. The source map is written beside the bundle and
 * not loaded at start: Node reads it only with `--enable-source-maps`, which no function sets;
 * a stack trace's minified positions are mapped back with it when an error is looked into.
 */
export const LAMBDA_BUNDLING = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  mainFields: ['module', 'main'],
  // CommonJS dependencies inside an ES module still call require().
  banner:
    "import { createRequire as __lifeboatRequire } from 'node:module'; const require = __lifeboatRequire(import.meta.url);",
  external: [] as string[],
  keepNames: true,
  minify: true,
  sourcemap: true,
  sourcesContent: false,
} as const;

/**
 * esbuild's `define` that puts the plans and runbook defaults into a bundle as data
 * (`bundledPlans()` returns them), so no Lambda parses YAML at a cold start, and marks the
 * bundle as one, so the YAML reader is left out of it (`planConfigOf`).
 */
export function planDefine(bundle: PlanBundle): Record<string, string> {
  return { [PLAN_BUNDLE_GLOBAL]: JSON.stringify(bundle), [PLANS_BUNDLED_GLOBAL]: 'true' };
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
 * {@link LAMBDA_BUNDLING}, the plans and runbook defaults inside as data (validated at synth;
 * `config/` is still copied beside it, for the environment's paths), its own role under
 * {@link FUNCTION_ROLE_PATH} that may write only to its own log group.
 */
export class LifeboatFunction extends Construct {
  readonly function: NodejsFunction;
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
    this.function = new NodejsFunction(this, 'Function', {
      entry: join(REPO_ROOT, props.entry),
      handler: props.handler ?? 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(60),
      environment: props.environment,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: LAMBDA_BUNDLING.target,
        mainFields: [...LAMBDA_BUNDLING.mainFields],
        banner: LAMBDA_BUNDLING.banner,
        externalModules: LAMBDA_BUNDLING.external,
        keepNames: LAMBDA_BUNDLING.keepNames,
        minify: LAMBDA_BUNDLING.minify,
        sourceMap: LAMBDA_BUNDLING.sourcemap,
        sourcesContent: LAMBDA_BUNDLING.sourcesContent,
        define: planDefine(repositoryPlans()),
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir: string, outputDir: string) => [
            `mkdir -p "${outputDir}/config"`,
            `cp -R "${inputDir}/config/customers" "${outputDir}/config/customers"`,
            `cp "${inputDir}/config/defaults.yaml" "${outputDir}/config/defaults.yaml"`,
          ],
        },
      },
    });
    acknowledge(
      this.function,
      'AwsSolutions-L1',
      'Node.js 22 is the runtime Lifeboat is built, bundled (target node22) and tested for; moving to a newer runtime is a release of its own, with the toolchain.',
    );
  }
}
