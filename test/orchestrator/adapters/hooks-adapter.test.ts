import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { HooksAdapter, judgeStackStatus } from '../../../orchestrator/adapters/hooks-adapter.ts';
import { AwsCallError } from '../../../orchestrator/domain/errors.ts';
import { type LocalAccount, RECOVERY, startLocalAccount } from './local-account.ts';

const SCALE = 'lifeboat-eks-scale';
const STACK = 'nwhealth-valkey-dr';
const TEMPLATE =
  'https://lifeboat-templates-420000000303.s3.us-east-2.amazonaws.com/valkey-serverless.json';
const SECOND = 1000;

let account: LocalAccount;
afterEach(() => account?.aws.stop());

async function connect(customerId = 'nwhealth') {
  account = await startLocalAccount(customerId);
  const config = await account.config(RECOVERY);
  return new HooksAdapter(new LambdaClient(config), new CloudFormationClient(config), RECOVERY);
}

describe('HooksAdapter.invokeLambda', () => {
  it('invokes a function and answers ok with its payload', async () => {
    // Prepare
    const hooks = await connect();
    const payload = { cluster: 'gc-eks-use2', replicas: 3 };
    // Act
    const result = await hooks.invokeLambda(SCALE, payload);
    // Assess
    expect(result.ok).toBe(true);
    expect(JSON.parse(result.detail)).toEqual({ ok: true, function: SCALE, region: RECOVERY });
    expect(account.aws.estate.truth.filter((e) => e.type === 'lambda-invoke')).toMatchObject([
      { function: SCALE, region: RECOVERY, payload },
    ]);
  });

  it('answers not ok, with the function’s error, when it throws', async () => {
    const hooks = await connect();
    account.aws.faults.add(`validation-fail:${SCALE}`);
    const result = await hooks.invokeLambda(SCALE, {});
    expect(result.ok).toBe(false);
    expect(result.detail).toContain('validation-fail');
  });

  it('maps an unknown function to AwsCallError', async () => {
    const hooks = await connect();
    const error = await hooks.invokeLambda('no-such-function', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({
      service: 'lambda',
      operation: 'Invoke',
      code: 'ResourceNotFoundException',
    });
  });
});

describe('HooksAdapter stacks', () => {
  it('deploys a stack, updates it, takes no change as done, and deletes it', async () => {
    // Prepare
    const hooks = await connect();
    const { clock } = account.aws;
    const parameters = { CacheName: STACK, SubnetGroup: 'gc-private-use2' };
    // Act
    await hooks.deployStack(STACK, TEMPLATE, parameters);
    const creating = await hooks.stackStatus(STACK);
    clock.advance(300 * SECOND);
    const created = await hooks.stackStatus(STACK);
    await hooks.deployStack(STACK, TEMPLATE, parameters);
    await hooks.deployStack(STACK, undefined, { ...parameters, CacheName: `${STACK}-2` });
    const updating = await hooks.stackStatus(STACK);
    clock.advance(300 * SECOND);
    const updated = await hooks.stackStatus(STACK);
    await hooks.deleteStack(STACK);
    const deleting = await hooks.stackStatus(STACK);
    clock.advance(300 * SECOND);
    const deleted = await hooks.stackStatus(STACK);
    // Assess
    expect(creating).toEqual({ done: false, ok: true, detail: 'CREATE_IN_PROGRESS' });
    expect(created).toEqual({ done: true, ok: true, detail: 'CREATE_COMPLETE' });
    expect(updating).toEqual({ done: false, ok: true, detail: 'UPDATE_IN_PROGRESS' });
    expect(updated).toEqual({ done: true, ok: true, detail: 'UPDATE_COMPLETE' });
    expect(deleting).toMatchObject({ done: false, detail: 'DELETE_IN_PROGRESS' });
    expect(deleted).toMatchObject({ done: true, ok: true });
    const truth = account.aws.estate.truth;
    expect(truth.filter((e) => e.type === 'stack-deploy')).toMatchObject([
      { action: 'create', templateUrl: TEMPLATE, parameters },
      { action: 'update', templateUrl: TEMPLATE, parameters: { CacheName: `${STACK}-2` } },
    ]);
    expect(truth.filter((e) => e.type === 'stack-delete')).toHaveLength(1);
  });

  it('refuses a new stack without a template with a domain error', async () => {
    const hooks = await connect();
    const error = await hooks.deployStack(STACK, undefined, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({ operation: 'CreateStack', code: 'ValidationError' });
  });

  it.each([
    ['CREATE_COMPLETE', true, true],
    ['UPDATE_COMPLETE', true, true],
    ['DELETE_COMPLETE', true, true],
    ['CREATE_IN_PROGRESS', false, true],
    ['UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', false, true],
    ['ROLLBACK_IN_PROGRESS', false, false],
    ['UPDATE_ROLLBACK_IN_PROGRESS', false, false],
    ['ROLLBACK_COMPLETE', true, false],
    ['UPDATE_ROLLBACK_COMPLETE', true, false],
    ['CREATE_FAILED', true, false],
    ['DELETE_FAILED', true, false],
  ])('judges %s as done %s, ok %s', (status, done, ok) => {
    expect(judgeStackStatus(status, 'why')).toEqual({ done, ok, detail: `${status}: why` });
  });
});
