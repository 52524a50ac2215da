import * as z from 'zod';
import type { Side } from './plan.ts';

/**
 * How DNS moves on the data plane: the names the deploy gives ARC's resources and the failover
 * records, which the local AWS seeds the same way and the orchestrator finds them by. One cluster
 * (in the tooling account, shared with the workload accounts through AWS RAM); one control panel
 * per region pair; one routing control per customer and region; one assertion rule per customer
 * that keeps at least one of its two controls On; one RECOVERY_CONTROL health check per routing
 * control, in the customer's account; per plan record and zone, a PRIMARY and a SECONDARY
 * failover record set tied to those health checks.
 */

/** The regions of an ARC cluster's five endpoints (ARC chooses them; these are the US partition's). */
export const ARC_ENDPOINT_REGIONS = [
  'us-east-1',
  'us-west-2',
  'eu-west-1',
  'ap-southeast-2',
  'ap-northeast-1',
] as const;

/** ARC keeps at least three of the five endpoints reachable; pre-flight wants as many. */
export const ARC_ENDPOINT_QUORUM = 3;

/** At most this many states per UpdateRoutingControlStates call. */
export const ARC_MAX_STATES_PER_UPDATE = 10;

/** One regional endpoint of the cluster: call it with its own region. */
export const ClusterEndpointSchema = z.strictObject({
  region: z.string().min(1),
  url: z.url(),
});
export type ClusterEndpoint = z.infer<typeof ClusterEndpointSchema>;

/** `LIFEBOAT_ARC_ENDPOINTS`: the cluster's endpoints as JSON, written by the deploy. */
export const ClusterEndpointsSchema = z.array(ClusterEndpointSchema).min(1);

export function clusterName(): string {
  return 'lifeboat';
}

export function controlPanelName(pair: { primary: string; recovery: string }): string {
  return `lifeboat-${pair.primary}-${pair.recovery}`;
}

/** A customer's routing control in one region: On means that region's side answers. */
export function routingControlName(customerId: string, region: string): string {
  return `${customerId}-${region}`;
}

/** The assertion rule (ATLEAST 1 of the customer's two controls On). */
export function safetyRuleName(customerId: string): string {
  return `${customerId}-one-side-on`;
}

/** The failover record set of one side: PRIMARY for the primary side, SECONDARY for the recovery. */
export function failoverRecordOf(side: Side): {
  setIdentifier: string;
  failover: 'PRIMARY' | 'SECONDARY';
} {
  return side === 'primary'
    ? { setIdentifier: 'lifeboat-primary', failover: 'PRIMARY' }
    : { setIdentifier: 'lifeboat-recovery', failover: 'SECONDARY' };
}
