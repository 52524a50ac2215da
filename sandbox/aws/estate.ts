import type { Plan } from '../../orchestrator/domain/plan.ts';
import { PLAN_TAG_KEY } from '../../orchestrator/domain/workload-access.ts';
import type { SimClock } from './clock.ts';
import type { FaultSet } from './faults.ts';
import type { SeededRandom } from './random.ts';
import { QUOTAS as DRS_SERVICE_QUOTAS } from './services/drs-state.ts';

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
  /** Set when changed or launched with a type; otherwise `instanceTypeOf` gives its default. */
  instanceType?: string;
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
  /** The DRS source server's tags, as onboarding left them (the plan tag among them). */
  sourceTags: Record<string, string>;
}

export interface EstateDeps {
  clock: SimClock;
  random: SeededRandom;
  faults: FaultSet;
}

/** Something due at a virtual moment: a state change the clock brings, not a call. */
interface Due {
  at: number;
  apply: (at: number) => void;
}

/** Told of every start, stop, termination or agent move of an instance, at its virtual moment. */
export type InstanceListener = (instance: Instance, at: number) => void;

/**
 * The shared world of the simulators: accounts, EC2 instances and the ground-truth log. What
 * time brings (an instance reaching running, a DRS launch landing) is scheduled when a call sets
 * it off and applied in time order as the clock passes it, so reading never changes the world:
 * whoever looks, and however often, the world at a moment is the same.
 */
export class Estate {
  readonly accounts = new Map<string, Account>();
  readonly instances = new Map<string, Instance>();
  readonly servers = new Map<string, ServerHome>();
  readonly truth: TruthEvent[] = [];
  readonly plans: Plan[] = [];
  /**
   * The DRS quotas the simulator enforces per account and region: AWS's own unless a test lowers
   * them (to make Lifeboat's lowered budget the binding one, and a start beyond it a refusal).
   */
  drsQuotas: { serversPerJob: number; concurrentJobs: number; serversInActiveJobs: number } =
    DRS_SERVICE_QUOTAS;
  /** Pending state changes by time; ties in the order they were scheduled. */
  private readonly due: Due[] = [];
  private settling = false;
  private readonly listeners: InstanceListener[] = [];

  constructor(readonly deps: EstateDeps) {}

  /** Schedules a change at virtual time `at`; it applies once the clock has passed it. */
  schedule(at: number, apply: (at: number) => void): void {
    let i = this.due.length;
    while (i > 0 && (this.due[i - 1]?.at ?? 0) > at) i--;
    this.due.splice(i, 0, { at, apply });
  }

  /** Applies, in time order, every change due by now. The same moment always gives the same world. */
  settleAll(): void {
    if (this.settling) return;
    this.settling = true;
    try {
      const now = this.now();
      for (let next = this.due[0]; next && next.at <= now; next = this.due[0]) {
        this.due.shift();
        next.apply(next.at);
      }
    } finally {
      this.settling = false;
    }
  }

  onInstanceChange(listener: InstanceListener): void {
    this.listeners.push(listener);
  }

  now(): number {
    return this.deps.clock.now();
  }

  /** Adds to the ground truth at `at` (now, or the past moment a due change happened), in time order. */
  record(type: string, fields: Record<string, unknown>, at = this.now()): void {
    const event = { at: new Date(at).toISOString(), type, ...fields };
    let i = this.truth.length;
    while (i > 0 && (this.truth[i - 1]?.at ?? '') > event.at) i--;
    this.truth.splice(i, 0, event);
  }

  /** The instance as it is now. */
  instance(instanceId: string): Instance | undefined {
    this.settleAll();
    return this.instances.get(instanceId);
  }

  instancesIn(account: string, region: string): Instance[] {
    this.settleAll();
    return [...this.instances.values()].filter(
      (instance) => instance.account === account && instance.region === region,
    );
  }

  /** Starts an instance (at `now`, or at a past moment a due change names): pending, then running; status checks pass minutes later. */
  start(instance: Instance, reason: string, now = this.now()): void {
    this.settleAll();
    const { random } = this.deps;
    const boot = random.between(`boot:${instance.instanceId}:${now}`, 15, 45) * 1000;
    const checks = random.between(`checks:${instance.instanceId}:${now}`, 120, 300) * 1000;
    instance.state = 'pending';
    this.transition(instance, 'running', now + boot);
    instance.launchTime = now;
    instance.statusOkAt = now + boot + checks;
    this.record(
      'instance-start',
      {
        instanceId: instance.instanceId,
        region: instance.region,
        reason,
        runningAt: new Date(now + boot).toISOString(),
        statusOkAt: new Date(now + boot + checks).toISOString(),
      },
      now,
    );
    this.changed(instance, now);
  }

  stop(instance: Instance, reason: string): void {
    this.settleAll();
    const now = this.now();
    const took = this.deps.random.between(`stop:${instance.instanceId}:${now}`, 30, 90) * 1000;
    instance.state = 'stopping';
    this.transition(instance, 'stopped', now + took);
    instance.statusOkAt = undefined;
    instance.stoppedAt = now + took;
    this.record('instance-stop', {
      instanceId: instance.instanceId,
      region: instance.region,
      reason,
      stoppedAt: new Date(now + took).toISOString(),
    });
    this.changed(instance, now);
  }

  terminate(instance: Instance, reason: string, now = this.now()): void {
    this.settleAll();
    instance.state = 'shutting-down';
    this.transition(instance, 'terminated', now + 20_000);
    instance.statusOkAt = undefined;
    this.record(
      'instance-terminate',
      { instanceId: instance.instanceId, region: instance.region, reason },
      now,
    );
    this.changed(instance, now);
  }

  /** Points the instance's SSM agent at another region (what DRS's post-launch actions do). */
  repointAgent(instance: Instance, region: string): void {
    this.settleAll();
    instance.agentRegion = region;
    this.changed(instance, this.now());
  }

  /** Sets the state the instance reaches at `at`, replacing any change under way. */
  private transition(instance: Instance, to: InstanceState, at: number): void {
    const t = { to, at };
    instance.transition = t;
    this.schedule(at, () => {
      if (instance.transition !== t) return;
      instance.state = to;
      instance.transition = undefined;
      this.record(
        'instance-state',
        {
          instanceId: instance.instanceId,
          region: instance.region,
          state: to,
          effectiveAt: new Date(at).toISOString(),
        },
        at,
      );
    });
  }

  private changed(instance: Instance, at: number): void {
    for (const listener of this.listeners) listener(instance, at);
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
          // Onboarding tags every instance of the plan (README, "Onboarding a customer").
          tags: { customer: plan.customer.id, [PLAN_TAG_KEY]: plan.customer.id, ...tags },
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
          sourceTags: {
            Name: server.name,
            customer: plan.customer.id,
            [PLAN_TAG_KEY]: plan.customer.id,
          },
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
