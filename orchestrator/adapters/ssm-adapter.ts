import {
  GetCommandInvocationCommand,
  type GetCommandInvocationCommandOutput,
  paginateDescribeInstanceInformation,
  paginateListCommands,
  SendCommandCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import type { CommandResult, SsmPort } from '../ports/aws.ts';
import { chunk, collectPages } from './collect-pages.ts';
import { type AwsCaller, awsCaller, incompleteAnswer, isAwsCode } from './map-aws-error.ts';

/** SSM's InstanceIds filter takes at most this many values. */
const FILTER_LIMIT = 50;
/** SendCommand's TimeoutSeconds is at least 30. */
const MIN_DELIVERY_TIMEOUT = 30;

/** Systems Manager Run Command in one account and region. */
export class SsmAdapter implements SsmPort {
  private readonly call: AwsCaller;

  constructor(
    private readonly client: SSMClient,
    readonly region: string,
  ) {
    this.call = awsCaller({ service: 'ssm', region });
  }

  /** Of these instances, those whose agent is Online in this region. */
  async onlineInstances(instanceIds: string[]): Promise<Set<string>> {
    const online = new Set<string>();
    for (const ids of chunk(instanceIds, FILTER_LIMIT)) {
      const infos = await this.call('DescribeInstanceInformation', () =>
        collectPages(
          paginateDescribeInstanceInformation(
            { client: this.client },
            {
              Filters: [
                { Key: 'InstanceIds', Values: ids },
                { Key: 'PingStatus', Values: ['Online'] },
              ],
            },
          ),
          (page) => page.InstanceInformationList,
        ),
      );
      for (const info of infos) if (info.InstanceId) online.add(info.InstanceId);
    }
    return online;
  }

  /**
   * Sends the document with `executionTimeout` (seconds, unless the caller set it) so a hung
   * script stops, and the same as TimeoutSeconds so an agent that never picks it up times out.
   */
  async sendCommand(
    document: string,
    instanceIds: string[],
    parameters: Record<string, string[]>,
    timeoutSeconds: number,
    comment?: string,
  ): Promise<string> {
    const { Command } = await this.call('SendCommand', () =>
      this.client.send(
        new SendCommandCommand({
          DocumentName: document,
          InstanceIds: instanceIds,
          Parameters: { executionTimeout: [String(timeoutSeconds)], ...parameters },
          TimeoutSeconds: Math.max(MIN_DELIVERY_TIMEOUT, Math.ceil(timeoutSeconds)),
          ...(comment ? { Comment: comment } : {}),
        }),
      ),
    );
    if (!Command?.CommandId) throw incompleteAnswer('ssm', 'SendCommand', 'Command.CommandId');
    return Command.CommandId;
  }

  /** SendCommand takes no client token: the comment it was sent with finds it again. */
  async findCommand(document: string, comment: string, since: number): Promise<string | undefined> {
    const commands = await this.call('ListCommands', () =>
      collectPages(
        paginateListCommands(
          { client: this.client },
          {
            Filters: [
              { key: 'DocumentName', value: document },
              { key: 'InvokedAfter', value: new Date(since).toISOString() },
            ],
          },
        ),
        (page) => page.Commands,
      ),
    );
    return commands.find((c) => c.Comment === comment)?.CommandId;
  }

  async commandResults(commandId: string, instanceIds: string[]): Promise<CommandResult[]> {
    return Promise.all(instanceIds.map((instanceId) => this.commandResult(commandId, instanceId)));
  }

  /** SSM answers InvocationDoesNotExist for a moment after SendCommand: that is Pending. */
  private async commandResult(commandId: string, instanceId: string): Promise<CommandResult> {
    try {
      const invocation = await this.call('GetCommandInvocation', () =>
        this.client.send(
          new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }),
        ),
      );
      return toCommandResult(instanceId, invocation);
    } catch (error) {
      if (isAwsCode(error, 'InvocationDoesNotExist')) return { instanceId, status: 'Pending' };
      throw error;
    }
  }
}

const STATUSES: Record<string, CommandResult['status']> = {
  Pending: 'Pending',
  Delayed: 'Pending',
  InProgress: 'InProgress',
  Cancelling: 'InProgress',
  Success: 'Success',
  Failed: 'Failed',
  TimedOut: 'TimedOut',
  Cancelled: 'Cancelled',
};

function toCommandResult(
  instanceId: string,
  invocation: GetCommandInvocationCommandOutput,
): CommandResult {
  const status =
    invocation.StatusDetails === 'Undeliverable'
      ? 'Undeliverable'
      : (STATUSES[invocation.Status ?? ''] ?? 'Pending');
  const output = [invocation.StandardOutputContent, invocation.StandardErrorContent]
    .filter(Boolean)
    .join('\n');
  // An ISO string, and '' until the run ends.
  const end = invocation.ExecutionEndDateTime;
  return {
    instanceId,
    status,
    ...(output ? { output } : {}),
    ...(end ? { endedAt: Date.parse(end) } : {}),
  };
}
