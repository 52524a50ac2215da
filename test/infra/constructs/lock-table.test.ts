import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { LockTable, lockTableName } from '../../../infra/constructs/lock-table.ts';
import { InvalidPropsError } from '../../../infra/errors.ts';
import { cdkJsonContext } from '../synthesize.ts';

function lockTable(region: string, tableName = lockTableName('lifeboat-state')) {
  const app = new App({
    builtinCloudFormationValidation: false,
    context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] },
  });
  const stack = new Stack(app, 'Test', { env: { account: '111122223333', region } });
  new LockTable(stack, 'Locks', { tableName });
  return Template.fromStack(stack);
}

describe('LockTable', () => {
  it('is strongly consistent across us-east-1, us-east-2 and us-west-2, encrypted and kept', () => {
    // Act
    const template = lockTable('us-east-1');
    // Assess
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      Properties: {
        TableName: 'lifeboat-state-locks',
        MultiRegionConsistency: 'STRONG',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      },
    });
    const [table] = Object.values(template.findResources('AWS::DynamoDB::GlobalTable')) as {
      Properties: { Replicas: { Region: string }[]; StreamSpecification?: unknown };
    }[];
    const replicas = table?.Properties.Replicas ?? [];
    expect(replicas.map((r) => r.Region).sort()).toEqual(['us-east-1', 'us-east-2', 'us-west-2']);
    for (const replica of replicas)
      expect(replica).toMatchObject({
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
  });

  it.each([
    ['us-west-1', /"us-west-1" is not one of the strongly consistent set/],
    ['eu-west-1', /"eu-west-1" is not one of the strongly consistent set/],
  ])('refuses a stack in %s', (region, message) => {
    expect(() => lockTable(region)).toThrow(InvalidPropsError);
    expect(() => lockTable(region)).toThrow(message);
  });

  it('refuses a name DynamoDB would not take', () => {
    expect(() => lockTable('us-east-1', 'x')).toThrow(/tableName "x" is not a valid name/);
  });
});
