import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import * as z from 'zod';

/**
 * The bot endpoint's health check (`GET /health`), probed by Route 53 every 30 seconds from
 * around the world: it answers 200 only when this region's API, Lambda and replica of the state
 * table work, so the failover record moves Slack to the other region when any of them does not.
 */
export const HealthEnvSchema = z.object({
  STATE_TABLE: z.string().min(1),
  AWS_REGION: z.string().default('us-east-1'),
});

interface HealthResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

let client: DynamoDBClient | undefined;
/** Its level from Lambda's logging config or POWERTOOLS_LOG_LEVEL; only failures are logged. */
const logger = new Logger({ serviceName: 'lifeboat-health' });

export async function handler(_event: unknown, context?: Context): Promise<HealthResponse> {
  if (context?.awsRequestId) logger.addContext(context);
  const env = HealthEnvSchema.parse(process.env);
  // One quick try: a slow replica is an unhealthy one, and Route 53 asks again in 30 seconds.
  client ??= new DynamoDBClient({
    region: env.AWS_REGION,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 },
  });
  try {
    await client.send(
      new GetItemCommand({
        TableName: env.STATE_TABLE,
        Key: { pk: { S: 'HEALTH' }, sk: { S: 'HEALTH' } },
      }),
    );
    return respond(200, 'ok');
  } catch (error) {
    logger.error('the state table did not answer: this region reports itself unhealthy', {
      table: env.STATE_TABLE,
      error: error as Error,
    });
    return respond(503, 'state table unavailable');
  }
}

function respond(statusCode: number, body: string): HealthResponse {
  return {
    statusCode,
    headers: { 'content-type': 'text/plain', 'cache-control': 'no-store' },
    body,
  };
}
