import {
  type CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStacksCommand,
  type Parameter,
  UpdateStackCommand,
} from '@aws-sdk/client-cloudformation';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { MANAGED_STACK_TAG } from '../domain/workload-access.ts';
import type { HookPort } from '../ports/aws.ts';
import { type AwsCaller, awsCaller, isAwsCode } from './map-aws-error.ts';

/** How much of a function's answer a journal entry keeps. */
const DETAIL_LIMIT = 500;
const NO_UPDATES = /No updates are to be performed/;
const NO_STACK = /does not exist/;

/** Plan hooks that run code: Lambda functions and CloudFormation stacks, in one account and region. */
export class HooksAdapter implements HookPort {
  private readonly callLambda: AwsCaller;
  private readonly callStacks: AwsCaller;

  constructor(
    private readonly lambda: LambdaClient,
    private readonly cloudformation: CloudFormationClient,
    readonly region: string,
  ) {
    this.callLambda = awsCaller({ service: 'lambda', region });
    this.callStacks = awsCaller({ service: 'cloudformation', region });
  }

  /** Waits for the function; `ok` is false when it threw (FunctionError), with its error as detail. */
  async invokeLambda(
    functionName: string,
    payload: Record<string, unknown>,
  ): Promise<{ ok: boolean; detail: string }> {
    const out = await this.callLambda('Invoke', () =>
      this.lambda.send(
        new InvokeCommand({
          FunctionName: functionName,
          InvocationType: 'RequestResponse',
          Payload: new TextEncoder().encode(JSON.stringify(payload)),
        }),
      ),
    );
    const text = out.Payload ? new TextDecoder().decode(out.Payload) : '';
    return { ok: !out.FunctionError, detail: text.slice(0, DETAIL_LIMIT) };
  }

  /**
   * Creates the stack, or updates it when it exists; an update with no changes is done. With a
   * request token, the same create or update sent again is taken as the first (CloudFormation's
   * ClientRequestToken), not refused because the stack is now in progress.
   */
  async deployStack(
    stackName: string,
    templateUrl: string | undefined,
    parameters: Record<string, string>,
    requestToken?: string,
  ): Promise<void> {
    const Parameters = toParameters(parameters);
    const token = requestToken ? { ClientRequestToken: requestToken } : {};
    try {
      await this.callStacks('CreateStack', () =>
        this.cloudformation.send(
          new CreateStackCommand({
            StackName: stackName,
            TemplateURL: templateUrl,
            Parameters,
            ...token,
            // The workload role updates and deletes only stacks carrying this tag.
            Tags: [{ Key: MANAGED_STACK_TAG.key, Value: MANAGED_STACK_TAG.value }],
          }),
        ),
      );
    } catch (error) {
      if (!isAwsCode(error, 'AlreadyExistsException')) throw error;
      await this.updateStack(stackName, templateUrl, Parameters, token);
    }
  }

  async deleteStack(stackName: string): Promise<void> {
    await this.callStacks('DeleteStack', () =>
      this.cloudformation.send(new DeleteStackCommand({ StackName: stackName })),
    );
  }

  /**
   * Done when no longer IN_PROGRESS; ok when it ended in a `_COMPLETE` that is no rollback. A
   * stack that does not exist counts as deleted: done and ok.
   */
  async stackStatus(stackName: string): Promise<{ done: boolean; ok: boolean; detail: string }> {
    try {
      const { Stacks } = await this.callStacks('DescribeStacks', () =>
        this.cloudformation.send(new DescribeStacksCommand({ StackName: stackName })),
      );
      const stack = Stacks?.[0];
      return judgeStackStatus(stack?.StackStatus ?? 'UNKNOWN', stack?.StackStatusReason);
    } catch (error) {
      if (!isAwsCode(error, 'ValidationError', NO_STACK)) throw error;
      return { done: true, ok: true, detail: `Stack ${stackName} does not exist (deleted).` };
    }
  }

  private async updateStack(
    stackName: string,
    templateUrl: string | undefined,
    parameters: Parameter[],
    token: { ClientRequestToken?: string },
  ): Promise<void> {
    const template = templateUrl ? { TemplateURL: templateUrl } : { UsePreviousTemplate: true };
    try {
      await this.callStacks('UpdateStack', () =>
        this.cloudformation.send(
          new UpdateStackCommand({
            StackName: stackName,
            ...template,
            Parameters: parameters,
            ...token,
          }),
        ),
      );
    } catch (error) {
      if (!isAwsCode(error, 'ValidationError', NO_UPDATES)) throw error;
    }
  }
}

function toParameters(parameters: Record<string, string>): Parameter[] {
  return Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({
    ParameterKey,
    ParameterValue,
  }));
}

export function judgeStackStatus(
  status: string,
  reason: string | undefined,
): { done: boolean; ok: boolean; detail: string } {
  const detail = reason ? `${status}: ${reason}` : status;
  const failing = status.includes('ROLLBACK') || status.endsWith('_FAILED');
  if (status.endsWith('_IN_PROGRESS')) return { done: false, ok: !failing, detail };
  return { done: true, ok: status.endsWith('_COMPLETE') && !failing, detail };
}
