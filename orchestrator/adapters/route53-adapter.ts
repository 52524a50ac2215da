import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  GetHostedZoneCommand,
  ListResourceRecordSetsCommand,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import { LifeboatError } from '../domain/errors.ts';
import type { DnsChangeRequest, DnsPort } from '../ports/aws.ts';
import { type AwsCaller, awsCaller, incompleteAnswer, isAwsCode } from './map-aws-error.ts';

/** Where Route 53's control plane (every API call) runs. */
export const ROUTE53_API_REGION = 'us-east-1';

/** Route 53 (a global service) through one account's role. */
export class Route53Adapter implements DnsPort {
  private readonly call: AwsCaller;

  constructor(
    private readonly client: Route53Client,
    readonly region: string,
  ) {
    // Whichever region calls it, Route 53's API is served from us-east-1: that is what is gone.
    this.call = awsCaller({ service: 'route53', region: ROUTE53_API_REGION });
  }

  /** One batch: Route 53 applies all the changes or none. Answers the change id. */
  async upsert(zoneId: string, changes: DnsChangeRequest[]): Promise<string> {
    const stray = changes.find((change) => change.zoneId !== zoneId);
    if (stray)
      throw new LifeboatError(
        `The change to ${stray.name} is for zone ${stray.zoneId}, not ${zoneId}; send one batch per zone.`,
      );
    const { ChangeInfo } = await this.call('ChangeResourceRecordSets', () =>
      this.client.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          ChangeBatch: {
            Comment: 'Lifeboat',
            Changes: changes.map((change) => ({
              Action: 'UPSERT',
              ResourceRecordSet: {
                Name: change.name,
                Type: change.type,
                TTL: change.ttl,
                ResourceRecords: [{ Value: change.value }],
              },
            })),
          },
        }),
      ),
    );
    if (!ChangeInfo?.Id)
      throw incompleteAnswer('route53', 'ChangeResourceRecordSets', 'ChangeInfo.Id');
    return ChangeInfo.Id.replace(/^\/change\//, '');
  }

  /** Route 53 does not say when a change went INSYNC (SubmittedAt is when it was sent): no `at`. */
  async changeStatus(changeId: string): Promise<{ status: 'PENDING' | 'INSYNC'; at?: number }> {
    const { ChangeInfo } = await this.call('GetChange', () =>
      this.client.send(new GetChangeCommand({ Id: changeId })),
    );
    return { status: ChangeInfo?.Status === 'INSYNC' ? 'INSYNC' : 'PENDING' };
  }

  async zoneExists(zoneId: string): Promise<boolean> {
    try {
      await this.call('GetHostedZone', () =>
        this.client.send(new GetHostedZoneCommand({ Id: zoneId })),
      );
      return true;
    } catch (error) {
      if (isAwsCode(error, 'NoSuchHostedZone')) return false;
      throw error;
    }
  }

  /** One page from the name on is enough: a name's record sets are listed together. */
  async failoverSets(zoneId: string, name: string): Promise<('PRIMARY' | 'SECONDARY')[]> {
    const wanted = `${name.toLowerCase().replace(/\.$/, '')}.`;
    const { ResourceRecordSets = [] } = await this.call('ListResourceRecordSets', () =>
      this.client.send(
        new ListResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          StartRecordName: wanted,
          MaxItems: 20,
        }),
      ),
    );
    return ResourceRecordSets.filter((set) => set.Name === wanted && set.Failover).map(
      (set) => set.Failover as 'PRIMARY' | 'SECONDARY',
    );
  }
}
