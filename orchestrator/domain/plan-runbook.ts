import { PlanValidationError, UnsupportedOperationError } from './errors.ts';
import { hookStep } from './hook-steps.ts';
import type { Hook, HookPhase, Operation, Plan, Side } from './plan.ts';
import { dnsReadiness, dnsSteps } from './plan-dns-steps.ts';
import { sideOfPhase } from './plan-rules.ts';
import type { Region } from './regions.ts';
import {
  type Phase,
  RUNBOOK_SCHEMA_VERSION,
  type Runbook,
  type ServerRef,
  type Step,
  type StepOf,
} from './runbook.ts';
import { DEFAULT_SETTINGS, type RunbookSettings } from './settings.ts';
import { orderBootGroups, serversByName, splitIntoBatches } from './waves.ts';

/**
 * The steps of one operation on one customer, in order. Pure: the same plan, operation and
 * settings always give the same runbook.
 *
 * - `drill` (in-place, HRP): a real failover, validation, customer sign-off, a real failback.
 *   A plan whose drill mode is `isolated` drills in a bubble instead.
 * - `bubble-drill` (GC): DRS drill launch into the isolated network, validation, sign-off, cleanup.
 * - `failover` (a real incident): runs from the recovery region; whatever needs the primary is
 *   best effort.
 * - `failback`: runs from the primary region, back into the original instances.
 *
 * Every runbook starts with a pre-flight check and the approval gate, and ends with the report.
 */
export function planRunbook(
  plan: Plan,
  operation: Operation,
  settings: RunbookSettings = DEFAULT_SETTINGS,
): Runbook {
  const effective: Operation =
    operation === 'drill' && plan.drill.mode === 'isolated' ? 'bubble-drill' : operation;
  const ctx = new Context(plan, settings, effective);
  // Shared services have no customer to test them: the customers' own sign-offs follow.
  const signOff = plan.kind === 'shared-services' ? [] : [ctx.signOff()];
  let steps: Step[];
  switch (effective) {
    case 'drill':
      steps = [
        ...ctx.prepare('recovery', false),
        ...ctx.moveToRecovery(false),
        ...signOff,
        ...ctx.moveToPrimary(),
      ];
      break;
    case 'failover':
      steps = [...ctx.prepare('recovery', true), ...ctx.moveToRecovery(true)];
      break;
    case 'failback':
      steps = [...ctx.prepare('primary', false), ...ctx.moveToPrimary()];
      break;
    case 'bubble-drill':
      if (!plan.drill.isolated) {
        throw new UnsupportedOperationError(
          `Customer "${plan.customer.id}" has no isolated drill network, so it cannot run a bubble drill; add drill.isolated to its plan or run an in-place drill.`,
        );
      }
      steps = [...ctx.prepare('recovery', false), ...ctx.bubble(), ...signOff, ctx.cleanup()];
      break;
  }
  steps.push(ctx.report());
  return {
    schemaVersion: RUNBOOK_SCHEMA_VERSION,
    customerId: plan.customer.id,
    operation: effective,
    executionRegion: effective === 'failback' ? plan.regions.primary : plan.regions.recovery,
    regions: { primary: plan.regions.primary, recovery: plan.regions.recovery },
    targets: { rpoSeconds: plan.targets.rpo, rtoSeconds: plan.targets.rto },
    steps,
  };
}

class Context {
  private readonly servers;

  constructor(
    private readonly plan: Plan,
    private readonly settings: RunbookSettings,
    private readonly op: Operation,
  ) {
    this.servers = serversByName(plan);
  }

  region(side: Side): Region {
    return this.plan.regions[side];
  }

  /** Every server in wave order, as the DRS side of `direction` sees it. */
  allServers(target: Side): ServerRef[] {
    return this.plan.waves.flatMap((wave) => wave.servers.map((name) => this.ref(name, target)));
  }

  ref(name: string, target: Side): ServerRef {
    const server = this.servers.get(name);
    if (!server)
      throw new PlanValidationError(`The plan of "${this.plan.customer.id}"`, [
        {
          code: 'unknown-server',
          path: 'servers',
          value: name,
          message: `"${name}" is named in a wave or hook but is not in servers. Add it to servers or fix the spelling; lifeboat plan validate shows where.`,
        },
      ]);
    return {
      name,
      critical: server.critical,
      drs: server.drs,
      launchInto: server[target].instanceId,
      ip: server[target].ip,
      ...(target === 'recovery' && server.alternativeInstanceTypes
        ? { alternativeInstanceTypes: server.alternativeInstanceTypes }
        : {}),
    };
  }

  prepare(active: Side, incident: boolean): Step[] {
    const checks: StepOf<'preflight'>['checks'] =
      this.op === 'bubble-drill'
        ? [
            'no-active-operation',
            'replication-healthy',
            'replication-lag',
            'isolated-network',
            'drs-quota',
          ]
        : active === 'recovery'
          ? [
              'no-active-operation',
              'primary-reachable',
              'replication-healthy',
              'replication-lag',
              'recovery-instances',
              'plan-tags',
              'drs-quota',
            ]
          : [
              'no-active-operation',
              'reverse-replication',
              'original-instances',
              'plan-tags',
              'drs-quota',
            ];
    const dns = dnsReadiness(this.plan, active, this.op === 'bubble-drill');
    checks.push(...dns.checks);
    return [
      {
        kind: 'preflight',
        id: 'preflight',
        jobLimits: {
          maxServersPerJob: this.settings.maxServersPerJob,
          maxConcurrentJobs: this.settings.maxConcurrentJobs,
          maxServersInActiveJobs: this.settings.maxServersInActiveJobs,
        },
        title: `Pre-flight check of ${this.plan.customer.name} in ${this.region(active)}`,
        phase: 'prepare',
        region: this.region(active),
        bestEffort: false,
        timeoutSeconds: this.settings.preflightTimeout,
        checks,
        // With the primary gone, its replication is disconnected: recovery uses the last snapshot.
        advisory: [
          ...(incident
            ? (['primary-reachable', 'replication-healthy', 'replication-lag'] as const)
            : []),
          ...dns.advisory,
        ],
        servers: this.allServers(active),
        peerInstances: this.allServers(active === 'recovery' ? 'primary' : 'recovery').map(
          (s) => s.launchInto ?? '',
        ),
        ...(this.op === 'bubble-drill' && this.plan.drill.isolated
          ? { isolated: this.plan.drill.isolated }
          : {}),
        rpoSeconds: this.plan.targets.rpo,
        ...dns.fields,
      },
      {
        kind: 'gate',
        id: 'approval',
        title: 'Approval by a second person',
        phase: 'prepare',
        region: this.region(active),
        bestEffort: false,
        timeoutSeconds: this.plan.access.approvalTimeout,
        gate: 'approval',
        prompt: `Approve the ${this.op} of ${this.plan.customer.name}, making ${this.region(active)} active?`,
        principals: this.plan.access.approvers,
        required: this.plan.access.approvals[this.op],
        excludeRequester: true,
      },
    ];
  }

  /** Stop sources, drain replication, recover wave by wave, DNS, WebUI, validate, protect back. */
  moveToRecovery(incident: boolean): Step[] {
    const phase: Phase = 'failover';
    const recovery = this.region('recovery');
    const steps: Step[] = [
      {
        kind: 'stop-instances',
        id: 'failover.stop-sources',
        title: `Stop the ${this.plan.servers.length} source instances in ${this.region('primary')}`,
        phase,
        region: this.region('primary'),
        bestEffort: incident,
        timeoutSeconds: this.settings.stopInstancesTimeout,
        side: 'primary',
        instances: this.instancesOf('primary'),
      },
      {
        kind: 'wait-replication',
        id: 'failover.wait-replication',
        title: 'Wait for replication to catch up (lag zero)',
        phase,
        region: recovery,
        bestEffort: incident,
        timeoutSeconds: incident
          ? this.settings.incidentReplicationWait
          : this.plan.replicationTimeout,
        direction: 'to-recovery',
        servers: this.allServers('recovery'),
        maxLagSeconds: 0,
      },
      ...this.waves('failover', 'recovery'),
      ...this.dns('failover', 'recovery'),
    ];
    if (this.plan.webui) {
      steps.push(
        this.hookStep(
          this.plan.webui.scaleUp,
          'failover.webui',
          'failover',
          'WebUI scale-up',
          recovery,
          'recovery',
        ),
      );
    }
    steps.push(...this.validation('failover', 'validate'));
    steps.push({
      kind: 'reverse-replication',
      id: 'failover.reverse-replication',
      title: `Start replication back to ${this.region('primary')}`,
      phase: 'validate',
      region: recovery,
      bestEffort: incident,
      timeoutSeconds: this.settings.reverseReplicationTimeout,
      direction: 'to-primary',
      servers: this.allServers('recovery'),
    });
    return steps;
  }

  /** Stop DR instances, drain replication back, recover into the originals, DNS back, re-protect. */
  moveToPrimary(): Step[] {
    const phase: Phase = 'failback';
    const primary = this.region('primary');
    const steps: Step[] = [
      {
        kind: 'stop-instances',
        id: 'failback.stop-recovery-instances',
        title: `Stop the ${this.plan.servers.length} recovery instances in ${this.region('recovery')}`,
        phase,
        region: this.region('recovery'),
        bestEffort: false,
        timeoutSeconds: this.settings.stopInstancesTimeout,
        side: 'recovery',
        instances: this.instancesOf('recovery'),
      },
      {
        kind: 'wait-replication',
        id: 'failback.wait-replication',
        title: `Wait for replication back to ${primary} to catch up (lag zero)`,
        phase,
        region: primary,
        bestEffort: false,
        timeoutSeconds: Math.max(
          this.plan.replicationTimeout,
          this.settings.failbackReplicationTimeout,
        ),
        direction: 'to-primary',
        servers: this.allServers('primary'),
        maxLagSeconds: 0,
      },
      ...this.waves('failback', 'primary'),
      ...this.dns('failback', 'primary'),
    ];
    if (this.plan.webui) {
      steps.push(
        this.hookStep(
          this.plan.webui.scaleDown,
          'failback.webui',
          'failback',
          'WebUI scale-down',
          this.region('recovery'),
          'recovery',
        ),
      );
    }
    steps.push(...this.validation('failback', 'failback'));
    steps.push({
      kind: 'reverse-replication',
      id: 'failback.reprotect',
      title: `Re-protect: replicate ${primary} to ${this.region('recovery')} again`,
      phase,
      region: primary,
      bestEffort: false,
      timeoutSeconds: this.settings.reverseReplicationTimeout,
      direction: 'to-recovery',
      servers: this.allServers('primary'),
    });
    return steps;
  }

  bubble(): Step[] {
    return [...this.waves('bubble', 'recovery'), ...this.validation('bubble', 'validate')];
  }

  signOff(): Step {
    return {
      kind: 'gate',
      id: 'sign-off',
      title: 'Customer sign-off',
      phase: 'sign-off',
      region: this.region('recovery'),
      bestEffort: false,
      timeoutSeconds: this.plan.access.signOffTimeout,
      gate: 'sign-off',
      prompt: `${this.plan.customer.name} is running in ${this.region('recovery')}. Sign off once the customer has tested and confirmed.`,
      principals: this.plan.access.signOff,
      required: 1,
      excludeRequester: false,
    };
  }

  cleanup(): Step {
    return {
      kind: 'terminate-drill-instances',
      id: 'cleanup.terminate-drill-instances',
      title: 'Terminate the drill instances in the bubble',
      phase: 'cleanup',
      region: this.region('recovery'),
      bestEffort: false,
      timeoutSeconds: this.settings.cleanupTimeout,
      servers: this.allServers('recovery'),
    };
  }

  report(): Step {
    return {
      kind: 'report',
      id: 'report',
      title: 'Report measured RTO and RPO against targets',
      phase: 'report',
      region: this.op === 'failback' ? this.region('primary') : this.region('recovery'),
      bestEffort: false,
      timeoutSeconds: this.settings.reportTimeout,
      rpoTargetSeconds: this.plan.targets.rpo,
      rtoTargetSeconds: this.plan.targets.rto,
    };
  }

  private instancesOf(side: Side): StepOf<'stop-instances'>['instances'] {
    return this.plan.waves.flatMap((wave) =>
      wave.servers.map((name) => ({
        server: name,
        instanceId: this.ref(name, side).launchInto ?? '',
      })),
    );
  }

  /** Each wave: its pre-hooks, the recovery in boot groups and DRS batches, its post-hooks. */
  private waves(hookPhase: HookPhase, target: Side): Step[] {
    const region = this.region(target);
    const phase: Phase = hookPhase === 'failback' ? 'failback' : 'failover';
    const isolated = hookPhase === 'bubble' ? this.plan.drill.isolated : undefined;
    return this.plan.waves.flatMap((wave, index) => {
      const prefix = `${hookPhase}.wave-${index + 1}-${wave.name}`;
      const hooks = (list: Hook[], when: string) =>
        list
          .filter((hook) => hook.phases.includes(hookPhase))
          .map((hook) =>
            this.hookStep(
              hook,
              `${prefix}.${when}.${hook.name}`,
              phase,
              `${wave.name} ${when}-hook`,
              region,
              sideOfPhase(hookPhase),
            ),
          );
      const steps = hooks(wave.preHooks, 'pre');
      if (wave.servers.length > 0) {
        const bootGroups = orderBootGroups(this.plan, wave).map((names) => ({
          servers: names.map((name) => {
            const { launchInto, ip, ...ref } = this.ref(name, target);
            return isolated ? ref : { ...ref, launchInto, ip };
          }),
          batches: splitIntoBatches(names, this.settings),
        }));
        steps.push({
          kind: 'recover-wave',
          id: `${prefix}.recover`,
          title: `Wave ${index + 1}/${this.plan.waves.length} ${wave.name}: ${hookPhase === 'bubble' ? 'drill-launch' : 'recover'} ${wave.servers.length} server${wave.servers.length === 1 ? '' : 's'} in ${region}`,
          phase,
          region,
          bestEffort: false,
          timeoutSeconds: wave.timeout * bootGroups.length,
          wave: wave.name,
          waveIndex: index,
          waveCount: this.plan.waves.length,
          isDrill: hookPhase === 'bubble',
          launchInto: isolated ? 'isolated' : target === 'recovery' ? 'pre-created' : 'original',
          ...(isolated ? { isolated } : {}),
          bootGroups,
          healthChecks: wave.healthChecks,
          ssmAgentRegion: region,
        });
      }
      steps.push(...hooks(wave.postHooks, 'post'));
      return steps;
    });
  }

  private dns(hookPhase: 'failover' | 'failback', target: Side): Step[] {
    return dnsSteps(this.plan, this.servers, this.settings, hookPhase, target);
  }

  private validation(hookPhase: HookPhase, phase: Phase): Step[] {
    const side = sideOfPhase(hookPhase);
    return this.plan.validation
      .filter((hook) => hook.phases.includes(hookPhase))
      .map((hook) =>
        this.hookStep(
          hook,
          `${hookPhase}.validate.${hook.name}`,
          phase,
          'validation',
          this.region(side),
          side,
        ),
      );
  }

  hookStep(hook: Hook, id: string, phase: Phase, label: string, region: Region, side: Side): Step {
    return hookStep(
      hook,
      { id, phase, label, region, side },
      {
        instanceOf: (server) => this.ref(server, side).launchInto ?? '',
        requesters: this.plan.access.requesters,
      },
    );
  }
}
