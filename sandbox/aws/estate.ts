import type { Plan } from '../../orchestrator/domain/plan.ts';
import type { SimClock } from './clock.ts';
import type { FaultSet } from './faults.ts';
import type { SeededRandom } from './random.ts';

export type InstanceState =
  | 'pending'
  | 'running'
  | 'stopping'
  | 'stopped'
  | 'shutting-down'
  | 'terminated';

export interface Instance {
  instanceId: string;
  account: string;
  region: string;
  privateIp: string;
  tags: Record<string, string>;
  state: InstanceState;
  /** A state change under way: `state` becomes `to` at virtual time `at`. */
  transition?: { to: InstanceState; at: number };
  /** When the instance last started (virtual ms). */
  launchTime: number;
  /** When its status checks pass after the last start (virtual ms). */
  statusOkAt?: number;
  /** When it last finished stopping (virtual ms): replication drains from then. */
  stoppedAt?: number;
  /** The region its SSM agent reports to; undefined when it has no agent. */
  agentRegion?: string;
  /** Pre-created recovery instances have no disks until DRS launches into them. */
  hasDisks: boolean;
  platform: 'Linux' | 'Windows';
}

/** What really happened, for tests to hold Lifeboat's reports against. */
export interface TruthEvent {
  at: string;
  type: string;
  [field: string]: unknown;
}

/** One workload account: its customer, and how Lifeboat may assume its role. */
export interface Account {
  id: string;
  customerId: string;
  roleName: string;
  externalId: string;
}

/** Where a plan's server lives: for faults and ground truth written with plan names. */
export interface ServerHome {
  customerId: string;
  name: string;
  account: string;
  primaryRegion: string;
  recoveryRegion: string;
  primaryInstanceId: string;
  recoveryInstanceId: string;
  sourceServerId: string;
}

export interface EstateDeps {
  clock: SimClock;
  random: SeededRandom;
  faults: FaultSet;
}

/** The shared world of the simulators: accounts, EC2 instances and the ground-truth log. */
export class Estate {
  readonly accounts = new Map<string, Account>();
  readonly instances = new Map<string, Instance>();
  readonly servers = new Map<string, ServerHome>();
  readonly truth: TruthEvent[] = [];
  readonly plans: Plan[] = [];
  /** Services whose state moves with time (DRS jobs) settle here before anyone reads instances. */
  private readonly settlers: (() => void)[] = [];
  private settling = false;

  constructor(readonly deps: EstateDeps) {}

  onSettle(settle: () => void): void {
    this.settlers.push(settle);
  }

  /** Applies everything due by now, in every service, once per read. */
  settleAll(): void {
    if (this.settling) return;
    this.settling = true;
    try {
      for (const settle of this.settlers) settle();
    } finally {
      this.settling = false;
    }
  }

  now(): number {
    return this.deps.clock.now();
  }

  record(type: string, fields: Record<string, unknown>): void {
    this.truth.push({ at: new Date(this.now()).toISOString(), type, ...fields });
  }

  /** The instance as it is now: due transitions applied. */
  instance(instanceId: string): Instance | undefined {
    this.settleAll();
    const instance = this.instances.get(instanceId);
    if (instance) this.settle(instance);
    return instance;
  }

  instancesIn(account: string, region: string): Instance[] {
    this.settleAll();
    const out: Instance[] = [];
    for (const instance of this.instances.values()) {
      if (instance.account === account && instance.region === region)
        out.push(this.settle(instance));
    }
    return out;
  }

  private settle(instance: Instance): Instance {
    const t = instance.transition;
    if (t && t.at <= this.now()) {
      instance.state = t.to;
      instance.transition = undefined;
      this.record('instance-state', {
        instanceId: instance.instanceId,
        region: instance.region,
        state: t.to,
        effectiveAt: new Date(t.at).toISOString(),
      });
    }
    return instance;
  }

  /** Starts an instance (at `now`, or at a past moment a settling service names): pending, then running; status checks pass minutes later. */
  start(instance: Instance, reason: string, now = this.now()): void {
    const { random } = this.deps;
    const boot = random.between(`boot:${instance.instanceId}:${now}`, 15, 45) * 1000;
    const checks = random.between(`checks:${instance.instanceId}:${now}`, 120, 300) * 1000;
    instance.state = 'pending';
    instance.transition = { to: 'running', at: now + boot };
    instance.launchTime = now;
    instance.statusOkAt = now + boot + checks;
    this.record('instance-start', {
      instanceId: instance.instanceId,
      region: instance.region,
      reason,
      runningAt: new Date(now + boot).toISOString(),
      statusOkAt: new Date(now + boot + checks).toISOString(),
    });
  }

  stop(instance: Instance, reason: string): void {
    const now = this.now();
    const took = this.deps.random.between(`stop:${instance.instanceId}:${now}`, 30, 90) * 1000;
    instance.state = 'stopping';
    instance.transition = { to: 'stopped', at: now + took };
    instance.statusOkAt = undefined;
    instance.stoppedAt = now + took;
    this.record('instance-stop', {
      instanceId: instance.instanceId,
      region: instance.region,
      reason,
      stoppedAt: new Date(now + took).toISOString(),
    });
  }

  terminate(instance: Instance, reason: string, now = this.now()): void {
    instance.state = 'shutting-down';
    instance.transition = { to: 'terminated', at: now + 20_000 };
    instance.statusOkAt = undefined;
    this.record('instance-terminate', {
      instanceId: instance.instanceId,
      region: instance.region,
      reason,
    });
  }

  /** The plan's server by name or by DRS source server id. */
  serverNamed(nameOrId: string): ServerHome | undefined {
    const byName = this.servers.get(nameOrId);
    if (byName) return byName;
    for (const home of this.servers.values()) if (home.sourceServerId === nameOrId) return home;
    return undefined;
  }

  /** Seeds accounts, instances and plan servers; each service seeds its own state from the plans. */
  seed(plans: readonly Plan[]): void {
    const longAgo = this.now() - 30 * 86_400_000;
    for (const plan of plans) {
      this.plans.push(plan);
      const { id: account, roleName, externalId } = plan.account;
      this.accounts.set(account, {
        id: account,
        customerId: plan.customer.id,
        roleName,
        externalId,
      });
      const add = (
        instanceId: string,
        region: string,
        ip: string,
        tags: Record<string, string>,
        running: boolean,
        hasDisks: boolean,
      ) =>
        this.instances.set(instanceId, {
          instanceId,
          account,
          region,
          privateIp: ip,
          tags: { customer: plan.customer.id, ...tags },
          state: running ? 'running' : 'stopped',
          launchTime: longAgo,
          ...(running ? { statusOkAt: longAgo + 180_000, agentRegion: region } : {}),
          hasDisks,
          platform: /sql|sqldw/.test(tags.Name ?? '') ? 'Windows' : 'Linux',
        });
      for (const server of plan.servers) {
        const drsTag = { AWSDRS: 'AllowLaunchingIntoThisInstance' };
        add(
          server.primary.instanceId,
          plan.regions.primary,
          server.primary.ip,
          { Name: server.name, role: server.role, ...drsTag },
          true,
          true,
        );
        add(
          server.recovery.instanceId,
          plan.regions.recovery,
          server.recovery.ip,
          { Name: server.name, role: server.role, 'lifeboat:pre-created': 'true', ...drsTag },
          false,
          false,
        );
        const sourceServerId =
          'sourceServerId' in server.drs
            ? server.drs.sourceServerId
            : `s-${this.deps.random.hex(`source:${plan.customer.id}:${server.name}`, 17)}`;
        this.servers.set(server.name, {
          customerId: plan.customer.id,
          name: server.name,
          account,
          primaryRegion: plan.regions.primary,
          recoveryRegion: plan.regions.recovery,
          primaryInstanceId: server.primary.instanceId,
          recoveryInstanceId: server.recovery.instanceId,
          sourceServerId,
        });
      }
      // Instances outside the plan that hooks target (SQL Server replicas): running, managed.
      const hooks = [
        ...plan.waves.flatMap((w) => [...w.preHooks, ...w.postHooks]),
        ...plan.validation,
      ];
      for (const hook of hooks) {
        if (hook.kind !== 'ssm-document' || !hook.instances) continue;
        for (const side of ['primary', 'recovery'] as const) {
          (hook.instances[side] ?? []).forEach((instanceId, i) => {
            if (this.instances.has(instanceId)) return;
            const ip = `10.${side === 'primary' ? 1 : 2}${this.deps.random.between(`ip:${instanceId}`, 10, 99)}.0.${10 + i}`;
            add(
              instanceId,
              plan.regions[side],
              ip,
              { Name: `${plan.customer.id}-${hook.name}-${side}-${i + 1}` },
              true,
              true,
            );
          });
        }
      }
    }
  }
}
