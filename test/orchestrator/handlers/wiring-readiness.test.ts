import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoDbStateStore } from '../../../orchestrator/adapters/dynamodb-state-store.ts';
import { HandlerEnvSchema } from '../../../orchestrator/handlers/env.ts';
import { wireOrchestrator } from '../../../orchestrator/handlers/wiring.ts';
import type { LocalAws } from '../../../sandbox/aws/local-aws.ts';
import { SAMPLE_PLANS, SAMPLE_SETTINGS } from '../../helpers.ts';
import { startSampleAws, TOOLING_CREDENTIALS } from '../../sandbox/aws/harness.ts';

const REGION = 'us-west-1';
const TABLE = 'wiring-readiness';

let aws: LocalAws;
beforeAll(async () => {
  aws = await startSampleAws({ dynamodb: true, iam: true });
  await new DynamoDbStateStore(
    new DynamoDBClient({
      region: REGION,
      endpoint: aws.endpoints.dynamodb,
      credentials: TOOLING_CREDENTIALS,
    }),
    TABLE,
  ).ensureTable();
});
afterAll(() => aws.stop());
afterEach(() => vi.unstubAllEnvs());

describe('readiness through the wiring', () => {
  it("reads the customer's account through the read-only role, and every check passes on what that role may read", async () => {
    // Prepare: the SDK pointed at the local AWS, which evaluates the role's calls
    const endpoints = aws.environment();
    const sdk = {
      ...endpoints,
      AWS_ACCESS_KEY_ID: TOOLING_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TOOLING_CREDENTIALS.secretAccessKey,
    };
    for (const [name, value] of Object.entries(sdk)) vi.stubEnv(name, value);
    const orchestrator = wireOrchestrator(
      HandlerEnvSchema.parse({
        AWS_REGION: REGION,
        STATE_TABLE: TABLE,
        PLANS_DIR: SAMPLE_PLANS,
        SETTINGS_FILE: SAMPLE_SETTINGS,
        LIFEBOAT_CLOCK_URL: `${aws.controlUrl}/clock`,
        POWERTOOLS_LOG_LEVEL: 'SILENT',
        LIFEBOAT_ARC_ENDPOINTS: endpoints.LIFEBOAT_ARC_ENDPOINTS,
      }),
    );
    // Act
    const results = await (await orchestrator.engine()).readiness('dmnt', 'drill');
    // Assess
    const assumed = aws.estate.truth.filter((e) => e.type === 'assume-role');
    expect(assumed.length).toBeGreaterThan(0);
    expect(new Set(assumed.map((e) => e.roleName))).toEqual(new Set(['LifeboatExecutionReadOnly']));
    expect(results.filter((r) => !r.ok && !r.advisory)).toEqual([]);
    expect(results.map((r) => r.check)).toContain('plan-tags');
    expect(aws.iam?.stats.asked).toBeGreaterThan(0);
    expect(aws.iam?.stats.denied).toBe(0);
  });
});
