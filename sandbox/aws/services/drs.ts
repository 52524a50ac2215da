import { AwsError } from '../errors.ts';
import type { Estate } from '../estate.ts';
import {
  isoDuration,
  json,
  type SimRequest,
  type SimResponse,
  type SimService,
} from '../protocol.ts';
import {
  DrsState,
  iso,
  type Job,
  type JobServer,
  jobEnd,
  type LaunchConfig,
  type LaunchStatus,
  type RecoveryInstance,
  type Source,
} from './drs-state.ts';

type Body = Record<string, unknown>;
type Handler = (req: SimRequest, body: Body) => SimResponse;

/** Pages of a list: `nextToken` is the offset of the next item. */
function page<T>(items: T[], body: Body, limit = 1000): { items: T[]; nextToken?: string } {
  const max = typeof body.maxResults === 'number' ? body.maxResults : limit;
  if (max < 1 || max > limit)
    throw new AwsError('ValidationException', `maxResults must be between 1 and ${limit}`, 400, {
      reason: 'fieldValidationFailed',
    });
  const start = Number(body.nextToken ?? 0);
  const slice = items.slice(start, start + max);
  return start + max < items.length
    ? { items: slice, nextToken: String(start + max) }
    : { items: slice };
}

function strings(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.map(String) : undefined;
}

function required(body: Body, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '') {
    throw new AwsError('ValidationException', `${field} is required`, 400, {
      reason: 'fieldValidationFailed',
      fieldList: [{ name: field, message: 'required' }],
    });
  }
  return value;
}

/**
 * AWS Elastic Disaster Recovery (REST-JSON: `POST /<Operation>`, errors named by
 * `x-amzn-ErrorType`). Source servers are listed in the region they replicate into.
 */
export class DrsService implements SimService {
  readonly signingName = 'drs';
  readonly state: DrsState;
  private readonly handlers: Record<string, Handler>;

  constructor(private readonly estate: Estate) {
    this.state = new DrsState(estate);
    this.handlers = {
      DescribeSourceServers: (req, body) => this.describeSourceServers(req, body),
      DescribeRecoverySnapshots: (req, body) => this.describeRecoverySnapshots(req, body),
      StartRecovery: (req, body) => this.startRecovery(req, body),
      DescribeJobs: (req, body) => this.describeJobs(req, body),
      DescribeJobLogItems: (req, body) => this.describeJobLogItems(req, body),
      DescribeRecoveryInstances: (req, body) => this.describeRecoveryInstances(req, body),
      TerminateRecoveryInstances: (req, body) =>
        json(200, {
          job: this.job(
            this.state.terminate(req.account, req.region, strings(body.recoveryInstanceIDs) ?? []),
          ),
        }),
      ReverseReplication: (req, body) =>
        json(200, {
          reversedDirectionSourceServerArn: this.state.reverse(
            req.account,
            req.region,
            required(body, 'recoveryInstanceID'),
          ).arn,
        }),
      StartReplication: (req, body) => this.setReplication(req, body, true),
      StopReplication: (req, body) => this.setReplication(req, body, false),
      GetLaunchConfiguration: (req, body) =>
        json(
          200,
          this.launchConfiguration(
            this.state.source(req.account, req.region, required(body, 'sourceServerID')),
          ),
        ),
      UpdateLaunchConfiguration: (req, body) => this.updateLaunchConfiguration(req, body),
    };
  }

  operationOf(req: SimRequest): string {
    if (req.path.startsWith('/tags/'))
      return (
        { GET: 'ListTagsForResource', POST: 'TagResource', DELETE: 'UntagResource' }[req.method] ??
        'Tags'
      );
    return req.path.slice(1);
  }

  handle(req: SimRequest, operation: string): SimResponse {
    this.estate.settleAll();
    if (['TagResource', 'UntagResource', 'ListTagsForResource'].includes(operation)) {
      return this.tags(req, operation);
    }
    const handler = this.handlers[operation];
    if (!handler)
      throw new AwsError(
        'UnknownOperationException',
        `The local DRS does not simulate ${operation}.`,
        404,
      );
    return handler(req, JSON.parse(req.body || '{}') as Body);
  }

  private describeSourceServers(req: SimRequest, body: Body): SimResponse {
    const filters = (body.filters ?? {}) as Body;
    const ids = strings(filters.sourceServerIDs);
    const sources = this.state
      .sourcesIn(req.account, req.region)
      .filter((s) => !ids || ids.includes(s.id));
    const { items, nextToken } = page(sources, body);
    return json(200, {
      items: items.map((s) => this.sourceServer(s)),
      ...(nextToken ? { nextToken } : {}),
    });
  }

  sourceServer(source: Source): Body {
    const now = this.estate.now();
    const lag = this.state.lag(source, now);
    const origin = this.estate.instances.get(source.originInstanceId);
    return {
      sourceServerID: source.id,
      arn: source.arn,
      tags: source.tags,
      recoveryInstanceId: source.recoveryInstanceId,
      lastLaunchResult: source.lastLaunch
        ? source.lastLaunch.status === 'LAUNCHED'
          ? 'SUCCEEDED'
          : source.lastLaunch.status === 'FAILED'
            ? 'FAILED'
            : 'PENDING'
        : 'NOT_STARTED',
      dataReplicationInfo: {
        dataReplicationState: lag.state,
        ...(lag.lagMs === undefined ? {} : { lagDuration: isoDuration(lag.lagMs) }),
        ...(lag.etaAt ? { etaDateTime: iso(lag.etaAt) } : {}),
        replicatedDisks: [
          {
            deviceName: '/dev/xvda',
            totalStorageBytes: 107_374_182_400,
            replicatedStorageBytes: lag.state === 'INITIAL_SYNC' ? 53_687_091_200 : 107_374_182_400,
            rescannedStorageBytes: 0,
            backloggedStorageBytes: 0,
          },
        ],
        stagingAvailabilityZone: `${source.region}a`,
        ...(lag.state === 'STALLED'
          ? {
              dataReplicationError: {
                error: 'NOT_CONVERGING',
                rawError: 'Replication is not converging (simulated stall).',
              },
            }
          : {}),
      },
      lifeCycle: {
        addedToServiceDateTime: iso(source.addedAt),
        firstByteDateTime: iso(source.addedAt + 60_000),
        elapsedReplicationDuration: isoDuration(now - source.addedAt),
        lastSeenByServiceDateTime: iso(lag.lastDataAt),
        ...(source.lastLaunch
          ? {
              lastLaunch: {
                initiated: {
                  apiCallDateTime: iso(source.lastLaunch.at),
                  jobID: source.lastLaunch.jobId,
                  type: source.lastLaunch.type,
                },
                status: source.lastLaunch.status,
              },
            }
          : {}),
      },
      sourceProperties: {
        lastUpdatedDateTime: iso(now),
        recommendedInstanceType: 'm5.xlarge',
        identificationHints: {
          hostname: source.name,
          fqdn: `${source.name}.internal`,
          awsInstanceID: source.originInstanceId,
        },
        networkInterfaces: origin
          ? [{ ips: [origin.privateIp], isPrimary: true, macAddress: '0a:00:00:00:00:01' }]
          : [],
        disks: [{ deviceName: '/dev/xvda', bytes: 107_374_182_400 }],
        cpus: [{ cores: 4, modelName: 'Intel Xeon' }],
        ramBytes: 17_179_869_184,
        os: {
          fullString:
            origin?.platform === 'Windows'
              ? 'Microsoft Windows Server 2019'
              : 'Red Hat Enterprise Linux 8',
        },
      },
      sourceCloudProperties: {
        originAccountID: source.account,
        originRegion: source.originRegion,
        originAvailabilityZone: `${source.originRegion}a`,
      },
      stagingArea: { status: 'NOT_EXTENDED' },
      replicationDirection: source.direction,
      ...(source.reversedArn ? { reversedDirectionSourceServerArn: source.reversedArn } : {}),
      agentVersion: '4.7.0',
    };
  }

  private describeRecoverySnapshots(req: SimRequest, body: Body): SimResponse {
    const source = this.state.source(req.account, req.region, required(body, 'sourceServerID'));
    const filters = (body.filters ?? {}) as Body;
    const from =
      typeof filters.fromDateTime === 'string' ? Date.parse(filters.fromDateTime) : -Infinity;
    const to = typeof filters.toDateTime === 'string' ? Date.parse(filters.toDateTime) : Infinity;
    let snapshots = this.state
      .snapshots(source)
      .filter((s) => s.expectedAt >= from && s.expectedAt <= to);
    if (body.order === 'ASC') snapshots = snapshots.reverse();
    const { items, nextToken } = page(snapshots, body);
    return json(200, {
      items: items.map((s) => ({
        snapshotID: s.id,
        sourceServerID: s.sourceServerId,
        expectedTimestamp: iso(s.expectedAt),
        timestamp: iso(s.dataAt),
        ebsSnapshots: [`snap-${s.id.slice(4, 21)}`],
      })),
      ...(nextToken ? { nextToken } : {}),
    });
  }

  private startRecovery(req: SimRequest, body: Body): SimResponse {
    const servers = Array.isArray(body.sourceServers)
      ? (body.sourceServers as { sourceServerID: string; recoverySnapshotID?: string }[])
      : [];
    const job = this.state.startRecovery(req.account, req.region, {
      sourceServers: servers,
      isDrill: body.isDrill === true,
      tags: (body.tags ?? {}) as Record<string, string>,
    });
    return json(202, { job: this.job(job) });
  }

  private describeJobs(req: SimRequest, body: Body): SimResponse {
    const filters = (body.filters ?? {}) as Body;
    const ids = strings(filters.jobIDs);
    const from = typeof filters.fromDate === 'string' ? Date.parse(filters.fromDate) : -Infinity;
    const to = typeof filters.toDate === 'string' ? Date.parse(filters.toDate) : Infinity;
    const jobs = [...this.state.jobs.values()]
      .filter((j) => j.account === req.account && j.region === req.region)
      .filter((j) => (!ids || ids.includes(j.id)) && j.createdAt >= from && j.createdAt <= to)
      .reverse();
    const { items, nextToken } = page(jobs, body);
    return json(200, { items: items.map((j) => this.job(j)), ...(nextToken ? { nextToken } : {}) });
  }

  job(job: Job): Body {
    const now = this.estate.now();
    const end = jobEnd(job);
    return {
      jobID: job.id,
      arn: job.arn,
      type: job.type,
      initiatedBy: job.initiatedBy,
      creationDateTime: iso(job.createdAt),
      ...(end <= now ? { endDateTime: iso(end) } : {}),
      status: now < job.createdAt + 5000 ? 'PENDING' : end <= now ? 'COMPLETED' : 'STARTED',
      participatingServers: job.servers.map((s) => ({
        sourceServerID: s.sourceId,
        ...(s.recoveryInstanceId ? { recoveryInstanceID: s.recoveryInstanceId } : {}),
        launchStatus: launchStatus(job, s, now),
      })),
      tags: job.tags,
    };
  }

  private describeJobLogItems(req: SimRequest, body: Body): SimResponse {
    const job = this.state.jobs.get(required(body, 'jobID'));
    if (!job || job.account !== req.account || job.region !== req.region) {
      throw new AwsError('ResourceNotFoundException', `Job ${String(body.jobID)} not found`, 404, {
        resourceId: String(body.jobID),
        resourceType: 'JOB',
      });
    }
    const { items, nextToken } = page(
      jobLog(job).filter((e) => e.at <= this.estate.now()),
      body,
    );
    return json(200, {
      items: items.map((e) => ({ logDateTime: iso(e.at), event: e.event, eventData: e.data })),
      ...(nextToken ? { nextToken } : {}),
    });
  }

  private describeRecoveryInstances(req: SimRequest, body: Body): SimResponse {
    const filters = (body.filters ?? {}) as Body;
    const ids = strings(filters.recoveryInstanceIDs);
    const sources = strings(filters.sourceServerIDs);
    const list = [...this.state.recoveryInstances.values()].filter(
      (r) =>
        r.account === req.account &&
        r.region === req.region &&
        (!ids || ids.includes(r.id)) &&
        (!sources || sources.includes(r.sourceId)),
    );
    const { items, nextToken } = page(list, body);
    return json(200, {
      items: items.map((r) => this.recoveryInstance(r)),
      ...(nextToken ? { nextToken } : {}),
    });
  }

  private recoveryInstance(ri: RecoveryInstance): Body {
    const instance = this.estate.instance(ri.id);
    const reversed = ri.reversedSourceId ? this.state.sources.get(ri.reversedSourceId) : undefined;
    const lag = reversed ? this.state.lag(reversed) : undefined;
    return {
      recoveryInstanceID: ri.id,
      ec2InstanceID: ri.id,
      ec2InstanceState: (instance?.state ?? 'NOT_FOUND').toUpperCase(),
      jobID: ri.jobId,
      sourceServerID: ri.sourceId,
      arn: ri.arn,
      tags: ri.tags,
      isDrill: ri.isDrill,
      pointInTimeSnapshotDateTime: iso(ri.pointInTime),
      originEnvironment: 'AWS',
      originAvailabilityZone: `${ri.originRegion}a`,
      recoveryInstanceProperties: {
        lastUpdatedDateTime: iso(ri.launchedAt),
        identificationHints: {
          hostname: this.state.sources.get(ri.sourceId)?.name,
          awsInstanceID: ri.id,
        },
        networkInterfaces: instance ? [{ ips: [instance.privateIp], isPrimary: true }] : [],
      },
      failback: {
        state: !reversed
          ? 'FAILBACK_NOT_STARTED'
          : lag?.state === 'CONTINUOUS'
            ? 'FAILBACK_READY_FOR_LAUNCH'
            : 'FAILBACK_NOT_READY_FOR_LAUNCH',
        failbackToOriginalServer: true,
      },
      ...(lag
        ? {
            dataReplicationInfo: {
              dataReplicationState: lag.state,
              ...(lag.lagMs === undefined ? {} : { lagDuration: isoDuration(lag.lagMs) }),
            },
          }
        : {}),
    };
  }

  private setReplication(req: SimRequest, body: Body, on: boolean): SimResponse {
    const source = this.state.source(req.account, req.region, required(body, 'sourceServerID'));
    if (on && source.replication === 'STOPPED') {
      source.replication = 'INITIAL_SYNC';
      source.syncDoneAt =
        this.estate.now() +
        this.estate.deps.random.between(`resync:${source.id}:${this.estate.now()}`, 5, 20) * 60_000;
    } else if (!on) {
      source.replication = 'STOPPED';
    }
    this.estate.record('replication', {
      sourceServerId: source.id,
      server: source.name,
      region: source.region,
      state: source.replication,
    });
    return json(200, { sourceServer: this.sourceServer(source) });
  }

  private launchConfiguration(source: Source): Body {
    return {
      sourceServerID: source.id,
      ec2LaunchTemplateID: `lt-${source.id.slice(2, 19)}`,
      ...source.launchConfig,
    };
  }

  private updateLaunchConfiguration(req: SimRequest, body: Body): SimResponse {
    const source = this.state.source(req.account, req.region, required(body, 'sourceServerID'));
    const fields = [
      'name',
      'launchDisposition',
      'targetInstanceTypeRightSizingMethod',
      'copyPrivateIp',
      'copyTags',
      'licensing',
      'postLaunchEnabled',
      'launchIntoInstanceProperties',
    ] as const;
    const update: Partial<LaunchConfig> = {};
    for (const field of fields)
      if (body[field] !== undefined) Object.assign(update, { [field]: body[field] });
    const target = update.launchIntoInstanceProperties?.launchIntoEC2InstanceID;
    if (target) {
      const instance = this.estate.instance(target);
      if (!instance || instance.account !== req.account || instance.region !== req.region) {
        throw new AwsError(
          'ValidationException',
          `Instance ${target} to launch into does not exist in ${req.region}.`,
          400,
          { reason: 'other' },
        );
      }
    }
    Object.assign(source.launchConfig, update);
    return json(200, this.launchConfiguration(source));
  }

  private tags(req: SimRequest, operation: string): SimResponse {
    const arn = decodeURIComponent(req.path.slice('/tags/'.length));
    const resource =
      [...this.state.sources.values()].find((s) => s.arn === arn) ??
      [...this.state.jobs.values()].find((j) => j.arn === arn) ??
      [...this.state.recoveryInstances.values()].find((r) => r.arn === arn);
    if (!resource || resource.account !== req.account)
      throw new AwsError('ResourceNotFoundException', `Resource ${arn} not found`, 404, {
        resourceId: arn,
      });
    if (operation === 'TagResource')
      Object.assign(
        resource.tags,
        (JSON.parse(req.body || '{}') as { tags?: Record<string, string> }).tags ?? {},
      );
    if (operation === 'UntagResource')
      for (const key of req.query.getAll('tagKeys')) delete resource.tags[key];
    return operation === 'ListTagsForResource'
      ? json(200, { tags: resource.tags })
      : { status: 204, body: '' };
  }

  renderError(error: AwsError): SimResponse {
    return json(
      error.status,
      { message: error.message, ...error.fields },
      { 'x-amzn-errortype': error.code },
    );
  }

  throttlingError(): AwsError {
    return new AwsError('ThrottlingException', 'Rate exceeded', 429, {
      serviceCode: 'drs',
      retryAfterSeconds: '1',
    });
  }
}

function launchStatus(job: Job, server: JobServer, now: number): LaunchStatus {
  if (job.type === 'TERMINATE') return server.times.end <= now ? 'TERMINATED' : 'IN_PROGRESS';
  if (server.times.end <= now) return server.failure ? 'FAILED' : 'LAUNCHED';
  return now >= server.times.launchStart ? 'IN_PROGRESS' : 'PENDING';
}

/** The log DRS keeps for a job: per server, the snapshot, conversion and launch, in time order. */
function jobLog(job: Job): { at: number; event: string; data?: Body }[] {
  const events: { at: number; event: string; data?: Body }[] = [
    { at: job.createdAt, event: 'JOB_START' },
  ];
  for (const s of job.servers) {
    const data = { sourceServerID: s.sourceId };
    const t = s.times;
    if (job.type === 'TERMINATE') {
      events.push(
        { at: t.snapshotStart, event: 'CLEANUP_START', data },
        { at: t.end, event: 'CLEANUP_END', data },
      );
      continue;
    }
    if (s.usedPrevious)
      events.push({ at: t.snapshotStart, event: 'USING_PREVIOUS_SNAPSHOT', data });
    else
      events.push(
        { at: t.snapshotStart, event: 'SNAPSHOT_START', data },
        { at: t.snapshotEnd, event: 'SNAPSHOT_END', data },
      );
    events.push(
      {
        at: t.conversionStart,
        event: 'CONVERSION_START',
        data: { ...data, conversionServerID: `i-0c${s.sourceId.slice(2, 17)}` },
      },
      { at: t.conversionEnd, event: 'CONVERSION_END', data },
      { at: t.launchStart, event: 'LAUNCH_START', data },
    );
    if (s.failure)
      events.push({ at: t.end, event: 'LAUNCH_FAILED', data: { ...data, rawError: s.failure } });
  }
  events.push({ at: jobEnd(job), event: 'JOB_END' });
  return events.sort((a, b) => a.at - b.at);
}
