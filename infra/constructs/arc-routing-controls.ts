import type { CfnResource } from 'aws-cdk-lib';
import {
  CfnCluster,
  CfnControlPanel,
  CfnRoutingControl,
  CfnSafetyRule,
} from 'aws-cdk-lib/aws-route53recoverycontrol';
import { Construct } from 'constructs';
import type { Side } from '../../orchestrator/domain/plan.ts';
import {
  clusterName,
  controlPanelName,
  routingControlName,
  safetyRuleName,
} from '../../orchestrator/domain/routing.ts';
import type { CustomerAccount } from '../config/customer-accounts.ts';
import type { RegionPair } from '../config/deploy-config.ts';
import { InvalidPropsError } from '../errors.ts';

/** ARC's quotas that this construct can exceed as customers are added. */
const SAFETY_RULES_PER_PANEL = 20;
const ROUTING_CONTROLS_PER_CLUSTER = 300;

export interface ArcRoutingControlsProps {
  /** The deployment's region pairs: one control panel each. */
  pairs: readonly RegionPair[];
  /** Customers whose plans have a `dns` section: two routing controls and an assertion rule each. */
  customers: readonly CustomerAccount[];
  /**
   * How long ARC waits after an update before it evaluates the assertion rule again.
   * @default 5000
   */
  safetyRuleWaitPeriodMs?: number;
}

/** One customer's two switches: On means that side's failover records answer. */
export type CustomerRoutingControls = Record<Side, CfnRoutingControl>;

/**
 * DNS on ARC's data plane: one cluster (five regional endpoints, any three answer), a control
 * panel per region pair, and per customer a routing control for each of its two regions, in
 * its pair's panel, with an assertion rule that keeps at least one of them On (a flip can move
 * traffic but never turn a customer off). The routing controls start Off; the customers' DNS
 * templates tie a RECOVERY_CONTROL health check to each. Names follow
 * `orchestrator/domain/routing.ts`, which the orchestrator and the local AWS use too.
 */
export class ArcRoutingControls extends Construct {
  readonly cluster: CfnCluster;
  /** By control panel name. */
  readonly controlPanels: ReadonlyMap<string, CfnControlPanel>;
  /** By customer id. */
  readonly routingControls: ReadonlyMap<string, CustomerRoutingControls>;
  /** By customer id. */
  readonly safetyRules: ReadonlyMap<string, CfnSafetyRule>;

  constructor(scope: Construct, id: string, props: ArcRoutingControlsProps) {
    super(scope, id);
    const waitPeriodMs = props.safetyRuleWaitPeriodMs ?? 5000;
    if (!Number.isInteger(waitPeriodMs) || waitPeriodMs < 0)
      throw new InvalidPropsError(
        'ArcRoutingControls',
        `safetyRuleWaitPeriodMs ${waitPeriodMs} must be a whole number of milliseconds, 0 or more.`,
      );
    if (props.customers.length * 2 > ROUTING_CONTROLS_PER_CLUSTER)
      throw new InvalidPropsError(
        'ArcRoutingControls',
        `${props.customers.length} customers need ${props.customers.length * 2} routing controls; a cluster holds ${ROUTING_CONTROLS_PER_CLUSTER} (ask AWS for more, or add a cluster).`,
      );

    this.cluster = new CfnCluster(this, 'Cluster', { name: clusterName() });
    // ARC answers ConflictException to concurrent changes on one cluster: one at a time.
    let previous: CfnResource = this.cluster;
    const inTurn = <T extends CfnResource>(resource: T): T => {
      resource.addDependency(previous);
      previous = resource;
      return resource;
    };
    const clusterArn = this.cluster.attrClusterArn;
    const panels = new Map<string, CfnControlPanel>();
    for (const pair of props.pairs) {
      const name = controlPanelName(pair);
      if (panels.has(name))
        throw new InvalidPropsError('ArcRoutingControls', `pairs name "${name}" twice.`);
      panels.set(name, inTurn(new CfnControlPanel(this, name, { name, clusterArn })));
    }

    const controls = new Map<string, CustomerRoutingControls>();
    const rules = new Map<string, CfnSafetyRule>();
    const rulesPerPanel = new Map<string, number>();
    for (const customer of props.customers) {
      const pair = props.pairs.find((p) =>
        [p.primary, p.recovery].every((r) =>
          [customer.regions.primary, customer.regions.recovery].includes(r),
        ),
      );
      if (!pair)
        throw new InvalidPropsError(
          'ArcRoutingControls',
          `customer "${customer.customerId}" fails over ${customer.regions.primary} -> ${customer.regions.recovery}, which is no pair (${props.pairs.map((p) => `${p.primary} -> ${p.recovery}`).join(', ')}); its routing controls need a pair's control panel.`,
        );
      if (controls.has(customer.customerId))
        throw new InvalidPropsError(
          'ArcRoutingControls',
          `customer "${customer.customerId}" is listed twice.`,
        );
      const panelName = controlPanelName(pair);
      const panel = panels.get(panelName) as CfnControlPanel;
      const count = (rulesPerPanel.get(panelName) ?? 0) + 1;
      if (count > SAFETY_RULES_PER_PANEL)
        throw new InvalidPropsError(
          'ArcRoutingControls',
          `control panel "${panelName}" would hold ${count} safety rules; ARC allows ${SAFETY_RULES_PER_PANEL} per panel (customer "${customer.customerId}").`,
        );
      rulesPerPanel.set(panelName, count);
      const control = (side: Side) => {
        const name = routingControlName(customer.customerId, customer.regions[side]);
        return inTurn(
          new CfnRoutingControl(this, name, {
            name,
            clusterArn,
            controlPanelArn: panel.attrControlPanelArn,
          }),
        );
      };
      const pairOfControls = { primary: control('primary'), recovery: control('recovery') };
      controls.set(customer.customerId, pairOfControls);
      const ruleName = safetyRuleName(customer.customerId);
      rules.set(
        customer.customerId,
        inTurn(
          new CfnSafetyRule(this, ruleName, {
            name: ruleName,
            controlPanelArn: panel.attrControlPanelArn,
            ruleConfig: { type: 'ATLEAST', threshold: 1, inverted: false },
            assertionRule: {
              assertedControls: [
                pairOfControls.primary.attrRoutingControlArn,
                pairOfControls.recovery.attrRoutingControlArn,
              ],
              waitPeriodMs,
            },
          }),
        ),
      );
    }
    this.controlPanels = panels;
    this.routingControls = controls;
    this.safetyRules = rules;
  }
}
