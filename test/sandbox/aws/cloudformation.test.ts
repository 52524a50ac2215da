import {
  AlreadyExistsException,
  CloudFormationClient,
  CloudFormationServiceException,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStacksCommand,
  UpdateStackCommand,
} from '@aws-sdk/client-cloudformation';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Plan } from '../../../orchestrator/domain/plan.ts';
import type { Region } from '../../../orchestrator/domain/regions.ts';
import type { LocalAws } from '../../../sandbox/aws/local-aws.ts';
import { assumeCustomer, clientConfig, samplePlans, startSampleAws } from './harness.ts';

const SECOND = 1000;
const STACK = 'nwhealth-valkey-dr';
const TEMPLATE = 'https://lifeboat-templates-420000000303.s3.us-east-2.amazonaws.com/valkey.json';

let aws: LocalAws;
let nwhealth: Plan;
beforeEach(async () => {
  const plan = (await samplePlans()).find((p) => p.customer.id === 'nwhealth');
  if (!plan) throw new Error('no sample plan nwhealth');
  nwhealth = plan;
  aws = await startSampleAws();
});
afterEach(() => aws.stop());

async function connect(region: Region = 'us-east-2'): Promise<CloudFormationClient> {
  const credentials = await assumeCustomer(aws, nwhealth, region);
  return new CloudFormationClient(clientConfig(aws, region, credentials));
}

function create(cfn: CloudFormationClient, cacheName = 'nwhealth-valkey-dr') {
  return cfn.send(
    new CreateStackCommand({
      StackName: STACK,
      TemplateURL: TEMPLATE,
      Parameters: [{ ParameterKey: 'CacheName', ParameterValue: cacheName }],
    }),
  );
}

function update(cfn: CloudFormationClient, cacheName: string) {
  return cfn.send(
    new UpdateStackCommand({
      StackName: STACK,
      UsePreviousTemplate: true,
      Parameters: [{ ParameterKey: 'CacheName', ParameterValue: cacheName }],
    }),
  );
}

async function statusOf(cfn: CloudFormationClient, nameOrId = STACK): Promise<string | undefined> {
  const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: nameOrId }));
  return Stacks?.[0]?.StackStatus;
}

function truthOf(type: string) {
  return aws.estate.truth.filter((e) => e.type === type);
}

describe('CloudFormation stacks', () => {
  it('creates a stack: CREATE_IN_PROGRESS for 60 to 300 virtual seconds, then CREATE_COMPLETE', async () => {
    // Prepare
    const cfn = await connect();
    // Act
    const { StackId } = await create(cfn);
    const early = await statusOf(cfn);
    aws.clock.advance(59 * SECOND);
    const stillEarly = await statusOf(cfn);
    aws.clock.advance(241 * SECOND);
    const done = await cfn.send(new DescribeStacksCommand({ StackName: STACK }));
    // Assess
    expect(StackId).toMatch(
      new RegExp(`^arn:aws:cloudformation:us-east-2:${nwhealth.account.id}:stack/${STACK}/`),
    );
    expect([early, stillEarly]).toEqual(['CREATE_IN_PROGRESS', 'CREATE_IN_PROGRESS']);
    expect(done.Stacks?.[0]).toMatchObject({
      StackId,
      StackName: STACK,
      StackStatus: 'CREATE_COMPLETE',
      Parameters: [{ ParameterKey: 'CacheName', ParameterValue: 'nwhealth-valkey-dr' }],
    });
    const [deploy] = truthOf('stack-deploy');
    expect(deploy).toMatchObject({ stackName: STACK, region: 'us-east-2', action: 'create' });
    const took = Date.parse(String(deploy?.completeAt)) - Date.parse(String(deploy?.at));
    expect(took).toBeGreaterThanOrEqual(60 * SECOND);
    expect(took).toBeLessThanOrEqual(300 * SECOND);
  });

  it('refuses a second stack of the same name, and keeps stacks apart by region', async () => {
    const cfn = await connect();
    await create(cfn);
    await expect(create(cfn)).rejects.toBeInstanceOf(AlreadyExistsException);
    const other = await (await connect('us-east-1')).send(new DescribeStacksCommand({}));
    expect(other.Stacks ?? []).toEqual([]);
  });

  it('updates a stack, refusing an update while one runs and an update that changes nothing', async () => {
    // Prepare
    const cfn = await connect();
    await create(cfn);
    // Act
    const busy = await update(cfn, 'other').catch((e: unknown) => e);
    aws.clock.advance(300 * SECOND);
    const same = await update(cfn, 'nwhealth-valkey-dr').catch((e: unknown) => e);
    await update(cfn, 'nwhealth-valkey-dr-2');
    const updating = await statusOf(cfn);
    aws.clock.advance(300 * SECOND);
    // Assess
    expect(busy).toBeInstanceOf(CloudFormationServiceException);
    expect((busy as Error).name).toBe('ValidationError');
    expect((busy as Error).message).toContain('CREATE_IN_PROGRESS state and can not be updated');
    expect((same as Error).name).toBe('ValidationError');
    expect((same as Error).message).toBe('No updates are to be performed.');
    expect(updating).toBe('UPDATE_IN_PROGRESS');
    expect(await statusOf(cfn)).toBe('UPDATE_COMPLETE');
    expect(truthOf('stack-deploy').map((e) => e.action)).toEqual(['create', 'update']);
  });

  it('deletes a stack: DELETE_IN_PROGRESS, then gone by name and DELETE_COMPLETE by id', async () => {
    // Prepare
    const cfn = await connect();
    const { StackId } = await create(cfn);
    aws.clock.advance(300 * SECOND);
    // Act
    await cfn.send(new DeleteStackCommand({ StackName: STACK }));
    const deleting = await statusOf(cfn);
    aws.clock.advance(300 * SECOND);
    const byName = await statusOf(cfn).catch((e: unknown) => e);
    // Assess
    expect(deleting).toBe('DELETE_IN_PROGRESS');
    expect((byName as Error).name).toBe('ValidationError');
    expect((byName as Error).message).toBe(`Stack with id ${STACK} does not exist`);
    expect(await statusOf(cfn, StackId)).toBe('DELETE_COMPLETE');
    expect(truthOf('stack-delete')).toMatchObject([{ stackName: STACK, stackId: StackId }]);
    await expect(cfn.send(new DeleteStackCommand({ StackName: STACK }))).resolves.toBeDefined();
  });

  it('refuses a stack without a template', async () => {
    const cfn = await connect();
    const error = await cfn
      .send(new CreateStackCommand({ StackName: STACK }))
      .catch((e: unknown) => e);
    expect((error as Error).name).toBe('ValidationError');
    expect((error as Error).message).toContain('Template');
  });
});
