import {
  ConflictException,
  EndpointTemporarilyUnavailableException,
  GetRoutingControlStateCommand,
  ListRoutingControlsCommand,
  paginateListRoutingControls,
  ResourceNotFoundException,
  Route53RecoveryClusterClient,
  type RoutingControl,
  type RoutingControlState,
  ServiceLimitExceededException,
  ThrottlingException,
  UpdateRoutingControlStateCommand,
  UpdateRoutingControlStatesCommand,
  ValidationException,
} from '@aws-sdk/client-route53-recovery-cluster';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { afterEach, describe, expect, it } from 'vitest';
import type { Plan } from '../../../orchestrator/domain/plan.ts';
import {
  ARC_ENDPOINT_REGIONS,
  ClusterEndpointsSchema,
} from '../../../orchestrator/domain/routing.ts';
import type { LocalAws } from '../../../sandbox/aws/local-aws.ts';
import type { StateChange } from '../../../sandbox/aws/services/arc-state.ts';
import { assumeCustomer, clientConfig, samplePlans, startSampleAws } from './harness.ts';

let aws: LocalAws;
afterEach(() => aws?.stop());

async function world(options: Parameters<typeof startSampleAws>[0] = {}) {
  aws = await startSampleAws(options);
  const bcbsaz = (await samplePlans()).find((p) => p.customer.id === 'bcbsaz') as Plan;
  const credentials = await assumeCustomer(aws, bcbsaz);
  /** A client of one regional endpoint, as Lifeboat builds one from `LIFEBOAT_ARC_ENDPOINTS`. */
  const arc = (region = 'us-west-2', creds?: AwsCredentialIdentity, maxAttempts = 2) => {
    const url = aws.arcEndpoints().find((e) => e.region === region)?.url ?? aws.endpoints.drs;
    return new Route53RecoveryClusterClient({
      ...clientConfig(aws, region, creds),
      endpoint: url,
      maxAttempts,
    });
  };
  const state = aws.arc.state;
  const arnOf = (customerId: string, region: string) => state.controlArn(customerId, region) ?? '';
  return { arc, credentials, state, arnOf };
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('the call succeeded');
    },
    (error: unknown) => error as Error,
  );
}

describe('ARC cluster endpoints', () => {
  it('names the five endpoint regions in LIFEBOAT_ARC_ENDPOINTS, all on the local server', async () => {
    await world();
    const endpoints = ClusterEndpointsSchema.parse(
      JSON.parse(aws.environment().LIFEBOAT_ARC_ENDPOINTS ?? ''),
    );
    expect(endpoints.map((e) => e.region)).toEqual([...ARC_ENDPOINT_REGIONS]);
    expect(new Set(endpoints.map((e) => e.url))).toEqual(new Set([aws.endpoints.drs]));
  });

  it('drops calls to the us-east-1 and eu-west-1 endpoints when those regions are down; the other three answer', async () => {
    // Prepare
    const { arc, arnOf } = await world({
      faults: ['region-down:us-east-1', 'region-down:eu-west-1'],
    });
    const primary = arnOf('bcbsaz', 'us-east-1');
    // Act
    const results = await Promise.all(
      ARC_ENDPOINT_REGIONS.map((region) =>
        arc(region, undefined, 1)
          .send(new GetRoutingControlStateCommand({ RoutingControlArn: primary }))
          .then(
            (answer) => ({ region, state: answer.RoutingControlState }),
            (error: { code?: string; $metadata?: { httpStatusCode?: number } }) => ({
              region,
              status: error.$metadata?.httpStatusCode,
              code: error.code,
            }),
          ),
      ),
    );
    // Assess
    expect(results).toEqual([
      { region: 'us-east-1', status: undefined, code: 'ECONNRESET' },
      { region: 'us-west-2', state: 'On' },
      { region: 'eu-west-1', status: undefined, code: 'ECONNRESET' },
      { region: 'ap-southeast-2', state: 'On' },
      { region: 'ap-northeast-1', state: 'On' },
    ]);
  });

  it('has no endpoint in a region outside the five', async () => {
    const { arc, arnOf, state } = await world();
    const error = await failure(
      arc('us-east-2', undefined, 1).send(
        new UpdateRoutingControlStateCommand({
          RoutingControlArn: arnOf('bcbsaz', 'us-east-2'),
          RoutingControlState: 'On',
        }),
      ),
    );
    expect(error).toBeInstanceOf(EndpointTemporarilyUnavailableException);
    expect(error.message).toContain('no endpoint in us-east-2');
    expect(state.stateOf(arnOf('bcbsaz', 'us-east-2'))).toBe('Off');
  });

  it('answers ThrottlingException under a throttle fault', async () => {
    const { arc, arnOf } = await world({ faults: ['throttle:1:route53-recovery-cluster'] });
    const error = await failure(
      arc('us-west-2', undefined, 1).send(
        new GetRoutingControlStateCommand({ RoutingControlArn: arnOf('bcbsaz', 'us-east-1') }),
      ),
    );
    expect(error).toBeInstanceOf(ThrottlingException);
  });
});

describe('ARC routing controls, read', () => {
  it('lists the seeded controls of the sample plans with their panels, states and owner', async () => {
    const { arc, state } = await world();
    const { RoutingControls = [], NextToken } = await arc().send(
      new ListRoutingControlsCommand({}),
    );
    expect(NextToken).toBeUndefined();
    expect(RoutingControls.map((c) => c.RoutingControlArn)).toEqual(state.list().map((c) => c.arn));
    expect(
      RoutingControls.map((c) => [
        c.RoutingControlName,
        c.RoutingControlState,
        c.ControlPanelName,
      ]).sort(),
    ).toEqual([
      ['bcbsaz-us-east-1', 'On', 'lifeboat-us-east-1-us-east-2'],
      ['bcbsaz-us-east-2', 'Off', 'lifeboat-us-east-1-us-east-2'],
      ['dmnt-us-west-1', 'Off', 'lifeboat-us-west-2-us-west-1'],
      ['dmnt-us-west-2', 'On', 'lifeboat-us-west-2-us-west-1'],
      ['nwhealth-us-east-1', 'On', 'lifeboat-us-east-1-us-east-2'],
      ['nwhealth-us-east-2', 'Off', 'lifeboat-us-east-1-us-east-2'],
    ]);
    expect(new Set(RoutingControls.map((c) => c.Owner))).toEqual(new Set(['000000000000']));
  });

  it('pages through a control panel two at a time', async () => {
    // Prepare
    const { arc, state, credentials } = await world();
    const panel = state.listPanels().find((p) => p.name === 'lifeboat-us-east-1-us-east-2');
    // Act: from the customer's account, as the shared cluster is called
    const pages: RoutingControl[][] = [];
    for await (const page of paginateListRoutingControls(
      { client: arc('ap-northeast-1', credentials), pageSize: 2 },
      { ControlPanelArn: panel?.arn },
    ))
      pages.push(page.RoutingControls ?? []);
    // Assess
    expect(pages.map((p) => p.length)).toEqual([2, 2]);
    expect(
      pages
        .flat()
        .map((c) => c.RoutingControlName)
        .sort(),
    ).toEqual(['bcbsaz-us-east-1', 'bcbsaz-us-east-2', 'nwhealth-us-east-1', 'nwhealth-us-east-2']);
  });

  it('refuses MaxResults over 1000 and an unknown control, as ARC does', async () => {
    const { arc, arnOf } = await world();
    const tooMany = await failure(arc().send(new ListRoutingControlsCommand({ MaxResults: 1001 })));
    const unknown = await failure(
      arc().send(
        new GetRoutingControlStateCommand({
          RoutingControlArn: `${arnOf('bcbsaz', 'us-east-1')}0`,
        }),
      ),
    );
    expect(tooMany).toBeInstanceOf(ValidationException);
    expect((tooMany as ValidationException).fields?.map((f) => f.name)).toEqual(['MaxResults']);
    expect(unknown).toBeInstanceOf(ResourceNotFoundException);
    expect(unknown).toMatchObject({ resourceType: 'RoutingControl' });
  });
});

describe('ARC routing controls, updated', () => {
  it('flips primary Off and recovery On in one call: both applied, recorded with the endpoint, listeners told once', async () => {
    // Prepare
    const { arc, arnOf, state, credentials } = await world();
    const told: StateChange[][] = [];
    state.onChange((changes) => told.push(changes));
    // Act
    await arc('ap-southeast-2', credentials).send(
      new UpdateRoutingControlStatesCommand({
        UpdateRoutingControlStateEntries: [
          { RoutingControlArn: arnOf('bcbsaz', 'us-east-1'), RoutingControlState: 'Off' },
          { RoutingControlArn: arnOf('bcbsaz', 'us-east-2'), RoutingControlState: 'On' },
        ],
      }),
    );
    const after = await arc().send(
      new GetRoutingControlStateCommand({ RoutingControlArn: arnOf('bcbsaz', 'us-east-2') }),
    );
    // Assess
    expect(after).toMatchObject({
      RoutingControlState: 'On',
      RoutingControlName: 'bcbsaz-us-east-2',
    });
    expect(told).toHaveLength(1);
    expect(aws.estate.truth.filter((e) => e.type === 'routing-control')).toMatchObject([
      { name: 'bcbsaz-us-east-1', state: 'Off', endpointRegion: 'ap-southeast-2' },
      { name: 'bcbsaz-us-east-2', state: 'On', endpointRegion: 'ap-southeast-2' },
    ]);
  });

  it('refuses primary Off alone with ConflictException naming the rule, changing nothing; the override lets it through', async () => {
    // Prepare
    const { arc, arnOf, state } = await world();
    const primary = arnOf('bcbsaz', 'us-east-1');
    const rule = state.ruleNamed('bcbsaz-one-side-on')?.arn;
    // Act
    const refused = await failure(
      arc().send(
        new UpdateRoutingControlStateCommand({
          RoutingControlArn: primary,
          RoutingControlState: 'Off',
        }),
      ),
    );
    const before = state.stateOf(primary);
    await arc().send(
      new UpdateRoutingControlStateCommand({
        RoutingControlArn: primary,
        RoutingControlState: 'Off',
        SafetyRulesToOverride: rule ? [rule] : [],
      }),
    );
    // Assess
    expect(refused).toBeInstanceOf(ConflictException);
    expect(refused.message).toBe(
      'Setting bcbsaz-us-east-1 Off would leave bcbsaz with no side On: safety rule bcbsaz-one-side-on requires at least 1 of [bcbsaz-us-east-1, bcbsaz-us-east-2] On',
    );
    expect(refused).toMatchObject({ resourceId: rule, resourceType: 'SafetyRule' });
    expect((refused as ConflictException).$metadata.httpStatusCode).toBe(409);
    expect(before).toBe('On');
    expect(state.stateOf(primary)).toBe('Off');
  });

  it('holds a gated target until its gate is turned On', async () => {
    // Prepare
    const { arc, arnOf, state } = await world();
    const recovery = arnOf('nwhealth', 'us-east-2');
    const panelArn = state.control(recovery)?.panelArn ?? '';
    const gate = state.addControl(panelArn, 'nwhealth-failover-allowed');
    state.addGatingRule({
      panelArn,
      name: 'nwhealth-failover-gate',
      gating: [gate.arn],
      targets: [recovery],
      config: { Type: 'ATLEAST', Threshold: 1, Inverted: false },
    });
    const turnOn = (arn: string) =>
      arc().send(
        new UpdateRoutingControlStateCommand({ RoutingControlArn: arn, RoutingControlState: 'On' }),
      );
    // Act
    const held = await failure(turnOn(recovery));
    await turnOn(gate.arn);
    await turnOn(recovery);
    // Assess
    expect(held).toBeInstanceOf(ConflictException);
    expect(held.message).toContain('nwhealth-failover-gate');
    expect(state.stateOf(recovery)).toBe('On');
  });

  it('refuses 11 entries with ServiceLimitExceededException and applies none', async () => {
    const { arc, arnOf, state } = await world();
    const recovery = arnOf('bcbsaz', 'us-east-2');
    const entries = Array.from({ length: 11 }, () => ({
      RoutingControlArn: recovery,
      RoutingControlState: 'On' as const,
    }));
    const error = await failure(
      arc().send(
        new UpdateRoutingControlStatesCommand({ UpdateRoutingControlStateEntries: entries }),
      ),
    );
    expect(error).toBeInstanceOf(ServiceLimitExceededException);
    expect(error.message).toContain('at most 10');
    expect(state.stateOf(recovery)).toBe('Off');
  });

  it('refuses an unknown control in a batch and applies none of it', async () => {
    const { arc, arnOf, state } = await world();
    const recovery = arnOf('bcbsaz', 'us-east-2');
    const error = await failure(
      arc().send(
        new UpdateRoutingControlStatesCommand({
          UpdateRoutingControlStateEntries: [
            { RoutingControlArn: recovery, RoutingControlState: 'On' },
            { RoutingControlArn: `${recovery}ff`, RoutingControlState: 'On' },
          ],
        }),
      ),
    );
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect(error).toMatchObject({ resourceId: `${recovery}ff` });
    expect(state.stateOf(recovery)).toBe('Off');
  });

  it('refuses a state other than On or Off with ValidationException naming the field', async () => {
    const { arc, arnOf } = await world();
    const error = await failure(
      arc().send(
        new UpdateRoutingControlStateCommand({
          RoutingControlArn: arnOf('bcbsaz', 'us-east-2'),
          RoutingControlState: 'ON' as RoutingControlState,
        }),
      ),
    );
    expect(error).toBeInstanceOf(ValidationException);
    expect(error).toMatchObject({
      reason: 'fieldValidationFailed',
      fields: [{ name: 'RoutingControlState' }],
    });
    expect(error.message).toContain("Value 'ON' at 'RoutingControlState'");
  });
});
