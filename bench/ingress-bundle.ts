/**
 * The ingress Lambda as it deploys: `bot/lambda.ts` bundled by `bundleLambda`, as
 * `LifeboatFunction` bundles it at synth (split at each dynamic import, the plans inside as
 * data), and a bare Bolt AwsLambdaReceiver app bundled the same way; what a cold start reads of
 * each and what takes the room (esbuild's metafile), how long a fresh Node takes to import each
 * (the module part of a cold start, p50 of several), and the time from a fresh process's start
 * to the acknowledgement of its first signed request.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import {
  BUNDLE_ENTRY_FILE,
  bundleLambda,
  startupOutputs,
} from '../infra/constructs/lifeboat-function.ts';
import { percentile } from './planning.ts';

export interface BundleFigures {
  file: string;
  /** What a cold start reads: the entry and the chunks it imports statically (no source maps). */
  bytes: number;
  gzip: number;
  /** Every file of the bundle but the source maps: the entry and every chunk, lazy ones too. */
  totalBytes: number;
  /** Milliseconds to import the bundle in a fresh Node process: each sample, sorted. */
  importMs: number[];
  /** The packages that take most of what a cold start reads (`lifeboat` is the repository's). */
  largest: [string, number][];
  warnings: string[];
}

const BARE_BOLT_LAMBDA = `import { App, AwsLambdaReceiver } from '@slack/bolt';
const receiver = new AwsLambdaReceiver({ signingSecret: process.env.SLACK_SIGNING_SECRET ?? 'bench' });
const app = new App({ receiver, token: 'xoxb', botId: 'B', botUserId: 'U', tokenVerificationEnabled: false });
app.command('/dr', async ({ ack }) => ack());
export const handler = receiver.toHandler();`;

/**
 * Bare Bolt with the libraries the ingress must call to answer: the DynamoDB document client,
 * Step Functions, SQS, Powertools' secrets and logger, zod. Its listener only acks (the calls sit
 * in a branch never taken, so the bundler keeps them): the floor Lifeboat's own code adds to.
 */
const BOLT_WITH_CLIENTS_LAMBDA = `import { App, AwsLambdaReceiver } from '@slack/bolt';
import { Logger } from '@aws-lambda-powertools/logger';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod';
const Command = z.object({ text: z.string(), user_id: z.string() });
const logger = new Logger({ serviceName: 'bench' });
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const sfn = new SFNClient({});
const sqs = new SQSClient({});
const receiver = new AwsLambdaReceiver({ signingSecret: process.env.SLACK_SIGNING_SECRET ?? 'bench' });
const app = new App({ receiver, token: 'xoxb', botId: 'B', botUserId: 'U', tokenVerificationEnabled: false });
app.command('/dr', async ({ ack, command }) => {
  if (process.env.BENCH_NEVER) {
    logger.info(String(await getSecret('never')));
    await documents.send(new PutCommand({ TableName: 'never', Item: Command.parse(command) }));
    await sfn.send(new StartExecutionCommand({ stateMachineArn: 'never' }));
    await sqs.send(new SendMessageCommand({ QueueUrl: 'never', MessageBody: 'never' }));
  }
  await ack();
});
export const handler = receiver.toHandler();`;

const IMPORT_SAMPLES = 7;

async function bundle(
  dir: string,
  entry: string | { source: string },
  environment: Record<string, string>,
): Promise<BundleFigures> {
  const { metafile, warnings } = bundleLambda(entry, dir);
  const outputs = Object.keys(metafile.outputs).filter((name) => !name.endsWith('.map'));
  const startup = startupOutputs(metafile);
  const code = Buffer.concat(await Promise.all(startup.map((name) => readFile(name))));
  const byPackage = new Map<string, number>();
  for (const output of startup)
    for (const [input, { bytesInOutput }] of Object.entries(
      metafile.outputs[output]?.inputs ?? {},
    )) {
      const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? 'lifeboat';
      byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
    }
  const file = join(dir, BUNDLE_ENTRY_FILE);
  const importMs: number[] = [];
  for (let i = 0; i < IMPORT_SAMPLES; i++) importMs.push(await importOnce(file, environment));
  return {
    file,
    bytes: code.length,
    gzip: gzipSync(code).length,
    totalBytes: outputs.reduce((sum, name) => sum + (metafile.outputs[name]?.bytes ?? 0), 0),
    importMs: importMs.sort((a, b) => a - b),
    largest: [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 6),
    warnings,
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

/** The three bundles, written to `dir` (the caller removes it), with their import figures. */
export async function measureIngressBundles(
  dir: string,
  environment: Record<string, string>,
): Promise<{ lifeboat: BundleFigures; bare: BundleFigures; withClients: BundleFigures }> {
  return {
    lifeboat: await bundle(join(dir, 'ingress'), 'bot/lambda.ts', environment),
    bare: await bundle(join(dir, 'bare'), { source: BARE_BOLT_LAMBDA }, environment),
    withClients: await bundle(
      join(dir, 'with-clients'),
      { source: BOLT_WITH_CLIENTS_LAMBDA },
      environment,
    ),
  };
}

/** `2790 KB at start (gzip 870 KB; 3790 KB in all), import p50 480 ms (min 450, max 520, 7 fresh processes)` */
export function describeBundle(b: BundleFigures): string {
  return `${(b.bytes / 1024).toFixed(0)} KB at start (gzip ${(b.gzip / 1024).toFixed(0)} KB; ${(b.totalBytes / 1024).toFixed(0)} KB in all), import p50 ${percentile(b.importMs, 50).toFixed(0)} ms (min ${b.importMs[0]?.toFixed(0)}, max ${b.importMs.at(-1)?.toFixed(0)}, ${b.importMs.length} fresh processes)`;
}
