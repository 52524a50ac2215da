import {
  ChangeResourceRecordSetsCommand,
  DeleteHealthCheckCommand,
} from '@aws-sdk/client-route-53';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Plan } from '../../../orchestrator/domain/plan.ts';
import { safetyRuleName } from '../../../orchestrator/domain/routing.ts';
import type { LocalAws } from '../../../sandbox/aws/local-aws.ts';
import { samplePlans, startSampleAws } from './harness.ts';
import {
  answerEvents,
  controlArn,
  healthCheckIds,
  ORA01,
  PRIMARY_ZONE,
  RECOVERY_ZONE,
  resolve,
  route53As,
  serverIps,
  setControls,
} from './route53-world.ts';

let aws: LocalAws;
let plans: Plan[];
beforeEach(async () => {
  plans = await samplePlans();
  aws = await startSampleAws({ plans });
});
afterEach(() => aws.stop());

const ips = () => serverIps(plans, 'bcbsaz-ora-01');

describe('Route 53’s resolver (the data plane)', () => {
  it('answers the PRIMARY while its routing control is On', () => {
    // Act
    const answers = [PRIMARY_ZONE, RECOVERY_ZONE].map((zone) => resolve(aws, zone, ORA01));
    // Assess
    for (const answer of answers)
      expect(answer).toMatchObject({ values: [ips().primary], ttl: 60 });
    expect(resolve(aws, RECOVERY_ZONE, 'sqldw.bcbsaz.hrp.internal', 'CNAME')?.values).toEqual([
      'bcbsaz-dw-listener.use1.hrp.internal',
    ]);
    expect(resolve(aws, RECOVERY_ZONE, 'nosuch.bcbsaz.hrp.internal')).toBeUndefined();
    expect(aws.estate.truth.filter((e) => e.type === 'dns-answer')).toEqual([]);
  });

  it('answers the SECONDARY from the instant the controls flip, with us-east-1 down, and records it once', async () => {
    // Prepare
    aws.addFault('region-down:us-east-1');
    aws.clock.advance(90_000);
    const flippedAt = aws.clock.now();
    // Act
    setControls(aws, { 'us-east-1': 'Off', 'us-east-2': 'On' });
    aws.clock.advance(5_000);
    const answer = resolve(aws, RECOVERY_ZONE, ORA01);
    const control = await fetch(`${aws.controlUrl}/dns?zone=${RECOVERY_ZONE}&name=${ORA01}`);
    // Assess
    expect(answer).toMatchObject({ values: [ips().recovery], since: flippedAt });
    expect(await control.json()).toEqual({
      values: [ips().recovery],
      since: new Date(flippedAt).toISOString(),
    });
    expect(answerEvents(aws, RECOVERY_ZONE, ORA01)).toEqual([
      {
        at: new Date(flippedAt).toISOString(),
        type: 'dns-answer',
        zoneId: RECOVERY_ZONE,
        name: ORA01,
        recordType: 'A',
        values: [ips().recovery],
        account: plans.find((p) => p.customer.id === 'bcbsaz')?.account.id,
      },
    ]);
  });

  it('answers the PRIMARY when both sides are unhealthy', () => {
    // Prepare
    const rule = aws.arc.state.ruleNamed(safetyRuleName('bcbsaz'))?.arn ?? '';
    setControls(aws, { 'us-east-1': 'Off', 'us-east-2': 'On' });
    // Act
    setControls(aws, { 'us-east-1': 'Off', 'us-east-2': 'Off' }, [rule]);
    // Assess
    expect(resolve(aws, RECOVERY_ZONE, ORA01)?.values).toEqual([ips().primary]);
    expect(answerEvents(aws, RECOVERY_ZONE, ORA01).map((e) => e.values)).toEqual([
      [ips().recovery],
      [ips().primary],
    ]);
  });

  it('moves an answer on a ChangeResourceRecordSets only once the change is INSYNC', async () => {
    // Prepare
    const route53 = await route53As(aws, plans);
    const checks = await healthCheckIds(route53);
    const { ChangeInfo } = await route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: RECOVERY_ZONE,
        ChangeBatch: {
          Changes: [
            {
              Action: 'UPSERT',
              ResourceRecordSet: {
                Name: ORA01,
                Type: 'A',
                SetIdentifier: 'lifeboat-primary',
                Failover: 'PRIMARY',
                TTL: 30,
                ResourceRecords: [{ Value: '10.99.0.1' }],
                HealthCheckId: checks[controlArn(aws, 'us-east-1')],
              },
            },
          ],
        },
      }),
    );
    const [change] = aws.estate.truth.filter((e) => e.type === 'dns-change');
    const insyncAt = Date.parse(String(change?.insyncAt));
    // Act
    aws.clock.advance(insyncAt - aws.clock.now() - 1);
    const pending = resolve(aws, RECOVERY_ZONE, ORA01);
    aws.clock.advance(1);
    const insync = resolve(aws, RECOVERY_ZONE, ORA01);
    // Assess
    expect(ChangeInfo?.Status).toBe('PENDING');
    expect(pending?.values).toEqual([ips().primary]);
    expect(insync).toEqual({ values: ['10.99.0.1'], ttl: 30, since: insyncAt });
    expect(resolve(aws, PRIMARY_ZONE, ORA01)?.values).toEqual([ips().primary]);
    expect(answerEvents(aws, RECOVERY_ZONE, ORA01)).toMatchObject([
      { at: new Date(insyncAt).toISOString(), values: ['10.99.0.1'] },
    ]);
  });

  it('reads a record set whose health check was deleted as unhealthy, as Route 53 lets it be deleted', async () => {
    // Prepare
    const route53 = await route53As(aws, plans);
    const checks = await healthCheckIds(route53);
    setControls(aws, { 'us-east-1': 'On', 'us-east-2': 'On' });
    // Act
    await route53.send(
      new DeleteHealthCheckCommand({ HealthCheckId: checks[controlArn(aws, 'us-east-1')] }),
    );
    // Assess
    expect(resolve(aws, PRIMARY_ZONE, ORA01)?.values).toEqual([ips().recovery]);
    expect(answerEvents(aws, PRIMARY_ZONE, ORA01)).toHaveLength(1);
  });
});
