import {
  AwsCallError,
  RegionUnreachableError,
  ThrottledError,
} from '../../orchestrator/domain/errors.ts';
import type { DrsSelector } from '../../orchestrator/domain/plan.ts';
import { DRS_QUOTAS } from '../../orchestrator/domain/settings.ts';
import type {
  CommandResult,
  ControlState,
  DnsChangeRequest,
  DnsPort,
  DrsPort,
  Ec2Port,
  EndpointProbe,
  HookPort,
  InstanceView,
  JobEvent,
  JobView,
  RecoveryInstanceView,
  RegionServices,
  RoutingControlView,
  RoutingPort,
  ServicesFor,
  SnapshotView,
  SourceServerView,
  SsmPort,
} from '../../orchestrator/ports/aws.ts';
import { VirtualClock } from '../../sandbox/aws/clock.ts';

/**
 * Hand-written fakes of the AWS ports (orchestrator/ports/aws.ts), for unit tests of the step
 * executors: no network, no simulators, time only moves when a test advances the clock. Each
 * region has its own services; a region can be made unreachable, and any call can be made to
 * fail (throttled, refused) a number of times.
 */
export class FakeAws {
  readonly clock: VirtualClock;
  private readonly quotas: DrsQuotas;
  private readonly regions = new Map<string, FakeRegion>();

  /** `quotas`: what DRS refuses above. @default DRS's own quotas */
  constructor(options: { start?: number; quotas?: DrsQuotas } = {}) {
    this.clock = new VirtualClock({ start: options.start ?? Date.UTC(2026, 0, 5, 3), speed: 0 });
    this.quotas = options.quotas ?? {
      serversPerJob: DRS_QUOTAS.serversPerJob,
      concurrentJobs: DRS_QUOTAS.concurrentJobs,
      serversInActiveJobs: DRS_QUOTAS.serversInActiveJobs,
    };
  }

  region(name: string): FakeRegion {
    let region = this.regions.get(name);
    if (!region) {
      region = new FakeRegion(name, this.clock, this.quotas);
      this.regions.set(name, region);
    }
    return region;
  }

  readonly servicesFor: ServicesFor = (region) => this.region(region).services;

  /** The deployment's ARC cluster: its routing controls, by name. */
  readonly routing = new FakeRouting();

  now = (): number => this.clock.now();

  advance(seconds: number): void {
    this.clock.advance(seconds * 1000);
  }
}

export interface DrsQuotas {
  serversPerJob: number;
  concurrentJobs: number;
  serversInActiveJobs: number;
}

interface Fault {
  operation: string;
  error: () => Error;
  /** Calls to let through before failing. */
  skip: number;
  times: number;
}

/** A service that answered ThrottlingException: retry later. */
export const throttling = (service: string, operation: string) => () =>
  new ThrottledError({ service, operation, code: 'ThrottlingException', detail: 'Rate exceeded' });

export class FakeRegion {
  readonly drs: FakeDrs;
  readonly ec2: FakeEc2;
  readonly dns: FakeDns;
  readonly ssm: FakeSsm;
  readonly hooks: FakeHooks;
  /** Every call made, as `service.Operation`, in order. */
  readonly calls: string[] = [];
  /** No endpoint of the region answers (connection refused): the region is gone. */
  unreachable = false;
  private readonly faults: Fault[] = [];

  constructor(
    readonly name: string,
    readonly clock: VirtualClock,
    quotas: DrsQuotas,
  ) {
    this.ec2 = new FakeEc2(this);
    this.drs = new FakeDrs(this, quotas);
    this.dns = new FakeDns(this);
    this.ssm = new FakeSsm(this);
    this.hooks = new FakeHooks(this);
  }

  get services(): RegionServices {
    const { drs, ec2, dns, ssm, hooks } = this;
    return { drs, ec2, dns, ssm, hooks };
  }

  /** `operation` (`drs.StartRecovery`) fails `times` times, after letting `skip` calls through. */
  failOn(operation: string, error: () => Error, options: { skip?: number; times?: number } = {}) {
    this.faults.push({ operation, error, skip: options.skip ?? 0, times: options.times ?? 1 });
    return this;
  }

  /** Called by every fake method first: records the call, then fails it if it should. */
  call(operation: string): void {
    this.calls.push(operation);
    const [service = '', name = ''] = operation.split('.');
    if (this.unreachable) {
      throw new RegionUnreachableError({
        service,
        operation: name,
        code: 'ECONNREFUSED',
        detail: 'connect ECONNREFUSED',
        region: this.name,
      });
    }
    const fault = this.faults.find((f) => f.operation === operation && f.times > 0);
    if (!fault) return;
    if (fault.skip > 0) {
      fault.skip -= 1;
      return;
    }
    fault.times -= 1;
    throw fault.error();
  }
}

interface FakeJob {
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

/** EC2 of one region: instances that stop at once, recovery instances running with checks ok. */
export class FakeEc2 implements Ec2Port {
  readonly instances = new Map<string, InstanceView>();
  /** Subnet and security group ids that exist (the bubble network). */
  readonly network = new Set<string>();

  constructor(private readonly region: FakeRegion) {}

  addInstances(instanceIds: readonly string[], state = 'running'): this {
    for (const instanceId of instanceIds)
      this.instances.set(instanceId, {
        instanceId,
        state,
        statusOk: state === 'running',
        tags: {},
      });
    return this;
  }

  launch(instanceId: string, at: number): void {
    if (this.instances.has(instanceId)) return;
    this.instances.set(instanceId, {
      instanceId,
      state: 'running',
      statusOk: true,
      tags: {},
      launchedAt: at,
    });
  }

  async describe(instanceIds: string[]): Promise<InstanceView[]> {
    this.region.call('ec2.DescribeInstances');
    return instanceIds.flatMap((id) => {
      const view = this.instances.get(id);
      return view ? [view] : [];
    });
  }

  async stop(instanceIds: string[]): Promise<void> {
    this.region.call('ec2.StopInstances');
    for (const id of instanceIds) {
      const view = this.instances.get(id);
      if (view) this.instances.set(id, { ...view, state: 'stopped', statusOk: false });
    }
  }

  /** Gives instances a type (as EC2 would show it). */
  typeInstances(instanceType: string, ...instanceIds: string[]): this {
    for (const id of instanceIds) {
      const view = this.instances.get(id);
      if (view) this.instances.set(id, { ...view, instanceType });
    }
    return this;
  }

  /** Every type change, in order. */
  readonly typeChanges: { instanceId: string; instanceType: string }[] = [];

  async setInstanceType(instanceId: string, instanceType: string): Promise<void> {
    this.region.call('ec2.ModifyInstanceAttribute');
    const view = this.instances.get(instanceId);
    if (view && view.state !== 'stopped')
      throw new AwsCallError({
        service: 'ec2',
        operation: 'ModifyInstanceAttribute',
        code: 'IncorrectInstanceState',
        retryable: false,
        detail: `The instance '${instanceId}' is not in the 'stopped' state.`,
      });
    this.typeChanges.push({ instanceId, instanceType });
    if (view) this.instances.set(instanceId, { ...view, instanceType });
  }

  async missingNetwork(subnetId: string, securityGroupIds: string[]): Promise<string[]> {
    this.region.call('ec2.DescribeSubnets');
    return [subnetId, ...securityGroupIds].filter((id) => !this.network.has(id));
  }
}

/** Route 53 as seen from one region: zones that exist, changes INSYNC at once. */
export class FakeDns implements DnsPort {
  readonly zones = new Set<string>();
  readonly changes: { zoneId: string; changes: DnsChangeRequest[] }[] = [];

  constructor(private readonly region: FakeRegion) {}

  async upsert(zoneId: string, changes: DnsChangeRequest[]): Promise<string> {
    this.region.call('route53.ChangeResourceRecordSets');
    this.changes.push({ zoneId, changes });
    return `change-${this.changes.length}`;
  }

  async changeStatus(): Promise<{ status: 'PENDING' | 'INSYNC'; at?: number }> {
    this.region.call('route53.GetChange');
    return { status: 'INSYNC', at: this.region.clock.now() };
  }

  async zoneExists(zoneId: string): Promise<boolean> {
    this.region.call('route53.GetHostedZone');
    return this.zones.has(zoneId);
  }

  /** Failover sets by zone and name (`${zone} ${name}`); every name has both unless told. */
  readonly failover = new Map<string, ('PRIMARY' | 'SECONDARY')[]>();

  async failoverSets(zoneId: string, name: string): Promise<('PRIMARY' | 'SECONDARY')[]> {
    this.region.call('route53.ListResourceRecordSets');
    return this.failover.get(`${zoneId} ${name}`) ?? ['PRIMARY', 'SECONDARY'];
  }
}

/** SSM of one region: every agent online, every command a success at once. */
export class FakeSsm implements SsmPort {
  readonly commands: { document: string; instanceIds: string[] }[] = [];

  constructor(private readonly region: FakeRegion) {}

  async onlineInstances(instanceIds: string[]): Promise<Set<string>> {
    this.region.call('ssm.DescribeInstanceInformation');
    return new Set(instanceIds);
  }

  async sendCommand(document: string, instanceIds: string[]): Promise<string> {
    this.region.call('ssm.SendCommand');
    this.commands.push({ document, instanceIds });
    return `cmd-${this.commands.length}`;
  }

  async commandResults(_commandId: string, instanceIds: string[]): Promise<CommandResult[]> {
    this.region.call('ssm.ListCommandInvocations');
    const endedAt = this.region.clock.now();
    return instanceIds.map((instanceId) => ({ instanceId, status: 'Success', endedAt }));
  }
}

/** Lambda and CloudFormation hooks of one region: each succeeds at once. */
export class FakeHooks implements HookPort {
  readonly invoked: string[] = [];

  constructor(private readonly region: FakeRegion) {}

  async invokeLambda(functionName: string): Promise<{ ok: boolean; detail: string }> {
    this.region.call('lambda.Invoke');
    this.invoked.push(functionName);
    return { ok: true, detail: 'ok' };
  }

  async deployStack(): Promise<void> {
    this.region.call('cloudformation.CreateStack');
  }

  async deleteStack(): Promise<void> {
    this.region.call('cloudformation.DeleteStack');
  }

  async stackStatus(): Promise<{ done: boolean; ok: boolean; detail: string }> {
    this.region.call('cloudformation.DescribeStacks');
    return { done: true, ok: true, detail: 'CREATE_COMPLETE' };
  }
}

/**
 * ARC's cluster data plane: routing controls by name, five endpoints some of which may be
 * down, and a refusal (a safety rule's ConflictException) that can be set.
 */
export class FakeRouting implements RoutingPort {
  readonly controls = new Map<string, RoutingControlView>();
  readonly updates: { arn: string; state: ControlState }[][] = [];
  readonly endpoints = ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-southeast-2', 'ap-northeast-1'];
  readonly down = new Set<string>();
  /** When set, every update is refused with this as ARC's reason. */
  refuse?: string;

  add(name: string, state: ControlState): void {
    this.controls.set(name, {
      arn: `arn:aws:route53-recovery-control::000000000000:controlpanel/p/routingcontrol/${name}`,
      name,
      controlPanelArn: 'arn:aws:route53-recovery-control::000000000000:controlpanel/p',
      state,
    });
  }

  stateByName(name: string): ControlState | undefined {
    return this.controls.get(name)?.state;
  }

  async listControls(): Promise<RoutingControlView[]> {
    return [...this.controls.values()].map((c) => ({ ...c }));
  }

  async stateOf(arn: string): Promise<ControlState> {
    const control = [...this.controls.values()].find((c) => c.arn === arn);
    if (!control)
      throw new AwsCallError({
        service: 'route53-recovery-cluster',
        operation: 'GetRoutingControlState',
        code: 'ResourceNotFoundException',
        retryable: false,
        detail: arn,
      });
    return control.state;
  }

  async update(states: { arn: string; state: ControlState }[]): Promise<{ endpoint: string }> {
    if (this.refuse)
      throw new AwsCallError({
        service: 'route53-recovery-cluster',
        operation: 'UpdateRoutingControlStates',
        code: 'ConflictException',
        retryable: false,
        detail: this.refuse,
      });
    this.updates.push(states);
    for (const { arn, state } of states) {
      const control = [...this.controls.values()].find((c) => c.arn === arn);
      if (control) control.state = state;
    }
    return { endpoint: this.endpoints.find((e) => !this.down.has(e)) ?? '' };
  }

  async probeEndpoints(): Promise<EndpointProbe[]> {
    return this.endpoints.map((region) =>
      this.down.has(region) ? { region, ok: false, detail: 'ECONNRESET' } : { region, ok: true },
    );
  }
}
