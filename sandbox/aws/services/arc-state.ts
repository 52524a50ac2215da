import {
  clusterName,
  controlPanelName,
  routingControlName,
  safetyRuleName,
} from '../../../orchestrator/domain/routing.ts';
import { TOOLING_ACCOUNT } from '../accounts.ts';
import { AwsError } from '../errors.ts';
import type { Estate } from '../estate.ts';

export type ControlState = 'On' | 'Off';

/** ARC's RuleConfig: how many of a rule's controls must be On (ATLEAST `Threshold`, AND all, OR one), negated when `Inverted`. */
export interface RuleConfig {
  Type: 'ATLEAST' | 'AND' | 'OR';
  Threshold: number;
  Inverted: boolean;
}

export interface Cluster {
  arn: string;
  name: string;
  account: string;
}

export interface ControlPanel {
  arn: string;
  name: string;
  account: string;
}

export interface RoutingControl {
  arn: string;
  name: string;
  panelArn: string;
  account: string;
  state: ControlState;
  /** The customer and region a plan's control stands for; a test's extra control has neither. */
  customerId?: string;
  region?: string;
}

interface RuleBase {
  arn: string;
  name: string;
  panelArn: string;
  config: RuleConfig;
  /** Whose two sides an assertion rule keeps On, for a message a person reads. */
  customerId?: string;
}

/** Asserted controls must satisfy the config after the whole update. */
export interface AssertionRule extends RuleBase {
  kind: 'assertion';
  asserted: string[];
}

/** A change to any target control is allowed only while the gating controls satisfy the config. */
export interface GatingRule extends RuleBase {
  kind: 'gating';
  gating: string[];
  targets: string[];
}

export type SafetyRule = AssertionRule | GatingRule;

export interface StateChange {
  arn: string;
  state: ControlState;
  at: number;
}

export type ChangeListener = (changes: StateChange[]) => void;

export interface UpdateOptions {
  /** Rule ARNs to skip (ARC's `SafetyRulesToOverride`, the break-glass path). */
  override?: readonly string[];
  /** The cluster endpoint that took the update, for the ground truth. */
  endpointRegion: string;
}

/** Whether controls in these states satisfy a rule config, as ARC evaluates one. */
export function satisfiesRule(config: RuleConfig, states: readonly ControlState[]): boolean {
  const on = states.filter((s) => s === 'On').length;
  const met =
    config.Type === 'AND'
      ? on === states.length
      : config.Type === 'OR'
        ? on >= 1
        : on >= config.Threshold;
  return config.Inverted ? !met : met;
}

/** What a config asks of the named controls, in words: `at least 1 of [a, b] On`. */
export function describeRequirement(config: RuleConfig, names: readonly string[]): string {
  const list = `[${names.join(', ')}]`;
  if (config.Type === 'AND') return `${config.Inverted ? 'not all' : 'all'} of ${list} On`;
  if (config.Type === 'OR') return `${config.Inverted ? 'none' : 'at least one'} of ${list} On`;
  return `${config.Inverted ? 'fewer than' : 'at least'} ${config.Threshold} of ${list} On`;
}

const ONE_SIDE_ON: RuleConfig = { Type: 'ATLEAST', Threshold: 1, Inverted: false };
const ARN_PREFIX = 'arn:aws:route53-recovery-control::';

/**
 * ARC's routing controls (one cluster, shared by every account): a control panel per region
 * pair of the plans, two controls per plan (primary On, recovery Off) and an assertion rule that
 * keeps one of them On. An update is applied all or nothing, after every safety rule not
 * overridden allows it.
 */
export class ArcState {
  readonly cluster: Cluster;
  private readonly panels = new Map<string, ControlPanel>();
  private readonly controls = new Map<string, RoutingControl>();
  private readonly rules = new Map<string, SafetyRule>();
  private readonly listeners: ChangeListener[] = [];

  constructor(private readonly estate: Estate) {
    const { random } = estate.deps;
    const id = random.hex('arc:cluster', 32);
    this.cluster = {
      arn: `${ARN_PREFIX}${TOOLING_ACCOUNT}:cluster/${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`,
      name: clusterName(),
      account: TOOLING_ACCOUNT,
    };
    for (const plan of estate.plans) {
      if (!plan.dns) continue;
      const panel = this.panelFor(controlPanelName(plan.regions));
      const customerId = plan.customer.id;
      const asserted = [plan.regions.primary, plan.regions.recovery].map((region, i) => {
        const control = this.addControl(
          panel.arn,
          routingControlName(customerId, region),
          i === 0 ? 'On' : 'Off',
        );
        Object.assign(control, { customerId, region });
        return control.arn;
      });
      const name = safetyRuleName(customerId);
      const arn = `${panel.arn}/safetyrule/${random.hex(`arc:rule:${panel.arn}:${name}`, 16)}`;
      this.rules.set(arn, {
        kind: 'assertion',
        arn,
        name,
        panelArn: panel.arn,
        config: ONE_SIDE_ON,
        customerId,
        asserted,
      });
    }
  }

  /** The control of a customer's side in a region, by the names the deploy gives them. */
  controlArn(customerId: string, region: string): string | undefined {
    for (const control of this.controls.values())
      if (control.customerId === customerId && control.region === region) return control.arn;
    return undefined;
  }

  stateOf(arn: string): ControlState | undefined {
    return this.controls.get(arn)?.state;
  }

  control(arn: string): RoutingControl | undefined {
    return this.controls.get(arn);
  }

  panel(arn: string): ControlPanel | undefined {
    return this.panels.get(arn);
  }

  /** Every control (of one panel when given), in ARN order: the order pages are cut in. */
  list(panelArn?: string): RoutingControl[] {
    return [...this.controls.values()]
      .filter((c) => panelArn === undefined || c.panelArn === panelArn)
      .sort((a, b) => (a.arn < b.arn ? -1 : 1));
  }

  listPanels(): ControlPanel[] {
    return [...this.panels.values()];
  }

  listRules(panelArn?: string): SafetyRule[] {
    return [...this.rules.values()].filter((r) => !panelArn || r.panelArn === panelArn);
  }

  ruleNamed(name: string): SafetyRule | undefined {
    return [...this.rules.values()].find((r) => r.name === name);
  }

  /** Told of every applied update, once per update, with the controls whose state changed. */
  onChange(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  /** The control panel of this name, created (with a seeded ARN) when new. */
  panelFor(name: string): ControlPanel {
    const existing = [...this.panels.values()].find((p) => p.name === name);
    if (existing) return existing;
    const hex = this.estate.deps.random.hex(`arc:panel:${name}`, 32);
    const panel = {
      arn: `${ARN_PREFIX}${TOOLING_ACCOUNT}:controlpanel/${hex}`,
      name,
      account: TOOLING_ACCOUNT,
    };
    this.panels.set(panel.arn, panel);
    return panel;
  }

  /** Adds a routing control to a panel (the seed's, or a test's gate switch). */
  addControl(panelArn: string, name: string, state: ControlState = 'Off'): RoutingControl {
    if (!this.panels.has(panelArn))
      throw new Error(`No control panel ${panelArn} to add ${name} to.`);
    const hex = this.estate.deps.random.hex(`arc:control:${panelArn}:${name}`, 16);
    const control: RoutingControl = {
      arn: `${panelArn}/routingcontrol/${hex}`,
      name,
      panelArn,
      account: TOOLING_ACCOUNT,
      state,
    };
    this.controls.set(control.arn, control);
    return control;
  }

  /** Adds a gating rule: changes to `targets` only while `gating` satisfy `config`. */
  addGatingRule(rule: {
    panelArn: string;
    name: string;
    gating: readonly string[];
    targets: readonly string[];
    config: RuleConfig;
  }): GatingRule {
    for (const arn of [...rule.gating, ...rule.targets])
      if (!this.controls.has(arn))
        throw new Error(`Gating rule ${rule.name} names no control ${arn}.`);
    const hex = this.estate.deps.random.hex(`arc:rule:${rule.panelArn}:${rule.name}`, 16);
    const gating: GatingRule = {
      kind: 'gating',
      arn: `${rule.panelArn}/safetyrule/${hex}`,
      name: rule.name,
      panelArn: rule.panelArn,
      config: rule.config,
      gating: [...rule.gating],
      targets: [...rule.targets],
    };
    this.rules.set(gating.arn, gating);
    return gating;
  }

  /**
   * Sets the states of one or many controls, all or nothing. Gating rules read their gates as
   * they stand before the update (a batch that turns a gate On cannot also pass through it);
   * assertion rules read their controls as the whole update would leave them. Throws
   * ResourceNotFoundException for an unknown control, ConflictException for a violated rule.
   */
  update(
    entries: readonly { arn: string; state: ControlState }[],
    options: UpdateOptions,
  ): StateChange[] {
    const after = new Map<string, ControlState>();
    for (const { arn, state } of entries) {
      if (!this.controls.has(arn))
        throw new AwsError(
          'ResourceNotFoundException',
          `No routing control ${arn} in this cluster.`,
          404,
          {
            resourceId: arn,
            resourceType: 'RoutingControl',
          },
        );
      if (after.has(arn) && after.get(arn) !== state)
        throw new AwsError(
          'ValidationException',
          `Routing control ${arn} is set both On and Off in one update.`,
          400,
          {
            reason: 'other',
          },
        );
      after.set(arn, state);
    }
    const changed = [...after].filter(([arn, state]) => this.stateOf(arn) !== state);
    const overridden = new Set(options.override ?? []);
    const wording = changed.length
      ? changed.map(([arn, state]) => `${this.nameOf(arn)} ${state}`).join(', ')
      : 'nothing';
    for (const rule of this.rules.values()) {
      if (overridden.has(rule.arn)) continue;
      if (rule.kind === 'gating') {
        const touched = changed.some(([arn]) => rule.targets.includes(arn));
        const gates = rule.gating.map((arn) => this.stateOf(arn) ?? 'Off');
        if (touched && !satisfiesRule(rule.config, gates))
          throw violation(
            rule,
            `Setting ${wording} is gated: safety rule ${rule.name} requires ${describeRequirement(
              rule.config,
              rule.gating.map((a) => this.nameOf(a)),
            )} before [${rule.targets.map((a) => this.nameOf(a)).join(', ')}] change`,
          );
        continue;
      }
      const states = rule.asserted.map((arn) => after.get(arn) ?? this.stateOf(arn) ?? 'Off');
      if (satisfiesRule(rule.config, states)) continue;
      const on = states.filter((s) => s === 'On').length;
      const left = on === 0 ? 'no side On' : `${on} of ${states.length} On`;
      throw violation(
        rule,
        `Setting ${wording} would leave ${rule.customerId ?? rule.name} with ${left}: safety rule ${rule.name} requires ${describeRequirement(
          rule.config,
          rule.asserted.map((a) => this.nameOf(a)),
        )}`,
      );
    }
    const at = this.estate.now();
    const applied = changed.map(([arn, state]) => ({ arn, state, at }));
    for (const change of applied) {
      const control = this.controls.get(change.arn) as RoutingControl;
      control.state = change.state;
      this.estate.record(
        'routing-control',
        {
          arn: control.arn,
          name: control.name,
          customerId: control.customerId,
          region: control.region,
          state: change.state,
          endpointRegion: options.endpointRegion,
        },
        at,
      );
    }
    if (applied.length) for (const listener of this.listeners) listener(applied);
    return applied;
  }

  private nameOf(arn: string): string {
    return this.controls.get(arn)?.name ?? arn;
  }
}

/** ARC's answer to an update a safety rule refuses. */
function violation(rule: SafetyRule, message: string): AwsError {
  return new AwsError('ConflictException', message, 409, {
    resourceId: rule.arn,
    resourceType: 'SafetyRule',
  });
}
