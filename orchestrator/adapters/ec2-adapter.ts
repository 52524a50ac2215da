import {
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  type EC2Client,
  type Instance,
  ModifyInstanceAttributeCommand,
  paginateDescribeInstanceStatus,
  paginateDescribeInstances,
  StopInstancesCommand,
} from '@aws-sdk/client-ec2';
import type { Ec2Port, InstanceView } from '../ports/aws.ts';
import { chunk, collectPages } from './collect-pages.ts';
import { type AwsCaller, awsCaller, isAwsCode } from './map-aws-error.ts';

/** EC2 takes at most this many values in a filter. */
const FILTER_LIMIT = 200;

/** EC2 instances in one account and region. */
export class Ec2Adapter implements Ec2Port {
  private readonly call: AwsCaller;

  constructor(
    private readonly client: EC2Client,
    readonly region: string,
  ) {
    this.call = awsCaller({ service: 'ec2', region });
  }

  /** The instances with their status checks: `statusOk` only when instance and system say `ok`. */
  async describe(instanceIds: string[]): Promise<InstanceView[]> {
    // An empty list would describe every instance in the region.
    if (instanceIds.length === 0) return [];
    const [instances, healthy] = await Promise.all([
      this.describeInstances(instanceIds),
      this.healthyInstances(instanceIds),
    ]);
    return instances.map((instance) => toInstanceView(instance, healthy));
  }

  /** By the `instance-id` filter, which leaves out ids that do not exist (InstanceIds would fail the call). */
  async findInstances(instanceIds: string[]): Promise<InstanceView[]> {
    const found: Instance[] = [];
    for (const ids of chunk(instanceIds, FILTER_LIMIT))
      found.push(
        ...(await this.call('DescribeInstances', () =>
          collectPages(
            paginateDescribeInstances(
              { client: this.client },
              { Filters: [{ Name: 'instance-id', Values: ids }] },
            ),
            (page) => page.Reservations?.flatMap((r) => r.Instances ?? []),
          ),
        )),
      );
    if (found.length === 0) return [];
    const healthy = await this.healthyInstances(found.map((i) => i.InstanceId ?? ''));
    return found.map((instance) => toInstanceView(instance, healthy));
  }

  async stop(instanceIds: string[]): Promise<void> {
    if (instanceIds.length === 0) return;
    await this.call('StopInstances', () =>
      this.client.send(new StopInstancesCommand({ InstanceIds: instanceIds })),
    );
  }

  async setInstanceType(instanceId: string, instanceType: string): Promise<void> {
    await this.call('ModifyInstanceAttribute', () =>
      this.client.send(
        new ModifyInstanceAttributeCommand({
          InstanceId: instanceId,
          InstanceType: { Value: instanceType },
        }),
      ),
    );
  }

  async missingNetwork(subnetId: string, securityGroupIds: string[]): Promise<string[]> {
    const missing: string[] = [];
    const absent = (error: unknown, code: string) => isAwsCode(error, code);
    try {
      await this.call('DescribeSubnets', () =>
        this.client.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] })),
      );
    } catch (error) {
      if (!absent(error, 'InvalidSubnetID.NotFound')) throw error;
      missing.push(subnetId);
    }
    for (const group of securityGroupIds) {
      try {
        await this.call('DescribeSecurityGroups', () =>
          this.client.send(new DescribeSecurityGroupsCommand({ GroupIds: [group] })),
        );
      } catch (error) {
        if (!absent(error, 'InvalidGroup.NotFound')) throw error;
        missing.push(group);
      }
    }
    return missing;
  }

  private describeInstances(instanceIds: string[]): Promise<Instance[]> {
    return this.call('DescribeInstances', () =>
      collectPages(
        paginateDescribeInstances({ client: this.client }, { InstanceIds: instanceIds }),
        (page) => page.Reservations?.flatMap((r) => r.Instances ?? []),
      ),
    );
  }

  private async healthyInstances(instanceIds: string[]): Promise<Set<string>> {
    const statuses = await this.call('DescribeInstanceStatus', () =>
      collectPages(
        paginateDescribeInstanceStatus(
          { client: this.client },
          { InstanceIds: instanceIds, IncludeAllInstances: true },
        ),
        (page) => page.InstanceStatuses,
      ),
    );
    return new Set(
      statuses
        .filter((s) => s.InstanceStatus?.Status === 'ok' && s.SystemStatus?.Status === 'ok')
        .map((s) => s.InstanceId ?? ''),
    );
  }
}

function toInstanceView(instance: Instance, healthy: Set<string>): InstanceView {
  const instanceId = instance.InstanceId ?? '';
  return {
    instanceId,
    state: instance.State?.Name ?? 'unknown',
    statusOk: healthy.has(instanceId),
    tags: Object.fromEntries((instance.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
    ...(instance.PrivateIpAddress ? { privateIp: instance.PrivateIpAddress } : {}),
    ...(instance.LaunchTime ? { launchedAt: instance.LaunchTime.getTime() } : {}),
    ...(instance.InstanceType ? { instanceType: instance.InstanceType } : {}),
  };
}
