import { AwsLambdaReceiver } from '@slack/bolt';
import type { AwsHandler } from '@slack/bolt/dist/receivers/AwsLambdaReceiver.js';
import { createLifeboatApp, type LifeboatAppOptions } from './app.ts';

/**
 * The ingress as a Lambda handler: Bolt's AwsLambdaReceiver verifies each request's signature
 * and age (401 before any listener runs) and answers with what the listener acknowledged.
 */
export function createIngressHandler(
  options: Omit<LifeboatAppOptions, 'receiver'> & { signingSecret: string },
): AwsHandler {
  const { signingSecret, ...app } = options;
  const receiver = new AwsLambdaReceiver({ signingSecret });
  createLifeboatApp({ ...app, receiver });
  return receiver.toHandler();
}
