import {
  DescribeJobsCommand,
  DescribeRecoverySnapshotsCommand,
  type DrsClient,
  type Job,
  type JobLog,
  paginateDescribeJobLogItems,
  paginateDescribeJobs,
  paginateDescribeRecoveryInstances,
  paginateDescribeSourceServers,
  type RecoveryInstance,
  ReverseReplicationCommand,
  type SourceServer,
  StartRecoveryCommand,
  TerminateRecoveryInstancesCommand,
  UpdateLaunchConfigurationCommand,
} from '@aws-sdk/client-drs';
import { AwsCallError } from '../domain/errors.ts';
import type { DrsSelector } from '../domain/plan.ts';
import type {
  DrsPort,
  JobEvent,
  JobView,
  RecoveryInstanceView,
  SnapshotView,
  SourceServerView,
} from '../ports/aws.ts';
import { chunk, collectPages } from './collect-pages.ts';
import { type AwsCaller, awsCaller, incompleteAnswer } from './map-aws-error.ts';

/** DRS takes at most this many ids in a filter. */
const FILTER_LIMIT = 200;

type Selector = { name: string; drs: DrsSelector; originInstanceId?: string };

/** AWS Elastic Disaster Recovery in one account and region. */
/** The most source server ids one DescribeSourceServers filter takes. */
const SOURCE_SERVER_FILTER_MAX = 200;

export class DrsAdapter implements DrsPort {
  private readonly call: AwsCaller;

  constructor(
    private readonly client: DrsClient,
    readonly region: string,
  ) {
    this.call = awsCaller({ service: 'drs', region });
  }

  /**
   * Resolves every selector against the region's source servers, listed once: only the named
   * ones when every selector names its server's id (a wave polled every few seconds does not
   * read the whole account's servers, which a shared recovery account has hundreds of), else all.
   */
  async findSourceServers(selectors: Selector[]): Promise<Map<string, SourceServerView>> {
    if (selectors.length === 0) return new Map();
    const ids = selectors.map((s) =>
      !s.originInstanceId && 'sourceServerId' in s.drs ? s.drs.sourceServerId : undefined,
    );
    const servers = await this.describeSourceServers(
      ids.every((id) => id !== undefined) ? [...new Set(ids)] : undefined,
    );
    const found = new Map<string, SourceServerView>();
    for (const selector of selectors) {
      const match = servers.find((server) => matchesSelector(server, selector));
      if (match) found.set(selector.name, toSourceServerView(match));
    }
    return found;
  }

  async listSourceServers(): Promise<SourceServerView[]> {
    return (await this.describeSourceServers()).map(toSourceServerView);
  }

  async latestSnapshot(sourceServerId: string): Promise<SnapshotView | undefined> {
    const { items } = await this.call('DescribeRecoverySnapshots', () =>
      this.client.send(
        new DescribeRecoverySnapshotsCommand({
          sourceServerID: sourceServerId,
          order: 'DESC',
          maxResults: 1,
        }),
      ),
    );
    const [latest] = items ?? [];
    if (!latest?.snapshotID || !latest.timestamp) return undefined;
    return { snapshotId: latest.snapshotID, dataAt: Date.parse(latest.timestamp) };
  }

  /** Leaves launch-into as it is when no instance is given (a reversed server already has one). */
  async prepareLaunch(
    sourceServerId: string,
    options: { launchIntoInstanceId?: string; postLaunch: boolean; copyPrivateIp: boolean },
  ): Promise<void> {
    const { launchIntoInstanceId } = options;
    await this.call('UpdateLaunchConfiguration', () =>
      this.client.send(
        new UpdateLaunchConfigurationCommand({
          sourceServerID: sourceServerId,
          ...(launchIntoInstanceId
            ? { launchIntoInstanceProperties: { launchIntoEC2InstanceID: launchIntoInstanceId } }
            : {}),
          postLaunchEnabled: options.postLaunch,
          copyPrivateIp: options.copyPrivateIp,
          // A new instance takes the source server's tags (the plan tag among them: the workload
          // role acts only on tagged instances); one launched into keeps its own.
          copyTags: !launchIntoInstanceId,
        }),
      ),
    );
  }

  async startRecovery(
    sourceServerIds: string[],
    isDrill: boolean,
    tags: Record<string, string>,
  ): Promise<string> {
    const { job } = await this.call('StartRecovery', () =>
      this.client.send(
        new StartRecoveryCommand({
          sourceServers: sourceServerIds.map((sourceServerID) => ({ sourceServerID })),
          isDrill,
          tags,
        }),
      ),
    );
    return requireJobId(job, 'StartRecovery');
  }

  async describeJob(jobId: string): Promise<JobView> {
    const { items } = await this.call('DescribeJobs', () =>
      this.client.send(new DescribeJobsCommand({ filters: { jobIDs: [jobId] } })),
    );
    const [job] = items ?? [];
    if (!job) throw notFound('DescribeJobs', `Job ${jobId} was not found in ${this.region}.`);
    return toJobView(job);
  }

  async jobsSince(since: number): Promise<JobView[]> {
    const jobs = await this.call('DescribeJobs', () =>
      collectPages(
        paginateDescribeJobs(
          { client: this.client },
          { filters: { fromDate: new Date(since).toISOString() } },
        ),
        (page) => page.items,
      ),
    );
    return jobs.map(toJobView);
  }

  async jobEvents(jobId: string): Promise<JobEvent[]> {
    const logs = await this.call('DescribeJobLogItems', () =>
      collectPages(
        paginateDescribeJobLogItems({ client: this.client }, { jobID: jobId }),
        (page) => page.items,
      ),
    );
    return logs.map(toJobEvent);
  }

  async recoveryInstances(sourceServerIds: string[]): Promise<RecoveryInstanceView[]> {
    const found: RecoveryInstanceView[] = [];
    for (const ids of chunk(sourceServerIds, FILTER_LIMIT)) {
      const items = await this.call('DescribeRecoveryInstances', () =>
        collectPages(
          paginateDescribeRecoveryInstances(
            { client: this.client },
            { filters: { sourceServerIDs: ids } },
          ),
          (page) => page.items,
        ),
      );
      found.push(...items.map(toRecoveryInstanceView));
    }
    return found;
  }

  /** Answers the ARN of the source server that now replicates the other way. */
  async reverseReplication(recoveryInstanceId: string): Promise<string> {
    const { reversedDirectionSourceServerArn: arn } = await this.call('ReverseReplication', () =>
      this.client.send(new ReverseReplicationCommand({ recoveryInstanceID: recoveryInstanceId })),
    );
    if (!arn)
      throw incompleteAnswer('drs', 'ReverseReplication', 'reversedDirectionSourceServerArn');
    return arn;
  }

  async terminateRecoveryInstances(recoveryInstanceIds: string[]): Promise<string> {
    const { job } = await this.call('TerminateRecoveryInstances', () =>
      this.client.send(
        new TerminateRecoveryInstancesCommand({ recoveryInstanceIDs: recoveryInstanceIds }),
      ),
    );
    return requireJobId(job, 'TerminateRecoveryInstances');
  }

  /** Jobs not COMPLETED, and the servers in them: what DRS's concurrency quotas count. */
  async activeJobCount(): Promise<{ jobs: number; servers: number }> {
    const jobs = await this.call('DescribeJobs', () =>
      collectPages(paginateDescribeJobs({ client: this.client }, {}), (page) => page.items),
    );
    const active = jobs.filter((job) => job.status !== 'COMPLETED');
    const servers = active.reduce((n, job) => n + (job.participatingServers?.length ?? 0), 0);
    return { jobs: active.length, servers };
  }

  /** The region's source servers; only those of `ids` when given (DRS filters 200 at a time). */
  private async describeSourceServers(ids?: string[]): Promise<SourceServer[]> {
    const list = (filters?: { sourceServerIDs: string[] }) =>
      this.call('DescribeSourceServers', () =>
        collectPages(
          paginateDescribeSourceServers({ client: this.client }, filters ? { filters } : {}),
          (p) => p.items,
        ),
      );
    if (!ids) return list();
    const pages: SourceServer[][] = [];
    for (let i = 0; i < ids.length; i += SOURCE_SERVER_FILTER_MAX)
      pages.push(await list({ sourceServerIDs: ids.slice(i, i + SOURCE_SERVER_FILTER_MAX) }));
    return pages.flat();
  }
}

/** By origin instance when given (failback: reversed servers have new ids), else by id or tags. */
function matchesSelector(server: SourceServer, selector: Selector): boolean {
  if (selector.originInstanceId)
    return (
      server.sourceProperties?.identificationHints?.awsInstanceID === selector.originInstanceId
    );
  if ('sourceServerId' in selector.drs)
    return server.sourceServerID === selector.drs.sourceServerId;
  const tags = server.tags ?? {};
  return Object.entries(selector.drs.tags).every(([key, value]) => tags[key] === value);
}

function toSourceServerView(server: SourceServer): SourceServerView {
  const replication = server.dataReplicationInfo;
  const lagSeconds = parseIsoDuration(replication?.lagDuration);
  const originInstanceId = server.sourceProperties?.identificationHints?.awsInstanceID;
  const originRegion = server.sourceCloudProperties?.originRegion;
  return {
    sourceServerId: server.sourceServerID ?? '',
    name:
      server.tags?.Name ??
      server.sourceProperties?.identificationHints?.hostname ??
      server.sourceServerID ??
      '',
    replicationState: replication?.dataReplicationState ?? 'UNKNOWN',
    direction: server.replicationDirection ?? 'FAILOVER',
    ...(lagSeconds === undefined ? {} : { lagSeconds }),
    ...(originInstanceId ? { originInstanceId } : {}),
    ...(originRegion ? { originRegion } : {}),
    ...(server.recoveryInstanceId ? { recoveryInstanceId: server.recoveryInstanceId } : {}),
    ...(server.arn ? { arn: server.arn } : {}),
    ...(server.tags ? { tags: server.tags } : {}),
  };
}

const ISO_DURATION =
  /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** DRS writes lag as an ISO-8601 duration: `PT1H2M3S` -> 3723. */
export function parseIsoDuration(text: string | undefined): number | undefined {
  const match = text ? ISO_DURATION.exec(text) : null;
  if (!match || text === 'P' || text === 'PT') return undefined;
  const [, d, h, m, s] = match.map((part) => Number(part ?? 0));
  return (d ?? 0) * 86_400 + (h ?? 0) * 3600 + (m ?? 0) * 60 + (s ?? 0);
}

function toJobView(job: Job): JobView {
  const endedAt = job.endDateTime ? Date.parse(job.endDateTime) : undefined;
  return {
    jobId: job.jobID ?? '',
    status: job.status ?? 'PENDING',
    servers: (job.participatingServers ?? []).map((server) => ({
      sourceServerId: server.sourceServerID ?? '',
      status: server.launchStatus ?? 'PENDING',
      ...(server.recoveryInstanceID ? { recoveryInstanceId: server.recoveryInstanceID } : {}),
    })),
    ...(endedAt === undefined ? {} : { endedAt }),
    ...(job.tags ? { tags: job.tags } : {}),
  };
}

function toJobEvent(log: JobLog): JobEvent {
  const data = log.eventData;
  return {
    at: Date.parse(log.logDateTime ?? ''),
    event: log.event ?? 'UNKNOWN',
    ...(data?.sourceServerID ? { sourceServerId: data.sourceServerID } : {}),
    ...(data?.rawError ? { detail: data.rawError } : {}),
  };
}

function toRecoveryInstanceView(instance: RecoveryInstance): RecoveryInstanceView {
  const pointInTime = instance.pointInTimeSnapshotDateTime
    ? Date.parse(instance.pointInTimeSnapshotDateTime)
    : undefined;
  return {
    recoveryInstanceId: instance.recoveryInstanceID ?? '',
    sourceServerId: instance.sourceServerID ?? '',
    ec2State: instance.ec2InstanceState ?? 'UNKNOWN',
    isDrill: instance.isDrill ?? false,
    ...(pointInTime === undefined ? {} : { pointInTime }),
    ...(instance.failback?.state && instance.failback.state !== 'FAILBACK_NOT_STARTED'
      ? { reversed: true }
      : {}),
  };
}

function requireJobId(job: Job | undefined, operation: string): string {
  if (!job?.jobID) throw incompleteAnswer('drs', operation, 'job.jobID');
  return job.jobID;
}

function notFound(operation: string, detail: string): AwsCallError {
  return new AwsCallError({
    service: 'drs',
    operation,
    code: 'ResourceNotFoundException',
    retryable: false,
    detail,
  });
}
