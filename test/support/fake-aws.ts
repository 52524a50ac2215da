import {
  AwsCallError,
  RegionUnreachableError,
  ThrottledError,
} from '../../orchestrator/domain/errors.ts';
import { DRS_QUOTAS } from '../../orchestrator/domain/settings.ts';
import type {
  CommandResult,
  DnsChangeRequest,
  DnsPort,
  Ec2Port,
  HookPort,
  InstanceView,
  RegionServices,
  ServicesFor,
  SsmPort,
} from '../../orchestrator/ports/aws.ts';
import { VirtualClock } from '../../sandbox/aws/clock.ts';
import { FakeDrs } from './fake-drs.ts';
import { FakeRouting } from './fake-routing.ts';

export { FakeDrs } from './fake-drs.ts';
export { FakeRouting } from './fake-routing.ts';

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

/** EC2 of one region: instances that stop at once, recovery instances running with checks ok. */
export class FakeEc2 implements Ec2Port {
  readonly instances = new Map<string, InstanceView>();
  /** Subnet and security group ids that exist (the bubble network). */
  readonly network = new Set<string>();

  constructor(private readonly region: FakeRegion) {}

  addInstances(
    instanceIds: readonly string[],
    state = 'running',
    tags: Record<string, string> = {},
  ): this {
    for (const instanceId of instanceIds)
      this.instances.set(instanceId, {
        instanceId,
        state,
        statusOk: state === 'running',
        tags: { ...tags },
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

  /** As EC2's InstanceIds: one id that does not exist fails the whole call. */
  async describe(instanceIds: string[]): Promise<InstanceView[]> {
    const found = await this.findInstances(instanceIds);
    const missing = instanceIds.filter((id) => !this.instances.has(id));
    if (missing.length > 0)
      throw new Error(
        `InvalidInstanceID.NotFound: The instance IDs '${missing.join(', ')}' do not exist`,
      );
    return found;
  }

  /** As EC2's `instance-id` filter: ids that do not exist are left out. */
  async findInstances(instanceIds: string[]): Promise<InstanceView[]> {
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
  readonly commands: { document: string; instanceIds: string[]; comment?: string; at: number }[] =
    [];

  constructor(private readonly region: FakeRegion) {}

  async onlineInstances(instanceIds: string[]): Promise<Set<string>> {
    this.region.call('ssm.DescribeInstanceInformation');
    return new Set(instanceIds);
  }

  async sendCommand(
    document: string,
    instanceIds: string[],
    _parameters?: Record<string, string[]>,
    _timeoutSeconds?: number,
    comment?: string,
  ): Promise<string> {
    this.region.call('ssm.SendCommand');
    const at = this.region.clock.now();
    this.commands.push({ document, instanceIds, at, ...(comment ? { comment } : {}) });
    return `cmd-${this.commands.length}`;
  }

  async findCommand(document: string, comment: string, since: number): Promise<string | undefined> {
    this.region.call('ssm.ListCommands');
    const i = this.commands.findIndex(
      (c) => c.document === document && c.comment === comment && c.at >= since,
    );
    return i < 0 ? undefined : `cmd-${i + 1}`;
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
