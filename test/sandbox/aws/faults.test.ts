import { describe, expect, it } from 'vitest';
import {
  FaultSet,
  FaultSyntaxError,
  formatFault,
  parseFault,
} from '../../../sandbox/aws/faults.ts';

describe('fault syntax', () => {
  it.each([
    ['region-down:us-east-1', { kind: 'region-down', region: 'us-east-1' }],
    [
      'region-down:us-east-1:keep-global',
      { kind: 'region-down', region: 'us-east-1', keepGlobal: true },
    ],
    ['throttle:0.3', { kind: 'throttle', rate: 0.3 }],
    [
      'throttle:1:drs:DescribeJobs',
      { kind: 'throttle', rate: 1, service: 'drs', operation: 'DescribeJobs' },
    ],
    ['5xx:0.05:ssm', { kind: '5xx', rate: 0.05, service: 'ssm' }],
    ['launch-fail:bcbsaz-web-03', { kind: 'launch-fail', server: 'bcbsaz-web-03' }],
    ['stall:bcbsaz-ora-01', { kind: 'stall', server: 'bcbsaz-ora-01' }],
    ['dns-slow:120', { kind: 'dns-slow', seconds: 120 }],
    ['validation-fail', { kind: 'validation-fail' }],
    [
      'validation-fail:Lifeboat-HrpSmokeTest',
      { kind: 'validation-fail', document: 'Lifeboat-HrpSmokeTest' },
    ],
    ['route53-down', { kind: 'route53-down' }],
    ['capacity:r6i.4xlarge', { kind: 'capacity', instanceType: 'r6i.4xlarge' }],
    [
      'capacity:r6i.4xlarge:us-west-1',
      { kind: 'capacity', instanceType: 'r6i.4xlarge', region: 'us-west-1' },
    ],
    ['partition:us-east-1|us-west-2', { kind: 'partition', regions: ['us-east-1', 'us-west-2'] }],
    [
      'crash-after:drs:StartRecovery',
      { kind: 'crash-after', service: 'drs', operation: 'StartRecovery', nth: 1 },
    ],
    [
      'crash-before:ssm:SendCommand:3',
      { kind: 'crash-before', service: 'ssm', operation: 'SendCommand', nth: 3 },
    ],
  ])('reads %s and writes it back the same', (text, fault) => {
    expect(parseFault(text)).toEqual(fault);
    expect(formatFault(parseFault(text))).toBe(text);
  });

  it.each([
    ['earthquake', 'is not a kind of fault'],
    ['throttle:2', 'the rate must be a number from 0 to 1'],
    ['throttle', 'the rate must be a number'],
    ['region-down', 'it needs a region'],
    ['region-down:us-east-1:keep', 'the only option of region-down is keep-global'],
    ['region-down:us-east-1:keep-global:x', 'the only option of region-down is keep-global'],
    ['launch-fail', 'it needs a server name'],
    ['dns-slow:soon', 'the delay must be seconds'],
    ['capacity', 'it takes an instance type'],
    ['capacity:large', 'it takes an instance type'],
    ['capacity:r6i.large:us-west-1:x', 'it takes an instance type'],
    ['partition', 'it takes two regions joined by |'],
    ['partition:us-east-1', 'it takes two regions joined by |'],
    ['partition:us-east-1|us-west-2|us-east-2', 'it takes two regions joined by |'],
    ['partition:us-east-1|mars', 'it takes two regions joined by |'],
    ['partition:us-east-1|us-west-2:x', 'it takes two regions joined by |'],
    ['partition:us-east-1|us-east-1', 'a region is never cut off from itself'],
    ['crash-after', 'it takes a service, an operation'],
    ['crash-after:drs', 'it takes a service, an operation'],
    ['crash-before:drs:StartRecovery:0', 'optionally which call (from 1)'],
    ['crash-before:drs:StartRecovery:x', 'optionally which call (from 1)'],
    ['crash-before:drs:StartRecovery:1:2', 'optionally which call (from 1)'],
  ])('refuses %j: %s', (text, why) => {
    expect(() => parseFault(text)).toThrow(FaultSyntaxError);
    expect(() => parseFault(text)).toThrow(why);
  });
});

describe('FaultSet', () => {
  it.each([
    // [fault, calls made (service:operation), the call (1-based) that crashes, or 0 for none]
    ['crash-after:drs:StartRecovery', ['drs:StartRecovery', 'drs:StartRecovery'], 1],
    ['crash-before:drs:StartRecovery:2', ['drs:StartRecovery', 'drs:StartRecovery'], 2],
    [
      'crash-after:drs:StartRecovery:2',
      ['drs:DescribeJobs', 'drs:StartRecovery', 'ec2:StartRecovery', 'drs:StartRecovery'],
      4,
    ],
    ['crash-after:ssm:SendCommand:3', ['ssm:SendCommand', 'ssm:SendCommand'], 0],
  ])('%s crashes the right call once, then leaves force', (fault, calls, crashing) => {
    // Prepare
    const faults = new FaultSet([fault]);
    // Act
    const crashed = calls.map((call) => {
      const [service = '', operation = ''] = call.split(':');
      return faults.crashOn(service, operation) !== undefined;
    });
    // Assess
    expect(crashed).toEqual(calls.map((_, i) => i + 1 === crashing));
    expect(faults.list()).toEqual(crashing === 0 ? [fault] : []);
  });

  it('adds, replaces, removes and answers what applies to a call', () => {
    const set = new FaultSet([
      'throttle:0.2',
      'throttle:0.9:drs:StartRecovery',
      'region-down:us-east-1',
    ]);
    expect(set.throttleRate('drs', 'StartRecovery')).toBe(0.9);
    expect(set.throttleRate('drs', 'DescribeJobs')).toBe(0.2);
    expect(set.throttleRate('ssm', 'SendCommand')).toBe(0.2);
    expect(set.isRegionDown('us-east-1')).toBe(true);
    set.add('throttle:0.2');
    expect(set.list()).toHaveLength(3);
    expect(set.remove('region-down:us-east-1')).toBe(true);
    expect(set.isRegionDown('us-east-1')).toBe(false);
    expect(set.remove('region-down:us-east-1')).toBe(false);
  });

  it('takes the global control planes homed in a region down with it, unless keep-global', () => {
    const set = new FaultSet(['region-down:us-east-1:keep-global', 'region-down:us-west-2']);
    expect([set.isRegionDown('us-east-1'), set.isGlobalDown('us-east-1')]).toEqual([true, false]);
    set.add('region-down:us-east-1');
    expect(set.isGlobalDown('us-east-1')).toBe(true);
    set.remove('region-down:us-east-1');
    expect(set.isGlobalDown('us-east-1')).toBe(false);
    expect(set.isGlobalDown('us-west-2')).toBe(true);
  });

  it('cuts two regions apart both ways, one fault whichever way it is written', () => {
    // Prepare
    const set = new FaultSet(['partition:us-west-2|us-east-1']);
    // Act
    set.add('partition:us-east-1|us-west-2');
    // Assess
    expect(set.list()).toEqual(['partition:us-east-1|us-west-2']);
    expect(set.isPartitioned('us-east-1', 'us-west-2')).toBe(true);
    expect(set.isPartitioned('us-west-2', 'us-east-1')).toBe(true);
    expect(set.isPartitioned('us-east-1', 'us-east-2')).toBe(false);
    expect(set.remove('partition:us-west-2|us-east-1')).toBe(true);
    expect(set.isPartitioned('us-east-1', 'us-west-2')).toBe(false);
  });

  it('answers whether EC2 has capacity of a type in a region', () => {
    const set = new FaultSet(['capacity:r6i.4xlarge:us-west-1', 'capacity:m5.xlarge']);
    expect(set.noCapacity('r6i.4xlarge', 'us-west-1')).toBe(true);
    expect(set.noCapacity('r6i.4xlarge', 'us-east-2')).toBe(false);
    expect(set.noCapacity('r6i.8xlarge', 'us-west-1')).toBe(false);
    expect(set.noCapacity('m5.xlarge', 'eu-west-1')).toBe(true);
  });
});
