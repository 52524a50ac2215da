import { ListHealthChecksCommand, Route53Client } from '@aws-sdk/client-route-53';
import type { Plan } from '../../../orchestrator/domain/plan.ts';
import type { LocalAws } from '../../../sandbox/aws/local-aws.ts';
import { Route53Service } from '../../../sandbox/aws/services/route53.ts';
import type { Answer } from '../../../sandbox/aws/services/route53-resolver.ts';
import { assumeCustomer, clientConfig } from './harness.ts';

/** What the Route 53 tests share: bcbsaz's zones, its clients, its routing controls, its answers. */
export const PRIMARY_ZONE = 'Z04BCBSAZUSE1';
export const RECOVERY_ZONE = 'Z04BCBSAZUSE2';
export const ORA01 = 'ora01.bcbsaz.hrp.internal.';

export function planOf(plans: readonly Plan[], customerId = 'bcbsaz'): Plan {
  const plan = plans.find((p) => p.customer.id === customerId);
  if (!plan) throw new Error(`no sample plan ${customerId}`);
  return plan;
}

/** A Route 53 client in the customer's account, signed from us-east-2 as Lifeboat's recovery side. */
export async function route53As(
  aws: LocalAws,
  plans: readonly Plan[],
  customerId = 'bcbsaz',
): Promise<Route53Client> {
  const credentials = await assumeCustomer(aws, planOf(plans, customerId));
  return new Route53Client(clientConfig(aws, 'us-east-2', credentials));
}

export function serverIps(plans: readonly Plan[], name: string) {
  const server = planOf(plans).servers.find((s) => s.name === name);
  if (!server) throw new Error(`no server ${name}`);
  return { primary: server.primary.ip, recovery: server.recovery.ip };
}

export function controlArn(aws: LocalAws, region: string, customerId = 'bcbsaz'): string {
  const arn = aws.arc.state.controlArn(customerId, region);
  if (!arn) throw new Error(`no routing control for ${customerId} in ${region}`);
  return arn;
}

/** Sets bcbsaz's two routing controls in one update on ARC's data plane. */
export function setControls(
  aws: LocalAws,
  states: { 'us-east-1': 'On' | 'Off'; 'us-east-2': 'On' | 'Off' },
  override: string[] = [],
): void {
  aws.arc.state.update(
    Object.entries(states).map(([region, state]) => ({ arn: controlArn(aws, region), state })),
    { endpointRegion: 'us-west-2', override },
  );
}

/** What a resolver in the zone's VPC gets now. */
export function resolve(
  aws: LocalAws,
  zoneId: string,
  name: string,
  type = 'A',
): Answer | undefined {
  const route53 = aws.services.get('route53');
  if (!(route53 instanceof Route53Service)) throw new Error('no Route 53 in the local AWS');
  return route53.state.resolve(zoneId, name, type);
}

export function answerEvents(aws: LocalAws, zoneId: string, name: string) {
  return aws.estate.truth.filter(
    (e) => e.type === 'dns-answer' && e.zoneId === zoneId && e.name === name,
  );
}

/** The account's health checks by the routing control they read. */
export async function healthCheckIds(route53: Route53Client): Promise<Record<string, string>> {
  const { HealthChecks = [] } = await route53.send(new ListHealthChecksCommand({}));
  return Object.fromEntries(
    HealthChecks.map((c) => [c.HealthCheckConfig?.RoutingControlArn ?? '', c.Id ?? '']),
  );
}

export async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error,
  );
}
