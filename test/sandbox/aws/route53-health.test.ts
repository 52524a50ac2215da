import {
  CreateHealthCheckCommand,
  DeleteHealthCheckCommand,
  GetHealthCheckCommand,
  GetHealthCheckStatusCommand,
  HealthCheckAlreadyExists,
  ListHealthChecksCommand,
  NoSuchHealthCheck,
  type Route53Client,
  type Route53ServiceException,
} from '@aws-sdk/client-route-53';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Plan } from '../../../orchestrator/domain/plan.ts';
import type { LocalAws } from '../../../sandbox/aws/local-aws.ts';
import { samplePlans, startSampleAws } from './harness.ts';
import { controlArn, failureOf, route53As, setControls } from './route53-world.ts';

let aws: LocalAws;
let plans: Plan[];
let route53: Route53Client;
beforeEach(async () => {
  plans = await samplePlans();
  aws = await startSampleAws({ plans });
  route53 = await route53As(aws, plans);
});
afterEach(() => aws.stop());

function createCheck(reference: string, region = 'us-east-2') {
  return route53.send(
    new CreateHealthCheckCommand({
      CallerReference: reference,
      HealthCheckConfig: { Type: 'RECOVERY_CONTROL', RoutingControlArn: controlArn(aws, region) },
    }),
  );
}

describe('Route 53 health checks (control plane)', () => {
  it('creates a RECOVERY_CONTROL health check, gets it, and lists it with the seeded two', async () => {
    // Act
    const created = await createCheck('drill-1');
    const id = created.HealthCheck?.Id ?? '';
    const got = await route53.send(new GetHealthCheckCommand({ HealthCheckId: id }));
    const { HealthChecks = [] } = await route53.send(new ListHealthChecksCommand({}));
    // Assess
    expect(created.Location).toBe(`https://route53.amazonaws.com/2013-04-01/healthcheck/${id}`);
    expect(got.HealthCheck).toEqual({
      Id: id,
      CallerReference: 'drill-1',
      HealthCheckConfig: {
        Type: 'RECOVERY_CONTROL',
        RoutingControlArn: controlArn(aws, 'us-east-2'),
      },
      HealthCheckVersion: 1,
    });
    expect(HealthChecks.map((c) => c.Id)).toContain(id);
    expect(HealthChecks).toHaveLength(3);
  });

  it('answers a repeated caller reference with the same health check, and refuses it with other settings or once deleted', async () => {
    // Prepare
    const first = await createCheck('drill-1');
    // Act
    const again = await createCheck('drill-1');
    const otherSettings = await failureOf(createCheck('drill-1', 'us-east-1'));
    await route53.send(new DeleteHealthCheckCommand({ HealthCheckId: first.HealthCheck?.Id }));
    const afterDelete = await failureOf(createCheck('drill-1'));
    // Assess
    expect(again.HealthCheck?.Id).toBe(first.HealthCheck?.Id);
    for (const error of [otherSettings, afterDelete]) {
      expect(error).toBeInstanceOf(HealthCheckAlreadyExists);
      expect((error as HealthCheckAlreadyExists).$metadata.httpStatusCode).toBe(409);
    }
  });

  it('pages through the health checks with Marker and MaxItems', async () => {
    // Prepare
    await createCheck('drill-1');
    // Act
    const first = await route53.send(new ListHealthChecksCommand({ MaxItems: 2 }));
    const second = await route53.send(
      new ListHealthChecksCommand({ MaxItems: 2, Marker: first.NextMarker }),
    );
    // Assess
    expect([first.IsTruncated, first.HealthChecks?.length]).toEqual([true, 2]);
    expect(second.IsTruncated).toBe(false);
    expect(second.HealthChecks?.map((c) => c.Id)).toEqual([first.NextMarker]);
  });

  it('reports a health check’s status from its routing control, as it flips', async () => {
    // Prepare
    const id = (await createCheck('drill-1')).HealthCheck?.Id;
    const before = await route53.send(new GetHealthCheckStatusCommand({ HealthCheckId: id }));
    // Act
    setControls(aws, { 'us-east-1': 'Off', 'us-east-2': 'On' });
    const after = await route53.send(new GetHealthCheckStatusCommand({ HealthCheckId: id }));
    // Assess
    const statuses = (r: typeof before) =>
      new Set(r.HealthCheckObservations?.map((o) => o.StatusReport?.Status?.split(':')[0]));
    expect(statuses(before)).toEqual(new Set(['Failure']));
    expect(statuses(after)).toEqual(new Set(['Success']));
    expect(after.HealthCheckObservations?.[0]?.StatusReport?.CheckedTime).toEqual(
      new Date(aws.clock.now()),
    );
  });

  it('deletes a health check, then answers NoSuchHealthCheck; another account sees none of them', async () => {
    // Prepare
    const id = (await createCheck('drill-1')).HealthCheck?.Id;
    const dmnt = await route53As(aws, plans, 'dmnt');
    // Act
    const elsewhere = await failureOf(dmnt.send(new GetHealthCheckCommand({ HealthCheckId: id })));
    await route53.send(new DeleteHealthCheckCommand({ HealthCheckId: id }));
    const gone = await failureOf(route53.send(new GetHealthCheckCommand({ HealthCheckId: id })));
    // Assess
    for (const error of [elsewhere, gone]) {
      expect(error).toBeInstanceOf(NoSuchHealthCheck);
      expect((error as NoSuchHealthCheck).$metadata.httpStatusCode).toBe(404);
    }
  });

  it('deletes a health check a record set still uses: Route 53 no longer answers HealthCheckInUse', async () => {
    // Prepare
    const { HealthChecks = [] } = await route53.send(new ListHealthChecksCommand({}));
    const seeded = HealthChecks[0]?.Id;
    // Act
    await route53.send(new DeleteHealthCheckCommand({ HealthCheckId: seeded }));
    // Assess
    const after = await route53.send(new ListHealthChecksCommand({}));
    expect(after.HealthChecks?.map((c) => c.Id)).not.toContain(seeded);
  });

  it('refuses the kinds of health check it does not simulate with 501 NotImplemented', async () => {
    // Act
    const error = await failureOf(
      route53.send(
        new CreateHealthCheckCommand({
          CallerReference: 'http-1',
          HealthCheckConfig: { Type: 'HTTP', IPAddress: '10.1.1.1', Port: 80, ResourcePath: '/' },
        }),
      ),
    );
    // Assess
    expect((error as Route53ServiceException).name).toBe('NotImplemented');
    expect((error as Route53ServiceException).$metadata.httpStatusCode).toBe(501);
    expect((error as Error).message).toContain('RECOVERY_CONTROL health checks only, not HTTP');
  });
});
