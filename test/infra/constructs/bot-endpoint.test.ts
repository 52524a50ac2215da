import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { HostedZone } from 'aws-cdk-lib/aws-route53';
import { describe, expect, it } from 'vitest';
import {
  BotEndpoint,
  type BotEndpointProps,
  HEALTH_ROUTE_KEY,
} from '../../../infra/constructs/bot-endpoint.ts';
import { InvalidPropsError } from '../../../infra/errors.ts';

/** A bot endpoint in a fresh us-east-1 stack, bundling skipped, and its template. */
function endpoint(props: Partial<BotEndpointProps> = {}) {
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
    ...props,
  });
  return { stack, bot, template: Template.fromStack(stack) };
}

const one = (template: Template, type: string, props?: Record<string, unknown>) => {
  const found = Object.values(template.findResources(type, props ? { Properties: props } : {}));
  expect(found).toHaveLength(1);
  return found[0] as { Properties: Record<string, unknown> };
};

describe('the bot endpoint under a flood', () => {
  it("gives the health route its own throttle, apart from Slack's and the report links'", () => {
    // Act
    const { template } = endpoint({
      throttle: { rate: 40, burst: 80 },
      healthThrottle: { rate: 5, burst: 10 },
    });

    // Assess: the HTTP API keeps health and report links; its default is for the links
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      DefaultRouteSettings: { ThrottlingRateLimit: 40, ThrottlingBurstLimit: 80 },
      RouteSettings: {
        [HEALTH_ROUTE_KEY]: { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 },
      },
    });
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
      (r) => r.Properties.RouteKey,
    );
    expect(routes.sort()).toEqual([HEALTH_ROUTE_KEY, 'GET /reports/{proxy+}']);
    // Slack's route is a REST stage of its own, with its own throttle
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'live',
      MethodSettings: Match.arrayWith([
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: 40,
          ThrottlingBurstLimit: 80,
          LoggingLevel: 'ERROR',
        }),
      ]),
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
  });

  it('defaults the health throttle to 10 a second, burst 20, and Slack to 50, burst 100', () => {
    // Act
    const { template } = endpoint();

    // Assess
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      RouteSettings: {
        [HEALTH_ROUTE_KEY]: { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
      },
    });
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([
        Match.objectLike({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 }),
      ]),
    });
  });

  it("puts Slack's route, POST /slack/events, on the bot's name behind a firewall, and nowhere else", () => {
    // Act
    const { stack, bot, template } = endpoint();

    // Assess: POST on /events of the REST API, mapped at `slack` (API Gateway strips the key)
    const events = one(template, 'AWS::ApiGateway::Resource', { PathPart: 'events' });
    expect(events.Properties.ParentId).toEqual({
      'Fn::GetAtt': [stack.getLogicalId(bot.slackApi.node.defaultChild as never), 'RootResourceId'],
    });
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method'));
    expect(methods.map((m) => m.Properties.HttpMethod)).toEqual(['POST']);
    template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      DisableExecuteApiEndpoint: true,
      EndpointConfiguration: { Types: ['REGIONAL'] },
    });
    expect(JSON.stringify(template.toJSON().Outputs ?? {})).not.toContain('execute-api');
    template.hasResourceProperties('AWS::ApiGatewayV2::ApiMapping', {
      ApiMappingKey: 'slack',
      ApiId: { Ref: stack.getLogicalId(bot.slackApi.node.defaultChild as never) },
    });
    // The HTTP API's mapping has no key: it takes every other path (health, report links)
    const mappings = Object.values(template.findResources('AWS::ApiGatewayV2::ApiMapping'));
    expect(mappings.map((m) => m.Properties.ApiMappingKey ?? '')).toEqual(
      expect.arrayContaining(['', 'slack']),
    );
    expect(mappings).toHaveLength(2);
    // The firewall is on the REST stage
    const association = one(template, 'AWS::WAFv2::WebACLAssociation');
    expect(JSON.stringify(association.Properties.ResourceArn)).toContain('/stages/');
    expect(association.Properties.WebACLArn).toEqual({
      'Fn::GetAtt': [stack.getLogicalId(bot.firewall), 'Arn'],
    });
  });

  it('refuses, per client address, more than perClientLimit requests a minute, and unsigned requests', () => {
    // Act
    const { template } = endpoint({ perClientLimit: 120 });

    // Assess
    const acl = one(template, 'AWS::WAFv2::WebACL');
    expect(acl.Properties).toMatchObject({ Scope: 'REGIONAL', DefaultAction: { Allow: {} } });
    const rules = acl.Properties.Rules as {
      Name: string;
      Priority: number;
      Action: unknown;
      Statement: Record<string, unknown>;
    }[];
    expect(rules.map((r) => [r.Priority, r.Name, r.Action])).toEqual([
      [0, 'slack-signature-headers', { Block: {} }],
      [1, 'per-client-rate', { Block: {} }],
    ]);
    expect(rules[1]?.Statement).toEqual({
      RateBasedStatement: { Limit: 120, EvaluationWindowSec: 60, AggregateKeyType: 'IP' },
    });
    const unsigned = JSON.stringify(rules[0]?.Statement);
    expect(unsigned).toMatch(/^\{"NotStatement".*"AndStatement"/);
    // CloudFormation's key is Name (CDK passes an untyped SingleHeader as written)
    expect(unsigned).toContain('"SingleHeader":{"Name":"x-slack-signature"}');
    expect(unsigned).toContain('"SingleHeader":{"Name":"x-slack-request-timestamp"}');
  });

  it('defaults the per-client limit to 300 a minute', () => {
    // Act
    const { template } = endpoint();
    // Assess
    const acl = one(template, 'AWS::WAFv2::WebACL');
    expect(JSON.stringify(acl.Properties.Rules)).toContain('"Limit":300');
  });

  it('maps another events path by its first segment, the rest as REST resources', () => {
    // Act
    const { template } = endpoint({ eventsPath: '/chatops/slack/events' });

    // Assess
    template.hasResourceProperties('AWS::ApiGatewayV2::ApiMapping', { ApiMappingKey: 'chatops' });
    const parts = Object.values(template.findResources('AWS::ApiGateway::Resource')).map(
      (r) => r.Properties.PathPart,
    );
    expect(parts).toEqual(['slack', 'events']);
  });

  it.each<[string, Partial<BotEndpointProps>, RegExp]>([
    ['a health throttle below 1', { healthThrottle: { rate: 0, burst: 1 } }, /healthThrottle/],
    [
      'a health burst under its rate',
      { healthThrottle: { rate: 10, burst: 5 } },
      /healthThrottle \{"rate":10,"burst":5\}/,
    ],
    ['a per-client limit WAF refuses', { perClientLimit: 5 }, /perClientLimit 5/],
    ['a fractional per-client limit', { perClientLimit: 10.5 }, /perClientLimit 10.5/],
    ['an events path whose mapping would take /health', { eventsPath: '/he/events' }, /\/health/],
    ['an events path under a prefix of /reports', { eventsPath: '/report' }, /\/reports/],
  ])('refuses %s, naming the value', (_, props, message) => {
    // Act
    const build = () => endpoint(props);
    // Assess
    expect(build).toThrow(InvalidPropsError);
    expect(build).toThrow(message);
  });
});
