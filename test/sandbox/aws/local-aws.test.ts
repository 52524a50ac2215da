import { DescribeTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../sandbox/aws/clock.ts';
import type { LocalAws } from '../../../sandbox/aws/local-aws.ts';
import { startSampleAws, TOOLING_CREDENTIALS } from './harness.ts';

let aws: LocalAws;
beforeAll(async () => {
  aws = await startSampleAws({ faults: ['stall:dmnt-ora-01'] });
});
afterAll(() => aws.stop());

const control = async (path: string, body?: unknown) => {
  const response = await fetch(
    `${aws.controlUrl}/${path}`,
    body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) },
  );
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe('the control endpoint', () => {
  it('switches faults at run time and refuses bad ones with the syntax', async () => {
    expect((await control('faults', { add: ['region-down:us-west-2'] })).body).toEqual({
      faults: ['stall:dmnt-ora-01', 'region-down:us-west-2'],
    });
    expect((await control('faults', { clear: true })).body).toEqual({ faults: [] });
    const bad = await control('faults', { add: ['stall:nobody'] });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('no plan has a server "nobody"');
  });

  it('moves the virtual clock and reports the ground truth', async () => {
    const before = Date.parse(String((await control('clock')).body.now));
    const after = Date.parse(String((await control('clock', { advanceMs: 3_600_000 })).body.now));
    expect(after - before).toBe(3_600_000);
    const truth = await control('truth?type=faults');
    expect((truth.body.events as unknown[]).length).toBeGreaterThanOrEqual(2);
  });

  it('answers an unknown resource with 404 and what exists', async () => {
    const { status, body } = await control('nope');
    expect(status).toBe(404);
    expect(body.message).toContain('faults, clock, truth, dns or health');
  });
});

describe('VirtualClock', () => {
  it('runs speed times faster than real time, and changes speed without a jump', () => {
    let real = 1_000;
    const clock = new VirtualClock({ start: 0, speed: 300, realNow: () => real });
    real += 1_000;
    expect(clock.now()).toBe(300_000);
    clock.setSpeed(1);
    expect(clock.now()).toBe(300_000);
    real += 1_000;
    expect(clock.now()).toBe(301_000);
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });
});

describe('the local DynamoDB', () => {
  it('names each operation it receives to a listener, until the listener is let go', async () => {
    // Prepare
    const local = await startSampleAws({ dynamodb: true });
    try {
      const client = new DynamoDBClient({
        region: 'us-east-1',
        endpoint: local.endpoints.dynamodb,
        credentials: TOOLING_CREDENTIALS,
      });
      const heard: string[] = [];
      const stop = local.onDynamoDbCall((operation) => heard.push(operation));
      // Act
      await client.send(new ListTablesCommand({}));
      await client.send(new DescribeTableCommand({ TableName: 'none' })).catch(() => undefined);
      stop();
      await client.send(new ListTablesCommand({}));
      // Assess
      expect(heard).toEqual(['ListTables', 'DescribeTable']);
    } finally {
      await local.stop();
    }
  });

  it('refuses a listener when there is no single local DynamoDB', () => {
    expect(() => aws.onDynamoDbCall(() => {})).toThrow(/no single local DynamoDB/);
  });
});
