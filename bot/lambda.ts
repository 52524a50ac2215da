import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type {
  AwsEvent,
  AwsHandler,
  AwsResponse,
} from '@slack/bolt/dist/receivers/AwsLambdaReceiver.js';
import { SfnExecutionStarter } from '../orchestrator/adapters/sfn-executions.ts';
import { runControl } from '../orchestrator/handlers/wiring.ts';
import { createGroupResolver } from './access.ts';
import { IngressEnvSchema } from './env.ts';
import { createIngressHandler } from './ingress.ts';
import { answerReadiness, postToResponseUrl } from './notifier/readiness-reply.ts';
import { loadSlackSecrets } from './slack-secrets.ts';

let ingress: Promise<AwsHandler> | undefined;

/** The ingress Lambda (behind the bot's HTTPS endpoint): Slack's slash commands and clicks. */
export async function handler(event: AwsEvent, context: unknown): Promise<AwsResponse> {
  ingress ??= buildIngress().catch((error: unknown) => {
    ingress = undefined; // a failed cold start is tried again by the next request
    throw error;
  });
  return (await ingress)(event, context);
}

/** Built once per cold start: environment, secrets, clients. */
async function buildIngress(): Promise<AwsHandler> {
  const env = IngressEnvSchema.parse(process.env);
  const secrets = await loadSlackSecrets(env);
  const runs = await runControl({
    executions: new SfnExecutionStarter(env.STATE_MACHINE_ARN_PATTERN),
  });
  const sqs = env.NOTIFY_QUEUE_URL
    ? new SQSClient({ region: env.AWS_REGION, maxAttempts: 2 })
    : undefined;
  return createIngressHandler({
    signingSecret: secrets.signingSecret,
    botToken: secrets.botToken,
    teamId: env.SLACK_TEAM_ID,
    ...(env.SLACK_BOT_ID ? { botId: env.SLACK_BOT_ID } : {}),
    ...(env.SLACK_BOT_USER_ID ? { botUserId: env.SLACK_BOT_USER_ID } : {}),
    ...(env.SLACK_API_URL ? { slackApiUrl: env.SLACK_API_URL } : {}),
    deps: {
      runs,
      admins: env.LIFEBOAT_ADMINS,
      groupsOf: createGroupResolver(),
      now: Date.now,
      defer: async (job) => {
        if (!sqs || !env.NOTIFY_QUEUE_URL) return answerReadiness(runs, job, postToResponseUrl);
        await sqs.send(
          new SendMessageCommand({
            QueueUrl: env.NOTIFY_QUEUE_URL,
            MessageBody: JSON.stringify(job),
            MessageGroupId: `readiness-${job.customerId}`,
            MessageDeduplicationId: `${job.customerId}:${job.userId}:${Date.now()}`,
          }),
        );
      },
    },
  });
}
