import { AwsCallError } from '../../orchestrator/domain/errors.ts';
import { ARC_ENDPOINT_REGIONS } from '../../orchestrator/domain/routing.ts';
import type {
  ControlState,
  EndpointProbe,
  RoutingControlView,
  RoutingPort,
} from '../../orchestrator/ports/aws.ts';

/**
 * ARC's cluster data plane: routing controls by name, five endpoints some of which may be
 * down, and a refusal (a safety rule's ConflictException) that can be set.
 */
export class FakeRouting implements RoutingPort {
  readonly controls = new Map<string, RoutingControlView>();
  readonly updates: { arn: string; state: ControlState }[][] = [];
  readonly endpoints: readonly string[] = ARC_ENDPOINT_REGIONS;
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
