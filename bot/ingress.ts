import { AwsLambdaReceiver, type Logger } from '@slack/bolt';
import { createLifeboatApp, type LifeboatAppOptions } from './app.ts';

// Bolt's index exports the receiver but not its handler's types: they are read off the receiver.
/** The Lambda handler Bolt's AwsLambdaReceiver makes: API Gateway's event in, its response out. */
export type AwsHandler = ReturnType<AwsLambdaReceiver['toHandler']>;
export type AwsEvent = Parameters<AwsHandler>[0];
export type AwsResponse = Awaited<ReturnType<AwsHandler>>;

/**
 * The ingress as a Lambda handler: Bolt's AwsLambdaReceiver verifies each request's signature
 * and age (401 before any listener runs) and answers with what the listener acknowledged.
 */
export function createIngressHandler(
  options: Omit<LifeboatAppOptions, 'receiver'> & {
    signingSecret: string;
    /** Where the receiver reports refused and unanswered requests. @default Bolt's console logger */
    logger?: Logger;
  },
): AwsHandler {
  const { signingSecret, logger, ...app } = options;
  const receiver = new AwsLambdaReceiver({ signingSecret, ...(logger ? { logger } : {}) });
  createLifeboatApp({ ...app, receiver });
  return receiver.toHandler();
}
