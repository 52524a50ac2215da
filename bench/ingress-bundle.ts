/**
 * The ingress Lambda as it deploys: `bot/lambda.ts` bundled with `LifeboatFunction`'s own
 * options (`LAMBDA_BUNDLING`, the plans inside as data), and a bare Bolt AwsLambdaReceiver app
 * bundled with the same options; their sizes, what takes the room (esbuild's metafile), how
 * long a fresh Node takes to import each (the module part of a cold start, p50 of several), and
 * the time from a fresh process's start to the acknowledgement of its first signed request.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { ROOT } from '../cli/io.ts';
import {
  LAMBDA_BUNDLING,
  planDefine,
  repositoryPlans,
} from '../infra/constructs/lifeboat-function.ts';
import { percentile } from './planning.ts';

export interface BundleFigures {
  file: string;
  bytes: number;
  gzip: number;
  /** Milliseconds to import the bundle in a fresh Node process: each sample, sorted. */
  importMs: number[];
  /** The packages that take most of the bundle (`lifeboat` is the repository's own code). */
  largest: [string, number][];
  warnings: string[];
}

const BARE_BOLT_LAMBDA = `import { App, AwsLambdaReceiver } from '@slack/bolt';
const receiver = new AwsLambdaReceiver({ signingSecret: process.env.SLACK_SIGNING_SECRET ?? 'bench' });
const app = new App({ receiver, token: 'xoxb', botId: 'B', botUserId: 'U', tokenVerificationEnabled: false });
app.command('/dr', async ({ ack }) => ack());
export const handler = receiver.toHandler();`;

const IMPORT_SAMPLES = 7;

async function bundle(
  outfile: string,
  entry: { file: string } | { source: string },
  environment: Record<string, string>,
): Promise<BundleFigures> {
  const result = await build({
    ...LAMBDA_BUNDLING,
    ...('file' in entry
      ? { entryPoints: [entry.file] }
      : { stdin: { contents: entry.source, resolveDir: ROOT, loader: 'ts' as const } }),
    mainFields: [...LAMBDA_BUNDLING.mainFields],
    external: [...LAMBDA_BUNDLING.external],
    banner: { js: LAMBDA_BUNDLING.banner },
    define: planDefine(repositoryPlans()),
    outfile,
    metafile: true,
    logLevel: 'silent',
  });
  const code = await readFile(outfile);
  const byPackage = new Map<string, number>();
  const output = Object.entries(result.metafile.outputs).find(([name]) => !name.endsWith('.map'));
  for (const [input, { bytesInOutput }] of Object.entries(output?.[1].inputs ?? {})) {
    const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? 'lifeboat';
    byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
  }
  const importMs: number[] = [];
  for (let i = 0; i < IMPORT_SAMPLES; i++) importMs.push(await importOnce(outfile, environment));
  return {
    file: outfile,
    bytes: code.length,
    gzip: gzipSync(code).length,
    importMs: importMs.sort((a, b) => a - b),
    largest: [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 6),
    warnings: result.warnings.map((w) => w.text),
  };
}

async function importOnce(file: string, environment: Record<string, string>): Promise<number> {
  const script =
    'const t = performance.now(); const m = await import(process.argv[1]); if (typeof m.handler !== "function") throw new Error("no handler export"); console.log(performance.now() - t);';
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', script, file],
      { env: { ...process.env, ...environment } },
    );
    return Number(stdout.trim());
  } catch (error) {
    // The minified source line in a trace is megabytes long: keep the error's end.
    const stderr = String((error as { stderr?: string }).stderr ?? error);
    throw new Error(`Importing ${file} failed: ${stderr.slice(-600)}`);
  }
}

/**
 * A fresh Node that imports the bundle and hands its handler one request: milliseconds from
 * the process's start to the module loaded and to the answer, and the answer.
 */
export async function firstAnswer(
  file: string,
  environment: Record<string, string>,
  event: unknown,
): Promise<{ loadedMs: number; answeredMs: number; statusCode: number; body: string }> {
  const script = `const m = await import(process.argv[1]); const loadedMs = performance.now();
const r = await m.handler(JSON.parse(process.env.BENCH_EVENT), {});
console.log(JSON.stringify({ loadedMs, answeredMs: performance.now(), statusCode: r.statusCode, body: r.body ?? '' }));
process.exit(0);`;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--input-type=module', '-e', script, file],
    { env: { ...process.env, ...environment, BENCH_EVENT: JSON.stringify(event) } },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
}

/** Both bundles, written to `dir` (the caller removes it), with their import figures. */
export async function measureIngressBundles(
  dir: string,
  environment: Record<string, string>,
): Promise<{ lifeboat: BundleFigures; bare: BundleFigures }> {
  return {
    lifeboat: await bundle(
      join(dir, 'ingress.mjs'),
      { file: join(ROOT, 'bot', 'lambda.ts') },
      environment,
    ),
    bare: await bundle(join(dir, 'bare.mjs'), { source: BARE_BOLT_LAMBDA }, environment),
  };
}

/** `6612 KB (gzip 2001 KB), import p50 3255 ms (7 fresh processes)` */
export function describeBundle(b: BundleFigures): string {
  return `${(b.bytes / 1024).toFixed(0)} KB (gzip ${(b.gzip / 1024).toFixed(0)} KB), import p50 ${percentile(b.importMs, 50).toFixed(0)} ms (min ${b.importMs[0]?.toFixed(0)}, max ${b.importMs.at(-1)?.toFixed(0)}, ${b.importMs.length} fresh processes)`;
}
