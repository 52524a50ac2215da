import { AwsError } from '../errors.ts';
import type { Estate } from '../estate.ts';
import type { ArcState } from './arc-state.ts';

/** The one kind of health check the local Route 53 keeps: one that reads an ARC routing control. */
export interface HealthCheckConfig {
  type: 'RECOVERY_CONTROL';
  routingControlArn: string;
}

export interface HealthCheck {
  id: string;
  account: string;
  callerReference: string;
  config: HealthCheckConfig;
  version: number;
}

/** What Route 53's checkers report about a health check at a moment. */
export interface HealthObservation {
  region: string;
  status: string;
  checkedAt: number;
}

/** The regions whose checkers GetHealthCheckStatus reports (Route 53 checks from several). */
const CHECKER_REGIONS = ['us-east-1', 'us-west-1', 'us-west-2', 'eu-west-1', 'ap-southeast-1'];

/**
 * Route 53's health checks, per account. A RECOVERY_CONTROL health check is healthy while its
 * routing control is On, from the very instant the control changes: the local claim (Route 53
 * publishes no delay for these; its checkers take a few seconds in reality).
 */
export class HealthChecks {
  private readonly checks = new Map<string, HealthCheck>();
  /** Every caller reference ever used, per account, with the health check it created. */
  private readonly references = new Map<string, { id: string; config: HealthCheckConfig }>();

  constructor(
    private readonly estate: Estate,
    private readonly controls: ArcState,
  ) {}

  /**
   * Creates a health check, or answers the existing one for a caller reference already used with
   * the same settings; a reference used with other settings, or by a deleted check, is refused.
   */
  create(
    account: string,
    callerReference: string,
    config: HealthCheckConfig,
  ): { check: HealthCheck; created: boolean } {
    const refKey = `${account} ${callerReference}`;
    const used = this.references.get(refKey);
    if (used) {
      const existing = this.checks.get(used.id);
      if (existing && sameConfig(used.config, config)) return { check: existing, created: false };
      throw new AwsError(
        'HealthCheckAlreadyExists',
        `A health check with caller reference ${callerReference} already exists${existing ? ' with other settings' : ' (it was deleted)'}; use another caller reference.`,
        409,
      );
    }
    const hex = this.estate.deps.random.hex(`route53-health-check:${refKey}`, 32);
    const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    const check = { id, account, callerReference, config, version: 1 };
    this.checks.set(id, check);
    this.references.set(refKey, { id, config });
    return { check, created: true };
  }

  /** The account's health check, or NoSuchHealthCheck. */
  get(account: string, id: string): HealthCheck {
    const check = this.checks.get(id);
    if (!check || check.account !== account)
      throw new AwsError(
        'NoSuchHealthCheck',
        `No health check exists with the specified ID: ${id}`,
        404,
      );
    return check;
  }

  /** The account's health checks, by id. */
  list(account: string): HealthCheck[] {
    return [...this.checks.values()]
      .filter((check) => check.account === account)
      .sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  /**
   * Deletes it. Route 53 does not refuse while record sets name it (HealthCheckInUse is no longer
   * in use): those record sets then count as unhealthy here (Route 53 says their fate is unpredictable).
   */
  delete(account: string, id: string): void {
    this.get(account, id);
    this.checks.delete(id);
  }

  /** Whether the health check reads healthy now; one that does not exist (any more) does not. */
  isHealthy(id: string): boolean {
    const check = this.checks.get(id);
    return check !== undefined && this.controls.stateOf(check.config.routingControlArn) === 'On';
  }

  /** The health checks that read this routing control. */
  readingControl(arn: string): HealthCheck[] {
    return [...this.checks.values()].filter((check) => check.config.routingControlArn === arn);
  }

  observations(account: string, id: string): HealthObservation[] {
    const check = this.get(account, id);
    const state = this.controls.stateOf(check.config.routingControlArn);
    const status =
      state === 'On'
        ? 'Success: the routing control is On'
        : `Failure: the routing control is ${state ?? 'not found'}`;
    const checkedAt = this.estate.now();
    return CHECKER_REGIONS.map((region) => ({ region, status, checkedAt }));
  }
}

function sameConfig(a: HealthCheckConfig, b: HealthCheckConfig): boolean {
  return a.type === b.type && a.routingControlArn === b.routingControlArn;
}
