import { AwsCallError } from '../../orchestrator/domain/errors.ts';
import type { DrsSelector } from '../../orchestrator/domain/plan.ts';
import type {
  DrsPort,
  JobEvent,
  JobView,
  RecoveryInstanceView,
  SnapshotView,
  SourceServerView,
} from '../../orchestrator/ports/aws.ts';
import type { DrsQuotas, FakeRegion } from './fake-aws.ts';

export interface FakeJob {
  jobId: string;
  sourceServerIds: string[];
  isDrill: boolean;
  tags: Record<string, string>;
  startedAt: number;
  /** When its servers are launched (or failed). */
  launchedAt: number;
  /** When the job completes: DRS counts it against its quotas until then. */
  endsAt: number;
  /** Source server id -> why its launch in this job fails (EC2 capacity when it started). */
  failures?: Record<string, string>;
}

/**
 * DRS of one region: source servers by plan name (`s-<name>`), recovery jobs that launch after
 * `launchSeconds`, and the service quotas, enforced as DRS does (a StartRecovery over a quota is
 * refused). Remembers every launch, so a test can tell a server launched twice.
 */
export class FakeDrs implements DrsPort {
  readonly sources = new Map<string, SourceServerView>();
  readonly jobs: FakeJob[] = [];
  /** Source server id -> why its launch fails. */
  readonly failing = new Map<string, string>();
  readonly prepared: string[] = [];
  readonly reversed: string[] = [];
  /** Source server id -> the instance its launch goes into (prepareLaunch's launchIntoInstanceId). */
  readonly launchInto = new Map<string, string>();
  /** Instance types EC2 has no capacity of: a launch into one fails with InsufficientInstanceCapacity. */
  readonly shortOf = new Set<string>();
  /** The most jobs and servers ever in active jobs at once. */
  readonly peak = { jobs: 0, servers: 0, serversPerJob: 0 };
  launchSeconds = 120;
  /** How long a job stays STARTED after its servers launched. */
  completeAfterLaunchSeconds = 0;

  constructor(
    private readonly region: FakeRegion,
    private readonly quotas: DrsQuotas,
  ) {}

  /** Source servers replicating into this region, one per plan server name. */
  addServers(names: readonly string[], view: Partial<SourceServerView> = {}): this {
    for (const name of names) {
      this.sources.set(name, {
        sourceServerId: `s-${name}`,
        name,
        replicationState: 'CONTINUOUS',
        lagSeconds: 0,
        direction: 'FAILOVER',
        ...view,
      });
    }
    return this;
  }

  /** The launch of this plan server fails, as DRS reports it (LAUNCH_FAILED). */
  failLaunchOf(name: string, reason = 'EC2 capacity unavailable'): this {
    this.failing.set(`s-${name}`, reason);
    return this;
  }

  /** How many times DRS was asked to launch each source server. */
  launchCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const job of this.jobs)
      for (const id of job.sourceServerIds) counts.set(id, (counts.get(id) ?? 0) + 1);
    return counts;
  }

  private active(): FakeJob[] {
    const now = this.region.clock.now();
    return this.jobs.filter((j) => j.endsAt > now);
  }

  async findSourceServers(
    selectors: { name: string; drs: DrsSelector; originInstanceId?: string }[],
  ): Promise<Map<string, SourceServerView>> {
    this.region.call('drs.DescribeSourceServers');
    const found = new Map<string, SourceServerView>();
    for (const { name } of selectors) {
      const source = this.sources.get(name);
      if (source) found.set(name, source);
    }
    return found;
  }

  async listSourceServers(): Promise<SourceServerView[]> {
    this.region.call('drs.DescribeSourceServers');
    return [...this.sources.values()];
  }

  async latestSnapshot(sourceServerId: string): Promise<SnapshotView | undefined> {
    this.region.call('drs.DescribeRecoverySnapshots');
    return { snapshotId: `snap-${sourceServerId}`, dataAt: this.region.clock.now() };
  }

  async prepareLaunch(
    sourceServerId: string,
    options?: { launchIntoInstanceId?: string },
  ): Promise<void> {
    this.region.call('drs.UpdateLaunchConfiguration');
    this.prepared.push(sourceServerId);
    if (options?.launchIntoInstanceId)
      this.launchInto.set(sourceServerId, options.launchIntoInstanceId);
  }

  /** EC2 has no capacity of these types: launches into instances of them fail, as DRS reports it. */
  noCapacityOf(...instanceTypes: string[]): this {
    for (const type of instanceTypes) this.shortOf.add(type);
    return this;
  }

  /** Why a server's launch in a job fails: the server's standing failure, or the job's. */
  private failureOf(job: FakeJob, sourceServerId: string): string | undefined {
    return this.failing.get(sourceServerId) ?? job.failures?.[sourceServerId];
  }

  /** EC2's refusal, decided when the job starts, by the launch-into instance's type then. */
  private capacityFailures(sourceServerIds: string[]): Record<string, string> {
    const failures: Record<string, string> = {};
    for (const id of sourceServerIds) {
      const target = this.launchInto.get(id);
      const type = target ? this.region.ec2.instances.get(target)?.instanceType : undefined;
      if (type && this.shortOf.has(type))
        failures[id] =
          `InsufficientInstanceCapacity: We currently do not have sufficient ${type} capacity in the Availability Zone you requested (${this.region.name}a).`;
    }
    return failures;
  }

  async startRecovery(
    sourceServerIds: string[],
    isDrill: boolean,
    tags: Record<string, string>,
  ): Promise<string> {
    this.region.call('drs.StartRecovery');
    const active = this.active();
    const inActive = active.reduce((n, j) => n + j.sourceServerIds.length, 0);
    const over =
      sourceServerIds.length > this.quotas.serversPerJob
        ? `${sourceServerIds.length} servers in one job, over ${this.quotas.serversPerJob}`
        : active.length + 1 > this.quotas.concurrentJobs
          ? `${active.length + 1} concurrent jobs, over ${this.quotas.concurrentJobs}`
          : inActive + sourceServerIds.length > this.quotas.serversInActiveJobs
            ? `${inActive + sourceServerIds.length} servers in active jobs, over ${this.quotas.serversInActiveJobs}`
            : undefined;
    if (over) {
      throw new AwsCallError({
        service: 'drs',
        operation: 'StartRecovery',
        code: 'ServiceQuotaExceededException',
        retryable: false,
        detail: over,
      });
    }
    const now = this.region.clock.now();
    const job: FakeJob = {
      jobId: `drsjob-${this.jobs.length + 1}`,
      sourceServerIds: [...sourceServerIds],
      isDrill,
      tags,
      startedAt: now,
      launchedAt: now + this.launchSeconds * 1000,
      endsAt: now + (this.launchSeconds + this.completeAfterLaunchSeconds) * 1000,
      failures: this.capacityFailures(sourceServerIds),
    };
    this.jobs.push(job);
    this.peak.jobs = Math.max(this.peak.jobs, active.length + 1);
    this.peak.servers = Math.max(this.peak.servers, inActive + sourceServerIds.length);
    this.peak.serversPerJob = Math.max(this.peak.serversPerJob, sourceServerIds.length);
    return job.jobId;
  }

  private job(jobId: string): FakeJob {
    const job = this.jobs.find((j) => j.jobId === jobId);
    if (!job) throw new Error(`FakeDrs: no job ${jobId}`);
    return job;
  }

  /** The recovery instance a job launched for a source server (one per launch, never reused). */
  instanceOf(job: FakeJob, sourceServerId: string): string {
    const index = this.jobs.indexOf(job) * 1000 + job.sourceServerIds.indexOf(sourceServerId);
    return `i-0r${index.toString(16).padStart(15, '0')}`;
  }

  async describeJob(jobId: string): Promise<JobView> {
    this.region.call('drs.DescribeJobs');
    const job = this.job(jobId);
    const now = this.region.clock.now();
    const ended = now >= job.endsAt;
    const servers = job.sourceServerIds.map((sourceServerId) => {
      if (now < job.launchedAt) return { sourceServerId, status: 'IN_PROGRESS' as const };
      if (this.failureOf(job, sourceServerId)) return { sourceServerId, status: 'FAILED' as const };
      const recoveryInstanceId = this.instanceOf(job, sourceServerId);
      this.region.ec2.launch(recoveryInstanceId, job.launchedAt);
      return { sourceServerId, status: 'LAUNCHED' as const, recoveryInstanceId };
    });
    return {
      jobId,
      status: ended ? 'COMPLETED' : 'STARTED',
      servers,
      ...(ended ? { endedAt: job.endsAt } : {}),
    };
  }

  async jobsSince(since: number): Promise<JobView[]> {
    const views: JobView[] = [];
    for (const job of this.jobs.filter((j) => j.startedAt >= since)) {
      const terminated = job.tags.terminates?.split(',');
      const view = terminated
        ? {
            jobId: job.jobId,
            status: 'STARTED' as const,
            servers: terminated.map((recoveryInstanceId) => ({
              sourceServerId: '',
              status: 'IN_PROGRESS' as const,
              recoveryInstanceId,
            })),
          }
        : await this.describeJob(job.jobId);
      views.push({ ...view, tags: job.tags });
    }
    return views;
  }

  async jobEvents(jobId: string): Promise<JobEvent[]> {
    this.region.call('drs.DescribeJobLogItems');
    const job = this.job(jobId);
    if (this.region.clock.now() < job.launchedAt) return [];
    return job.sourceServerIds.flatMap((sourceServerId) => {
      const reason = this.failureOf(job, sourceServerId);
      return reason
        ? [{ at: job.launchedAt, event: 'LAUNCH_FAILED', sourceServerId, detail: reason }]
        : [];
    });
  }

  async recoveryInstances(sourceServerIds: string[]): Promise<RecoveryInstanceView[]> {
    this.region.call('drs.DescribeRecoveryInstances');
    const now = this.region.clock.now();
    const latest = new Map<string, RecoveryInstanceView>();
    for (const job of this.jobs) {
      if (job.launchedAt > now) continue;
      for (const sourceServerId of job.sourceServerIds) {
        if (!sourceServerIds.includes(sourceServerId) || this.failureOf(job, sourceServerId))
          continue;
        latest.set(sourceServerId, {
          recoveryInstanceId: this.instanceOf(job, sourceServerId),
          sourceServerId,
          ec2State: 'running',
          pointInTime: job.startedAt,
          isDrill: job.isDrill,
          ...(this.reversed.includes(this.instanceOf(job, sourceServerId))
            ? { reversed: true }
            : {}),
        });
      }
    }
    return [...latest.values()];
  }

  async reverseReplication(recoveryInstanceId: string): Promise<string> {
    this.region.call('drs.ReverseReplication');
    this.reversed.push(recoveryInstanceId);
    return `s-reversed-${recoveryInstanceId}`;
  }

  async terminateRecoveryInstances(recoveryInstanceIds: string[]): Promise<string> {
    this.region.call('drs.TerminateRecoveryInstances');
    const now = this.region.clock.now();
    const job: FakeJob = {
      jobId: `drsjob-${this.jobs.length + 1}`,
      sourceServerIds: [],
      isDrill: true,
      tags: { terminates: recoveryInstanceIds.join(',') },
      startedAt: now,
      launchedAt: now + this.launchSeconds * 1000,
      endsAt: now + this.launchSeconds * 1000,
    };
    this.jobs.push(job);
    return job.jobId;
  }

  async activeJobCount(): Promise<{ jobs: number; servers: number }> {
    this.region.call('drs.DescribeJobs');
    const active = this.active();
    return {
      jobs: active.length,
      servers: active.reduce((n, j) => n + j.sourceServerIds.length, 0),
    };
  }
}
