import { InvokeCommand, LambdaClient, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Plan } from '../../../orchestrator/domain/plan.ts';
import type { Region } from '../../../orchestrator/domain/regions.ts';
import type { LocalAws } from '../../../sandbox/aws/local-aws.ts';
import { readSample } from '../../helpers.ts';
import { assumeCustomer, clientConfig, startSampleAws } from './harness.ts';

const SCALE = 'lifeboat-eks-scale';

let aws: LocalAws;
let bcbsaz: Plan;
beforeEach(async () => {
  const plan = await readSample('bcbsaz');
  bcbsaz = plan;
  aws = await startSampleAws();
});
afterEach(() => aws.stop());

async function connectLambda(region: Region = 'us-east-2'): Promise<LambdaClient> {
  return new LambdaClient(clientConfig(aws, region, await assumeCustomer(aws, bcbsaz, region)));
}

function invoke(lambda: LambdaClient, FunctionName: string, payload: unknown = {}) {
  return lambda.send(
    new InvokeCommand({
      FunctionName,
      InvocationType: 'RequestResponse',
      Payload: new TextEncoder().encode(JSON.stringify(payload)),
    }),
  );
}

function decode(payload: Uint8Array | undefined): unknown {
  return JSON.parse(new TextDecoder().decode(payload));
}

describe('Lambda', () => {
  it('invokes a function a plan hook names, answers in the region asked, and records the truth', async () => {
    // Prepare
    const lambda = await connectLambda('us-east-2');
    const payload = { cluster: 'hrp-webui-use2', replicas: 3 };
    // Act
    const out = await invoke(lambda, SCALE, payload);
    // Assess
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBeUndefined();
    expect(decode(out.Payload)).toEqual({ ok: true, function: SCALE, region: 'us-east-2' });
    expect(aws.estate.truth.filter((e) => e.type === 'lambda-invoke')).toMatchObject([
      { account: bcbsaz.account.id, region: 'us-east-2', function: SCALE, payload },
    ]);
  });

  it('resolves a function ARN to its name', async () => {
    const lambda = await connectLambda('us-east-1');
    const arn = `arn:aws:lambda:us-east-1:${bcbsaz.account.id}:function:${SCALE}`;
    const out = await invoke(lambda, arn);
    expect(decode(out.Payload)).toMatchObject({ function: SCALE, region: 'us-east-1' });
  });

  it('answers an unknown function with the SDK’s ResourceNotFoundException, recording nothing', async () => {
    const lambda = await connectLambda();
    const error = await invoke(lambda, 'no-such-function').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect((error as Error).message).toContain('Function not found');
    expect((error as ResourceNotFoundException).$metadata.httpStatusCode).toBe(404);
    expect(aws.estate.truth.some((e) => e.type === 'lambda-invoke')).toBe(false);
  });

  it('makes the function throw under validation-fail:<function>, and only that fault', async () => {
    // Prepare
    const lambda = await connectLambda();
    aws.faults.add('validation-fail:Lifeboat-HrpSmokeTest');
    const unaffected = await invoke(lambda, SCALE);
    aws.faults.add(`validation-fail:${SCALE}`);
    // Act
    const out = await invoke(lambda, SCALE);
    // Assess
    expect(unaffected.FunctionError).toBeUndefined();
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBe('Unhandled');
    expect(decode(out.Payload)).toMatchObject({
      errorType: 'Error',
      errorMessage: expect.stringContaining('validation-fail'),
    });
  });
});
