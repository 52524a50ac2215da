import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportLinkUrl } from '../../../bot/report-links.ts';
import {
  BUNDLE_ENTRY_FILE,
  bundleLambda,
  LifeboatFunction,
  startupOutputs,
} from '../../../infra/constructs/lifeboat-function.ts';

const LINK_KEY = 'the-bundle-test-report-link-key-0123456789';

/** The ingress's environment in a fresh Node: secrets from the environment, a report bucket. */
const INGRESS_ENV = {
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDBUNDLETEST',
  AWS_SECRET_ACCESS_KEY: 'bundle-test-secret',
  STATE_TABLE: 'lifeboat-state',
  PLANS_DIR: '/var/task/config/customers',
  SETTINGS_FILE: '/var/task/config/defaults.yaml',
  SLACK_TEAM_ID: 'T0LIFEBOAT',
  SLACK_SIGNING_SECRET: 'bundle-test-signing-secret',
  SLACK_BOT_TOKEN: 'xoxb-bundle-test',
  REPORT_LINK_KEY: LINK_KEY,
  REPORT_BUCKETS: 'us-east-2=lifeboat-reports-us-east-2',
  STATE_MACHINE_ARN_PATTERN: 'arn:aws:states:{region}:111122223333:stateMachine:lifeboat-runbook',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};

/** The repository's modules and the packages an output holds, by esbuild's input paths. */
function inputsOf(metafile: Metafile, outputs: readonly string[]): string[] {
  return outputs.flatMap((o) => Object.keys(metafile.outputs[o]?.inputs ?? {}));
}

/**
 * An entry bundled by `bundleLambda` into a directory of its own (removed after the file's
 * tests), in a `beforeAll`; `inputs()` then gives what its cold start reads and what it holds.
 */
function bundledFor(entry: string) {
  const dir = mkdtempSync(join(tmpdir(), 'lifeboat-bundle-'));
  let metafile: Metafile | undefined;
  // Act
  beforeAll(() => {
    ({ metafile } = bundleLambda(entry, dir));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    inputs: () => {
      if (!metafile) throw new Error(`${entry} was not bundled`);
      return {
        atStart: inputsOf(metafile, startupOutputs(metafile)),
        everything: inputsOf(metafile, Object.keys(metafile.outputs)),
      };
    },
  };
}

/** The adapters that reach the customers' AWS, by their modules' paths. */
const WORKLOAD_ADAPTERS =
  /orchestrator\/adapters\/(ec2|ssm|drs|route53|hooks|arc-routing|aws-services)-?/;

/** The ingress bundle as `cdk synth` builds it: split, so a cold start reads only what it runs. */
describe('the ingress bundle', () => {
  const { dir, inputs } = bundledFor('bot/lambda.ts');
  let atStart: string[];
  let everything: string[];
  beforeAll(() => ({ atStart, everything } = inputs()));

  it.each([
    ['the workload adapters', WORKLOAD_ADAPTERS],
    ['their SDK clients', /@aws-sdk\/client-(ec2|ssm|drs|route-53|lambda|cloudformation|sts)\//],
    ['the report renderers and writers', /orchestrator\/report\//],
    [
      'the YAML parser and the plan files reader',
      /node_modules\/yaml\/|adapters\/config-files\.ts/,
    ],
  ])('leaves out %s', (_what, path) => {
    // Assess
    expect(everything.filter((input) => path.test(input))).toEqual([]);
  });

  it.each([
    ["S3 (report links' presigner)", /@aws-sdk\/(client-s3|s3-request-presigner)\//],
    ["the SDK's credential providers other than the environment's", /nested-clients\//],
    ["zod's locales but English", /zod\/v4\/locales\/(?!en\.js)/],
    [
      "the steps' executors",
      /orchestrator\/steps\/(run-step|recover-wave|simple-steps|preflight)\.ts/,
    ],
    [
      "a run's measurement (its end, `/dr report`)",
      /orchestrator\/domain\/(build-report|measure-run)\.ts/,
    ],
    ['the incident coordinator', /orchestrator\/run\/incident-coordinator\.ts/],
  ])('does not read %s at start', (_what, path) => {
    // Assess
    expect(atStart.filter((input) => path.test(input))).toEqual([]);
  });

  it('loads in a fresh Node and answers a report link from the chunk it loads then', async () => {
    // Prepare
    const exp = Math.floor(Date.now() / 1000) + 600;
    const key = 'reports/bcbsaz/drill-bcbsaz-1/report.html';
    const url = new URL(
      reportLinkUrl('https://lifeboat.example.com', LINK_KEY, { region: 'us-east-2', key, exp }),
    );
    const event = {
      version: '2.0',
      routeKey: 'GET /reports/{proxy+}',
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      headers: { host: 'lifeboat.example.com' },
      isBase64Encoded: false,
      requestContext: { http: { method: 'GET', path: url.pathname } },
    };
    const script = `const { handler } = await import(process.argv[1]);
const r = await handler(JSON.parse(process.env.EVENT), {});
console.log(JSON.stringify({ statusCode: r.statusCode, location: r.headers?.location ?? r.headers?.Location }));`;

    // Act
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', script, join(dir, BUNDLE_ENTRY_FILE)],
      { env: { ...process.env, ...INGRESS_ENV, EVENT: JSON.stringify(event) } },
    );

    // Assess
    const answer = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
    expect(answer.statusCode).toBe(302);
    expect(answer.location).toMatch(
      /^https:\/\/lifeboat-reports-us-east-2\.s3\.us-east-2\.amazonaws\.com\/reports\/bcbsaz\/.*X-Amz-Signature=/,
    );
  }, 60_000);
});

/** The notifier's bundle: a run's messages need the table and Slack, not the customers' AWS. */
describe('the notifier bundle', () => {
  const { inputs } = bundledFor('bot/notifier-lambda.ts');
  let atStart: string[];
  let everything: string[];
  beforeAll(() => ({ atStart, everything } = inputs()));

  it.each([
    ['the workload adapters (readiness answers)', WORKLOAD_ADAPTERS],
    [
      'their SDK clients and S3',
      /@aws-sdk\/client-(ec2|ssm|drs|route-53|lambda|cloudformation|s3)\//,
    ],
    ["the steps' executors", /orchestrator\/steps\/(run-step|recover-wave|simple-steps)\.ts/],
  ])('does not read %s at start, and has them for the rare message', (_what, path) => {
    // Assess
    expect(atStart.filter((input) => path.test(input))).toEqual([]);
    expect(everything.filter((input) => path.test(input))).not.toEqual([]);
  });
});

/** What `cdk synth` deploys for a LifeboatFunction: the split bundle, its handler, the config. */
describe('LifeboatFunction bundled', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'lifeboat-function-synth-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('deploys index.mjs, its chunks and config/, with index.handler', () => {
    // Prepare
    const app = new App({ outdir, builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Bundled', {
      env: { account: '111122223333', region: 'us-east-1' },
    });

    // Act
    new LifeboatFunction(stack, 'Health', {
      entry: 'infra/functions/health.ts',
      description: 'health check',
      environment: {},
    });
    app.synth();

    // Assess
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
    });
    const assets = readdirSync(outdir).filter((name) => name.startsWith('asset.'));
    expect(assets).toHaveLength(1);
    const asset = join(outdir, assets[0] ?? '');
    expect(readdirSync(asset).sort()).toEqual(
      expect.arrayContaining(['config', BUNDLE_ENTRY_FILE, `${BUNDLE_ENTRY_FILE}.map`]),
    );
    expect(existsSync(join(asset, 'config', 'customers', 'bcbsaz.yaml'))).toBe(true);
    expect(existsSync(join(asset, 'config', 'defaults.yaml'))).toBe(true);
  }, 120_000);
});
