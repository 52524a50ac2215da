import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../infra/functions/health.ts';
import { DynamoDbStateStore } from '../../../orchestrator/adapters/dynamodb-state-store.ts';

let server: Server;

beforeAll(async () => {
  server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', endpoint);
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('STATE_TABLE', 'lifeboat-state');
  // The table as the state store creates it locally: the keys the deployed table has too.
  await new DynamoDbStateStore(
    new DynamoDBClient({ region: 'us-east-1', endpoint }),
    'lifeboat-state',
  ).ensureTable();
});

afterAll(() => {
  vi.unstubAllEnvs();
  server.close();
});

describe('the bot endpoint health check', () => {
  it("answers 200 while this region's state replica answers", async () => {
    // Act
    const response = await handler({});
    // Assess
    expect(response).toMatchObject({ statusCode: 200, body: 'ok' });
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('answers 503 when the replica does not, so Route 53 fails the name over', async () => {
    // Prepare
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((line) => {
      written.push(String(line));
      return true;
    });
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    // Act
    const response = await handler({});
    // Assess
    expect(response).toMatchObject({ statusCode: 503, body: 'state table unavailable' });
    const logged = written.map((line) => JSON.parse(line));
    expect(logged).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        service: 'lifeboat-health',
        message: expect.stringMatching(/state table did not answer/),
        table: 'lifeboat-state',
        error: expect.objectContaining({ name: expect.any(String) }),
      }),
    ]);
  });
});
