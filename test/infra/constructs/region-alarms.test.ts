import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { HostedZone } from 'aws-cdk-lib/aws-route53';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { DefinitionBody, Pass, StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { describe, expect, it } from 'vitest';
import { AlarmTopic } from '../../../infra/constructs/alarm-topic.ts';
import { BotEndpoint } from '../../../infra/constructs/bot-endpoint.ts';
import { RegionAlarms } from '../../../infra/constructs/region-alarms.ts';

function alarms(withSlackRoute: boolean) {
  const app = new App({
    builtinCloudFormationValidation: false,
    context: { 'aws:cdk:bundling-stacks': [] },
  });
  const stack = new Stack(app, 'Test', { env: { account: '111122223333', region: 'us-east-1' } });
  const bot = new BotEndpoint(stack, 'Bot', {
    domainName: 'lifeboat.ops.example.com',
    hostedZone: HostedZone.fromHostedZoneAttributes(stack, 'Zone', {
      hostedZoneId: 'Z0123456789ABC',
      zoneName: 'ops.example.com',
    }),
    failover: 'primary',
    ingressEnvironment: {},
    healthEnvironment: {},
  });
  new RegionAlarms(stack, 'Alarms', {
    topic: new AlarmTopic(stack, 'Topic', { emails: [] }),
    stateMachine: new StateMachine(stack, 'Machine', {
      definitionBody: DefinitionBody.fromChainable(new Pass(stack, 'P')),
    }),
    deadLetterQueue: new Queue(stack, 'Dlq'),
    sweeper: bot.health.function,
    bot: {
      api: bot.api,
      ...(withSlackRoute ? { slackApi: bot.slackApi } : {}),
      ingress: bot.ingress.function,
    },
  });
  return { stack, bot, template: Template.fromStack(stack) };
}

describe('the bot server errors alarm', () => {
  it("counts Slack's route (its REST stage) with the HTTP API's health check and report links", () => {
    // Act
    const { template } = alarms(true);
    // Assess
    const [alarm] = Object.values(
      template.findResources('AWS::CloudWatch::Alarm', {
        Properties: { AlarmName: 'lifeboat-us-east-1-bot-server-errors' },
      }),
    );
    const metrics = alarm?.Properties.Metrics as {
      Id: string;
      Expression?: string;
      MetricStat?: { Metric: { MetricName: string; Namespace: string } };
    }[];
    expect(metrics.find((m) => m.Expression)?.Expression).toBe('http + slack');
    expect(
      metrics
        .filter((m) => m.MetricStat)
        .map((m) => [m.Id, m.MetricStat?.Metric.Namespace, m.MetricStat?.Metric.MetricName]),
    ).toEqual([
      ['http', 'AWS/ApiGateway', '5xx'],
      ['slack', 'AWS/ApiGateway', '5XXError'],
    ]);
    expect(alarm?.Properties.Threshold).toBe(3);
  });

  it('watches the HTTP API alone when there is no Slack route', () => {
    // Act
    const { template } = alarms(false);
    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'lifeboat-us-east-1-bot-server-errors',
      MetricName: '5xx',
    });
  });
});
