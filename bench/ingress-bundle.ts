/**
 * The ingress Lambda as CDK's NodejsFunction would ship it: `bot/lambda.ts` bundled by esbuild
 * (Node 22, ESM, minified, `@aws-sdk/*` left to the runtime), its size, its size with the SDK
 * inside (with esbuild's default entry points, and ESM ones first as `LifeboatFunction` bundles
 * it), a bare Bolt Lambda bundled the same way, and how long a fresh Node takes to import each
 * (the module part of a cold start). Written to a temp dir, removed afterwards.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { ROOT } from '../cli/io.ts';

export interface BundleFigures {
  bytes: number;
  gzip: number;
  /** Milliseconds to import the bundle in a fresh Node process (median of three). */
  importMs: number;
  /** The five packages that take most of the bundle (`lifeboat` is the repository's own code). */
  largest: [string, number][];
  warnings: string[];
}

const BARE_BOLT_LAMBDA = `import { App, AwsLambdaReceiver } from '@slack/bolt';
const receiver = new AwsLambdaReceiver({ signingSecret: 'bench' });
const app = new App({ receiver, token: 'xoxb', botId: 'B', botUserId: 'U', tokenVerificationEnabled: false });
app.command('/dr', async ({ ack }) => ack());
export const handler = receiver.toHandler();`;

interface Variant {
  /** Leave `@aws-sdk/*` to the runtime. */
  sdkExternal: boolean;
  /** The packages' ESM builds first (`module`, `main`), and names kept, as `LifeboatFunction` does. */
  esmFirst?: boolean;
}

async function bundle(
  outfile: string,
  entry: { file: string } | { source: string },
  variant: Variant,
): Promise<BundleFigures> {
  const result = await build({
    ...('file' in entry
      ? { entryPoints: [entry.file] }
      : { stdin: { contents: entry.source, resolveDir: ROOT, loader: 'ts' as const } }),
    outfile,
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    // CommonJS dependencies (Bolt, express) call require(), which ESM output lacks.
    banner: {
      js: "import { createRequire as __lifeboatRequire } from 'node:module'; const require = __lifeboatRequire(import.meta.url);",
    },
    // NodejsFunction leaves the SDK to the Node 18+ runtimes, which ship it.
    external: variant.sdkExternal ? ['@aws-sdk/*'] : [],
    ...(variant.esmFirst ? { mainFields: ['module', 'main'], keepNames: true } : {}),
    metafile: true,
    logLevel: 'silent',
  });
  const code = await readFile(outfile);
  const byPackage = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(
    Object.values(result.metafile.outputs)[0]?.inputs ?? {},
  )) {
    const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? 'lifeboat';
    byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
  }
  return {
    bytes: code.length,
    gzip: gzipSync(code).length,
    importMs: await importTime(outfile),
    largest: [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 5),
    warnings: result.warnings.map((w) => w.text),
  };
}

/**
 * The deployed ingress function's environment (placeholder values): its module parses it and
 * builds its clients when loaded, as at a cold start, so an import needs it.
 */
const INGRESS_ENVIRONMENT = {
  AWS_REGION: 'us-east-1',
  STATE_TABLE: 'lifeboat-state',
  PLANS_DIR: '/var/task/config/customers',
  SETTINGS_FILE: '/var/task/config/defaults.yaml',
  SLACK_TEAM_ID: 'T0LIFEBOAT',
  SLACK_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:lifeboat/slack',
  STATE_MACHINE_ARN_PATTERN: 'arn:aws:states:{region}:111122223333:stateMachine:lifeboat-runbook',
};

/** The median of three imports, each in a fresh Node; also proves the bundle loads and exports `handler`. */
async function importTime(file: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) times.push(await importOnce(file));
  return times.sort((x, y) => x - y)[1] ?? Number.NaN;
}

async function importOnce(file: string): Promise<number> {
  const script =
    'const t = performance.now(); const m = await import(process.argv[1]); if (typeof m.handler !== "function") throw new Error("no handler export"); console.log(performance.now() - t);';
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', script, file],
      { env: { ...process.env, ...INGRESS_ENVIRONMENT } },
    );
    return Number(stdout.trim());
  } catch (error) {
    // The minified source line in a trace is megabytes long: keep the error's end.
    const stderr = String((error as { stderr?: string }).stderr ?? error);
    throw new Error(`Importing ${file} failed: ${stderr.slice(-600)}`);
  }
}

export async function measureIngressBundles(): Promise<{
  lifeboat: BundleFigures;
  withSdk: BundleFigures;
  withSdkEsmFirst: BundleFigures;
  bare: BundleFigures;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'lifeboat-bundle-'));
  try {
    // The SDK-less bundles find @aws-sdk beside them, as the Lambda runtime offers it.
    await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const entry = { file: join(ROOT, 'bot', 'lambda.ts') };
    return {
      lifeboat: await bundle(join(dir, 'ingress.mjs'), entry, { sdkExternal: true }),
      withSdk: await bundle(join(dir, 'ingress-sdk.mjs'), entry, { sdkExternal: false }),
      withSdkEsmFirst: await bundle(join(dir, 'ingress-sdk-esm.mjs'), entry, {
        sdkExternal: false,
        esmFirst: true,
      }),
      bare: await bundle(
        join(dir, 'bare.mjs'),
        { source: BARE_BOLT_LAMBDA },
        { sdkExternal: true },
      ),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
