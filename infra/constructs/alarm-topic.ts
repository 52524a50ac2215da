import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { z } from 'zod';
import { InvalidPropsError } from '../errors.ts';

export interface AlarmTopicProps {
  /**
   * Addresses subscribed to the topic (each confirms by mail once).
   * @default none: subscribe a pager or chat integration to the topic yourself
   */
  emails?: readonly string[];
}

/**
 * Where the region's alarms go: an SNS topic encrypted with its own rotating KMS key (the
 * AWS-managed SNS key cannot let CloudWatch publish), TLS only.
 */
export class AlarmTopic extends Construct {
  readonly topic: Topic;
  readonly key: Key;

  constructor(scope: Construct, id: string, props: AlarmTopicProps = {}) {
    super(scope, id);
    for (const email of props.emails ?? []) {
      if (!z.email().safeParse(email).success)
        throw new InvalidPropsError('AlarmTopic', `"${email}" is not an email address.`);
    }
    this.key = new Key(this, 'Key', {
      description: 'Lifeboat: encrypts the alarm topic',
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    this.topic = new Topic(this, 'Topic', {
      displayName: 'Lifeboat alarms',
      masterKey: this.key,
      enforceSSL: true,
    });
    for (const email of props.emails ?? [])
      this.topic.addSubscription(new EmailSubscription(email));
  }

  /** Sends the alarm's transitions to ALARM (and back to OK) to the topic. */
  notify(alarm: Alarm): void {
    const action = new SnsAction(this.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
  }
}
