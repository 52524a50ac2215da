import { AwsError } from '../errors.ts';
import type { Estate, Instance } from '../estate.ts';
import {
  type DrsState,
  iso,
  type Job,
  type JobServer,
  type RecoveryInstance,
  type Snapshot,
  type Source,
} from './drs-state.ts';
import { jobEnd, listSnapshots, readLag } from './drs-timeline.ts';
import { capacityError, instanceTypeOf } from './ec2.ts';

export interface RecoveryRequest {
  sourceServers: { sourceServerID: string; recoverySnapshotID?: string | undefined }[];
  isDrill: boolean;
  tags: Record<string, string>;
}

/**
 * DRS's jobs: a recovery or drill plans each server's snapshot, conversion and launch when it
 * starts, within the quotas; the launch lands when the clock reaches its end. Terminations alike.
 */
export class DrsJobs {
  constructor(
    private readonly estate: Estate,
    private readonly state: DrsState,
  ) {}

  private get random() {
    return this.estate.deps.random;
  }

  startRecovery(account: string, region: string, request: RecoveryRequest): Job {
    const now = this.estate.now();
    const wanted = request.sourceServers;
    const QUOTAS = this.estate.drsQuotas;
    // Every refusal is ground truth: a region-wide failover must never meet one.
    const quota = (message: string, quotaCode: string) => {
      this.estate.record('drs-quota-refused', { account, region, quotaCode, message });
      return quotaError(message, quotaCode);
    };
    if (wanted.length > QUOTAS.serversPerJob) {
      throw quota(
        `A job can recover at most ${QUOTAS.serversPerJob} source servers; this one asks for ${wanted.length}.`,
        'L-DRS-JOB-SERVERS',
      );
    }
    const sources = wanted.map((w) => this.state.source(account, region, w.sourceServerID));
    const active = this.state.activeJobs(account, region, now);
    if (active.length >= QUOTAS.concurrentJobs) {
      throw quota(
        `At most ${QUOTAS.concurrentJobs} jobs may run at once; ${active.length} are running.`,
        'L-DRS-CONCURRENT-JOBS',
      );
    }
    const conflicting = sources.filter((s) => this.serverBusy(s.id, now));
    if (conflicting.length > 0) {
      throw new AwsError(
        'ConflictException',
        `Source server ${conflicting[0]?.id} is already part of an active job.`,
        409,
        { resourceId: conflicting[0]?.id, resourceType: 'SOURCE_SERVER' },
      );
    }
    const inFlight = active.reduce((n, j) => n + j.servers.length, 0);
    if (inFlight + sources.length > QUOTAS.serversInActiveJobs) {
      throw quota(
        `At most ${QUOTAS.serversInActiveJobs} source servers may be in active jobs; ${inFlight} are, and this job adds ${sources.length}.`,
        'L-DRS-ACTIVE-SERVERS',
      );
    }
    const { jobs } = this.state;
    const id = `drsjob-${this.random.hex(`job:${account}:${region}:${now}:${jobs.size}`, 17)}`;
    const job: Job = {
      id,
      arn: `arn:aws:drs:${region}:${account}:job/${id}`,
      account,
      region,
      type: 'LAUNCH',
      initiatedBy: request.isDrill ? 'START_DRILL' : 'START_RECOVERY',
      createdAt: now,
      isDrill: request.isDrill,
      tags: request.tags,
      servers: sources.map((source, i) =>
        this.plan(id, source, wanted[i]?.recoverySnapshotID, now),
      ),
    };
    for (const server of job.servers) {
      const source = this.state.sources.get(server.sourceId);
      if (source)
        source.lastLaunch = {
          jobId: id,
          type: request.isDrill ? 'DRILL' : 'RECOVERY',
          at: now,
          status: 'PENDING',
        };
      this.estate.schedule(server.times.end, () => this.finishLaunch(job, server));
    }
    jobs.set(id, job);
    this.estate.record('drs-job', {
      jobId: id,
      account,
      region,
      isDrill: request.isDrill,
      servers: job.servers.map((s) => s.name),
      // Until then the job, and every server in it, counts against the account's quotas.
      endsAt: new Date(jobEnd(job)).toISOString(),
    });
    return job;
  }

  private serverBusy(sourceId: string, now: number): boolean {
    return [...this.state.jobs.values()].some((j) =>
      j.servers.some((s) => s.sourceId === sourceId && s.times.end > now),
    );
  }

  /** The timeline of one server in a job, drawn from the seed: snapshot, conversion, launch. */
  private plan(
    jobId: string,
    source: Source,
    snapshotId: string | undefined,
    now: number,
  ): JobServer {
    const key = `${jobId}:${source.id}`;
    const lag = readLag(this.estate, source, now);
    let snapshot: Snapshot | undefined;
    let usedPrevious = false;
    if (snapshotId) {
      snapshot = listSnapshots(this.estate, source, now).find((s) => s.id === snapshotId);
      if (!snapshot)
        throw new AwsError(
          'ResourceNotFoundException',
          `Recovery snapshot ${snapshotId} not found for ${source.id}`,
          404,
          { resourceId: snapshotId, resourceType: 'RECOVERY_SNAPSHOT' },
        );
    } else if (lag.state === 'DISCONNECTED' || lag.state === 'STALLED') {
      // No fresh data to snapshot: DRS falls back to the latest point in time it has.
      snapshot = listSnapshots(this.estate, source, now)[0];
      usedPrevious = true;
    }
    const snapshotStart = now + 5000;
    const snapshotEnd =
      snapshotStart + (snapshot ? 5 : this.random.between(`snap:${key}`, 30, 180)) * 1000;
    if (!snapshot) {
      snapshot = {
        id: `pit-${this.random.hex(`ondemand:${key}`, 17)}`,
        sourceServerId: source.id,
        expectedAt: snapshotEnd,
        dataAt: lag.lastDataAt,
      };
      source.onDemandSnapshots.push(snapshot);
    }
    const conversionEnd = snapshotEnd + this.random.between(`conv:${key}`, 300, 900) * 1000;
    const end = conversionEnd + this.random.between(`launch:${key}`, 60, 240) * 1000;
    const failures = this.estate.deps.faults.names('launch-fail');
    const launchInto = source.launchConfig.launchIntoInstanceProperties?.launchIntoEC2InstanceID;
    const failure =
      failures.has(source.name) || failures.has(source.id)
        ? 'Simulated launch failure (fault launch-fail).'
        : (this.launchIntoProblem(source, launchInto) ?? this.capacityProblem(source, launchInto));
    return {
      sourceId: source.id,
      name: source.name,
      snapshot,
      usedPrevious,
      times: {
        snapshotStart,
        snapshotEnd,
        conversionStart: snapshotEnd,
        conversionEnd,
        launchStart: conversionEnd,
        end,
      },
      ...(failure ? { failure } : {}),
      ...(launchInto ? { launchInto } : {}),
    };
  }

  /** Launching into an existing instance needs it here, stopped, and tagged for DRS. */
  private launchIntoProblem(source: Source, instanceId: string | undefined): string | undefined {
    if (!instanceId) return undefined;
    const target = this.estate.instance(instanceId);
    if (!target || target.account !== source.account || target.region !== source.region)
      return `Launch-into instance ${instanceId} does not exist in ${source.region}.`;
    if (target.tags.AWSDRS !== 'AllowLaunchingIntoThisInstance')
      return `Instance ${instanceId} lacks the tag AWSDRS=AllowLaunchingIntoThisInstance.`;
    if (target.state !== 'stopped')
      return `Instance ${instanceId} must be stopped to launch into it; it is ${target.state}.`;
    return undefined;
  }

  /**
   * EC2's refusal when it has no capacity of the type DRS launches: the launch-into instance's,
   * or the origin's for a new instance. Decided when the job starts, by the faults then in force.
   */
  private capacityProblem(source: Source, instanceId: string | undefined): string | undefined {
    const origin = this.estate.instance(source.originInstanceId);
    const target = instanceId
      ? this.estate.instance(instanceId)
      : origin && { ...origin, region: source.region };
    const refusal = target && capacityError(this.estate, target);
    return refusal ? `${refusal.code}: ${refusal.message}` : undefined;
  }

  /** A server's launch lands at the end of its timeline: the instance starts, or the failure shows. */
  private finishLaunch(job: Job, server: JobServer): void {
    const source = this.state.sources.get(server.sourceId);
    if (!source) return;
    const at = server.times.end;
    if (source.lastLaunch?.jobId === job.id)
      source.lastLaunch.status = server.failure ? 'FAILED' : 'LAUNCHED';
    if (server.failure) {
      this.estate.record(
        'recovery-failed',
        {
          jobId: job.id,
          server: server.name,
          sourceServerId: source.id,
          region: job.region,
          reason: server.failure,
        },
        at,
      );
      return;
    }
    const instance = server.launchInto
      ? this.estate.instances.get(server.launchInto)
      : this.newInstance(job, source);
    if (!instance) return;
    const origin = this.estate.instances.get(source.originInstanceId);
    instance.hasDisks = true;
    instance.agentRegion = source.launchConfig.postLaunchEnabled
      ? job.region
      : (origin?.agentRegion ?? source.originRegion);
    this.estate.start(instance, `drs:${job.id}`, at);
    server.recoveryInstanceId = instance.instanceId;
    source.recoveryInstanceId = instance.instanceId;
    const recovered: RecoveryInstance = {
      id: instance.instanceId,
      arn: `arn:aws:drs:${job.region}:${job.account}:recovery-instance/${instance.instanceId}`,
      account: job.account,
      region: job.region,
      sourceId: source.id,
      jobId: job.id,
      isDrill: job.isDrill,
      pointInTime: server.snapshot?.dataAt ?? server.times.snapshotEnd,
      launchedAt: at,
      tags: { ...source.tags },
      originRegion: source.originRegion,
    };
    this.state.recoveryInstances.set(instance.instanceId, recovered);
    this.estate.record(
      'recovery-launched',
      {
        jobId: job.id,
        server: server.name,
        sourceServerId: source.id,
        region: job.region,
        instanceId: instance.instanceId,
        instanceType: instanceTypeOf(instance),
        isDrill: job.isDrill,
        snapshotId: server.snapshot?.id,
        usedPreviousSnapshot: server.usedPrevious,
        dataAt: iso(server.snapshot?.dataAt ?? server.times.snapshotEnd),
        launchedAt: iso(at),
        agentRegion: instance.agentRegion,
      },
      at,
    );
  }

  private newInstance(job: Job, source: Source): Instance {
    const id = `i-0${this.random.hex(`instance:${job.id}:${source.id}`, 16)}`;
    const origin = this.estate.instances.get(source.originInstanceId);
    const ip =
      source.launchConfig.copyPrivateIp && origin
        ? origin.privateIp
        : `10.250.${this.random.between(`ipc:${id}`, 0, 255)}.${this.random.between(`ipd:${id}`, 4, 254)}`;
    const instance: Instance = {
      instanceId: id,
      account: job.account,
      region: job.region,
      privateIp: ip,
      tags: {
        ...(source.launchConfig.copyTags ? (origin?.tags ?? {}) : {}),
        Name: source.name,
        AWSElasticDisasterRecoveryManaged: 'drs.amazonaws.com',
        ...(job.isDrill ? { 'lifeboat:drill': 'true' } : {}),
      },
      state: 'stopped',
      launchTime: job.createdAt,
      hasDisks: true,
      platform: origin?.platform ?? 'Linux',
      ...(origin ? { instanceType: instanceTypeOf(origin) } : {}),
    };
    this.estate.instances.set(id, instance);
    return instance;
  }

  terminate(account: string, region: string, ids: string[]): Job {
    const now = this.estate.now();
    const instances = ids.map((id) => this.state.recoveryInstance(account, region, id));
    const { jobs } = this.state;
    const id = `drsjob-${this.random.hex(`terminate:${account}:${now}:${jobs.size}`, 17)}`;
    const job: Job = {
      id,
      arn: `arn:aws:drs:${region}:${account}:job/${id}`,
      account,
      region,
      type: 'TERMINATE',
      initiatedBy: 'TERMINATE_RECOVERY_INSTANCES',
      createdAt: now,
      isDrill: instances.every((i) => i.isDrill),
      tags: {},
      servers: instances.map((ri) => {
        const end = now + this.random.between(`term:${ri.id}:${now}`, 30, 90) * 1000;
        return {
          sourceId: ri.sourceId,
          name: this.state.sources.get(ri.sourceId)?.name ?? ri.sourceId,
          usedPrevious: false,
          recoveryInstanceId: ri.id,
          times: {
            snapshotStart: now,
            snapshotEnd: now,
            conversionStart: now,
            conversionEnd: now,
            launchStart: now,
            end,
          },
        };
      }),
    };
    for (const server of job.servers)
      this.estate.schedule(server.times.end, () => this.finishTermination(server));
    jobs.set(id, job);
    return job;
  }

  private finishTermination(server: JobServer): void {
    const ri = server.recoveryInstanceId
      ? this.state.recoveryInstances.get(server.recoveryInstanceId)
      : undefined;
    if (!ri) return;
    const instance = this.estate.instances.get(ri.id);
    if (instance)
      this.estate.terminate(instance, 'drs:TerminateRecoveryInstances', server.times.end);
    this.state.recoveryInstances.delete(ri.id);
    const source = this.state.sources.get(ri.sourceId);
    if (source?.recoveryInstanceId === ri.id) source.recoveryInstanceId = undefined;
  }
}

function quotaError(message: string, quotaCode: string): AwsError {
  return new AwsError('ServiceQuotaExceededException', message, 402, {
    serviceCode: 'drs',
    quotaCode,
    resourceType: 'JOB',
  });
}
