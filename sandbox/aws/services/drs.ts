import { z } from 'zod';
import { AwsError } from '../errors.ts';
import type { Estate } from '../estate.ts';
import { describeProblems, type InputProblem, parseInput } from '../input.ts';
import {
  isoDuration,
  json,
  type SimRequest,
  type SimResponse,
  type SimService,
} from '../protocol.ts';
import { DrsState, iso, type Job, type RecoveryInstance, type Source } from './drs-state.ts';
import { jobEnd, readJobLog, readJobStatus, readLaunchStatus } from './drs-timeline.ts';

const SourceServerId = z.string().regex(/^s-[0-9a-zA-Z]{17}$/);
const JobId = z.string().regex(/^drsjob-[0-9a-zA-Z]{17}$/);
const RecoveryInstanceId = z
  .string()
  .min(10)
  .max(19)
  .regex(/^i-[0-9a-fA-F]{8,}$/);
const DateTime = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), 'Member must be an ISO 8601 date-time');
const Tags = z.record(z.string().max(256), z.string().max(256));
/** Paging: `nextToken` is the offset of the next item. */
const Paging = {
  maxResults: z.number().int().min(1).max(1000).optional(),
  nextToken: z.string().regex(/^\d*$/).optional(),
};
const BySourceServer = z.object({ sourceServerID: SourceServerId });

const DescribeSourceServersInput = z.object({
  filters: z.object({ sourceServerIDs: z.array(SourceServerId).max(200).optional() }).optional(),
  ...Paging,
});
const DescribeRecoverySnapshotsInput = z.object({
  sourceServerID: SourceServerId,
  filters: z
    .object({ fromDateTime: DateTime.optional(), toDateTime: DateTime.optional() })
    .optional(),
  order: z.enum(['ASC', 'DESC']).optional(),
  ...Paging,
});
const StartRecoveryInput = z.object({
  sourceServers: z
    .array(
      z.object({
        sourceServerID: SourceServerId,
        recoverySnapshotID: z
          .string()
          .regex(/^pit-[0-9a-zA-Z]{17}$/)
          .optional(),
      }),
    )
    .min(1)
    .max(200),
  isDrill: z.boolean().optional(),
  tags: Tags.optional(),
});
const DescribeJobsInput = z.object({
  filters: z
    .object({
      jobIDs: z.array(JobId).max(1000).optional(),
      fromDate: DateTime.optional(),
      toDate: DateTime.optional(),
    })
    .optional(),
  ...Paging,
});
const DescribeJobLogItemsInput = z.object({ jobID: JobId, ...Paging });
const DescribeRecoveryInstancesInput = z.object({
  filters: z
    .object({
      recoveryInstanceIDs: z.array(RecoveryInstanceId).max(200).optional(),
      sourceServerIDs: z.array(SourceServerId).max(200).optional(),
    })
    .optional(),
  ...Paging,
});
const TerminateRecoveryInstancesInput = z.object({
  recoveryInstanceIDs: z.array(RecoveryInstanceId).min(1).max(200),
});
const ReverseReplicationInput = z.object({ recoveryInstanceID: RecoveryInstanceId });
const UpdateLaunchConfigurationInput = z.object({
  sourceServerID: SourceServerId,
  name: z.string().max(256).optional(),
  launchDisposition: z.enum(['STOPPED', 'STARTED']).optional(),
  targetInstanceTypeRightSizingMethod: z.enum(['NONE', 'BASIC', 'IN_AWS']).optional(),
  copyPrivateIp: z.boolean().optional(),
  copyTags: z.boolean().optional(),
  licensing: z.object({ osByol: z.boolean() }).optional(),
  postLaunchEnabled: z.boolean().optional(),
  launchIntoInstanceProperties: z
    .object({ launchIntoEC2InstanceID: z.string().optional() })
    .optional(),
});
const TagResourceInput = z.object({ resourceArn: z.string().min(20), tags: Tags });
const UntagResourceInput = z.object({
  resourceArn: z.string().min(20),
  tagKeys: z.array(z.string().max(256)).min(1).max(50),
});
const ListTagsForResourceInput = z.object({ resourceArn: z.string().min(20) });

type Body = Record<string, unknown>;
type Handler = (req: SimRequest, input: unknown) => SimResponse;

/** DRS's ValidationException: which fields failed, and why. */
function invalid(problems: InputProblem[]): AwsError {
  return new AwsError('ValidationException', describeProblems(problems), 400, {
    reason: 'fieldValidationFailed',
    fieldList: problems.map((p) => ({ name: p.field, message: p.constraint })),
  });
}

/** An operation: its input schema, and what it does with the parsed input. */
function operation<S extends z.ZodType>(
  schema: S,
  run: (req: SimRequest, input: z.output<S>) => SimResponse,
): Handler {
  return (req, input) => run(req, parseInput(schema, input, invalid));
}

/** A page of a list: `nextToken` is the offset of the next item. */
function page<T>(
  items: T[],
  input: { maxResults?: number | undefined; nextToken?: string | undefined },
): { items: T[]; nextToken?: string } {
  const max = input.maxResults ?? 1000;
  const start = Number(input.nextToken || 0);
  const slice = items.slice(start, start + max);
  return start + max < items.length
    ? { items: slice, nextToken: String(start + max) }
    : { items: slice };
}

/** A page as DRS answers it: `items`, and `nextToken` when there are more. */
function listed<T>(
  items: T[],
  input: Parameters<typeof page>[1],
  render: (item: T) => unknown,
): SimResponse {
  const { items: slice, nextToken } = page(items, input);
  return json(200, { items: slice.map(render), ...(nextToken ? { nextToken } : {}) });
}

/**
 * AWS Elastic Disaster Recovery (REST-JSON: `POST /<Operation>`, errors named by
 * `x-amzn-ErrorType`). Parses each request with its operation's schema, asks the model, renders
 * the answer. Source servers are listed in the region they replicate into.
 */
export class DrsService implements SimService {
  readonly signingName = 'drs';
  readonly state: DrsState;
  private readonly handlers: Record<string, Handler>;

  constructor(private readonly estate: Estate) {
    this.state = new DrsState(estate);
    const { state } = this;
    this.handlers = {
      DescribeSourceServers: operation(DescribeSourceServersInput, (req, input) => {
        const ids = input.filters?.sourceServerIDs;
        const sources = state
          .sourcesIn(req.account, req.region)
          .filter((s) => !ids || ids.includes(s.id));
        return listed(sources, input, (s) => this.sourceServer(s));
      }),
      DescribeRecoverySnapshots: operation(DescribeRecoverySnapshotsInput, (req, input) => {
        const source = state.source(req.account, req.region, input.sourceServerID);
        const from = dateOr(input.filters?.fromDateTime, -Infinity);
        const to = dateOr(input.filters?.toDateTime, Infinity);
        const snapshots = state
          .snapshots(source)
          .filter((s) => s.expectedAt >= from && s.expectedAt <= to);
        if (input.order === 'ASC') snapshots.reverse();
        return listed(snapshots, input, (s) => ({
          snapshotID: s.id,
          sourceServerID: s.sourceServerId,
          expectedTimestamp: iso(s.expectedAt),
          timestamp: iso(s.dataAt),
          ebsSnapshots: [`snap-${s.id.slice(4, 21)}`],
        }));
      }),
      StartRecovery: operation(StartRecoveryInput, (req, input) => {
        const job = state.startRecovery(req.account, req.region, {
          sourceServers: input.sourceServers,
          isDrill: input.isDrill === true,
          tags: input.tags ?? {},
        });
        return json(202, { job: this.job(job) });
      }),
      DescribeJobs: operation(DescribeJobsInput, (req, input) => {
        const { jobIDs: ids, fromDate, toDate } = input.filters ?? {};
        const from = dateOr(fromDate, -Infinity);
        const to = dateOr(toDate, Infinity);
        const jobs = state
          .jobsIn(req.account, req.region)
          .filter((j) => (!ids || ids.includes(j.id)) && j.createdAt >= from && j.createdAt <= to);
        return listed(jobs, input, (j) => this.job(j));
      }),
      DescribeJobLogItems: operation(DescribeJobLogItemsInput, (req, input) => {
        const job = state.job(req.account, req.region, input.jobID);
        return listed(readJobLog(job, this.estate.now()), input, (e) => ({
          logDateTime: iso(e.at),
          event: e.event,
          eventData: e.data,
        }));
      }),
      DescribeRecoveryInstances: operation(DescribeRecoveryInstancesInput, (req, input) => {
        const { recoveryInstanceIDs: ids, sourceServerIDs: sources } = input.filters ?? {};
        const list = state
          .recoveryInstancesIn(req.account, req.region)
          .filter(
            (r) => (!ids || ids.includes(r.id)) && (!sources || sources.includes(r.sourceId)),
          );
        return listed(list, input, (r) => this.recoveryInstance(r));
      }),
      TerminateRecoveryInstances: operation(TerminateRecoveryInstancesInput, (req, input) =>
        json(200, {
          job: this.job(state.terminate(req.account, req.region, input.recoveryInstanceIDs)),
        }),
      ),
      ReverseReplication: operation(ReverseReplicationInput, (req, input) =>
        json(200, {
          reversedDirectionSourceServerArn: state.reverse(
            req.account,
            req.region,
            input.recoveryInstanceID,
          ).arn,
        }),
      ),
      StartReplication: operation(BySourceServer, (req, input) =>
        this.replication(req, input, true),
      ),
      StopReplication: operation(BySourceServer, (req, input) =>
        this.replication(req, input, false),
      ),
      GetLaunchConfiguration: operation(BySourceServer, (req, input) =>
        json(200, launchConfiguration(state.source(req.account, req.region, input.sourceServerID))),
      ),
      UpdateLaunchConfiguration: operation(UpdateLaunchConfigurationInput, (req, input) => {
        const { sourceServerID, ...update } = input;
        const source = state.updateLaunchConfiguration(
          req.account,
          req.region,
          sourceServerID,
          withoutUndefined(update),
        );
        return json(200, launchConfiguration(source));
      }),
      TagResource: operation(TagResourceInput, (req, input) => {
        state.tag(req.account, input.resourceArn, input.tags);
        return { status: 204, body: '' };
      }),
      UntagResource: operation(UntagResourceInput, (req, input) => {
        state.untag(req.account, input.resourceArn, input.tagKeys);
        return { status: 204, body: '' };
      }),
      ListTagsForResource: operation(ListTagsForResourceInput, (req, input) =>
        json(200, { tags: state.resource(req.account, input.resourceArn).tags }),
      ),
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
    const handler = this.handlers[operation];
    if (!handler)
      throw new AwsError(
        'UnknownOperationException',
        `The local DRS does not simulate ${operation}.`,
        404,
      );
    return handler(req, inputOf(req, operation));
  }

  private replication(req: SimRequest, input: { sourceServerID: string }, on: boolean) {
    const source = this.state.setReplication(req.account, req.region, input.sourceServerID, on);
    return json(200, { sourceServer: this.sourceServer(source) });
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

  job(job: Job): Body {
    const now = this.estate.now();
    const status = readJobStatus(job, now);
    return {
      jobID: job.id,
      arn: job.arn,
      type: job.type,
      initiatedBy: job.initiatedBy,
      creationDateTime: iso(job.createdAt),
      ...(status === 'COMPLETED' ? { endDateTime: iso(jobEnd(job)) } : {}),
      status,
      participatingServers: job.servers.map((s) => ({
        sourceServerID: s.sourceId,
        ...(s.recoveryInstanceId ? { recoveryInstanceID: s.recoveryInstanceId } : {}),
        launchStatus: readLaunchStatus(job, s, now),
      })),
      tags: job.tags,
    };
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

/** The operation's input as one object: the JSON body, and for tags the ARN in the path and the keys in the query. */
function inputOf(req: SimRequest, operation: string): unknown {
  let body: unknown;
  try {
    body = JSON.parse(req.body || '{}');
  } catch {
    throw new AwsError('ValidationException', 'The request body is not valid JSON.', 400, {
      reason: 'cannotParse',
    });
  }
  if (!req.path.startsWith('/tags/')) return body;
  const resourceArn = decodeURIComponent(req.path.slice('/tags/'.length));
  if (operation === 'UntagResource') return { resourceArn, tagKeys: req.query.getAll('tagKeys') };
  return { ...(typeof body === 'object' ? body : {}), resourceArn };
}

function dateOr(text: string | undefined, otherwise: number): number {
  return text === undefined ? otherwise : Date.parse(text);
}

function launchConfiguration(source: Source): Body {
  return {
    sourceServerID: source.id,
    ec2LaunchTemplateID: `lt-${source.id.slice(2, 19)}`,
    ...source.launchConfig,
  };
}

/** Zod keeps an optional member that was absent as `undefined`; the launch settings should not. */
function withoutUndefined<T extends object>(
  value: T,
): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as never;
}
