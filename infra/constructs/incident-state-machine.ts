import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { InvalidPropsError } from '../errors.ts';
import { acknowledge, acknowledgeWildcards } from '../nag/acknowledge.ts';
import { lambdaTask } from './runbook-state-machine.ts';

export interface IncidentStateMachineProps {
  /** The incident's task Lambda (`tasks.incident`). */
  fn: IFunction;
  /**
   * A fixed name, so the bot can start incidents in any region from one ARN pattern.
   * @default a name CloudFormation generates
   */
  stateMachineName?: string;
  /**
   * How long the approval waits at most (the coordinator's own expiry is `regionWide.approvalTimeout`).
   * @default 1 day
   */
  approvalTimeout?: Duration;
  /**
   * Every execution event, without execution data (the approval's task token travels in it).
   * @default no logging
   */
  logGroup?: ILogGroup;
}

/**
 * A region-wide incident: a run of runs, a Standard workflow with one task Lambda.
 *
 * 1. **Prepare incident** records every plan of the lost region in recovery order, with its
 *    readiness and the runs already going.
 * 2. **Approve incident** waits (task token) for the M-of-N approval; a timeout expires it.
 * 3. **Apply approval** starts the incident, or ends it (rejected, expired, aborted).
 * 4. **Advance incident** looks once: ends, starts, conversions and aborts of child runs (each
 *    child is the runbook state machine, started by name so a retried look starts nothing
 *    twice); **Wait** the seconds it asked for, and look again until every plan has ended.
 *
 * The decisions are the domain's (`advanceIncident`); JSONPath only, as the runbook machine.
 */
export class IncidentStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: IncidentStateMachineProps) {
    super(scope, id);
    if (props.stateMachineName !== undefined && !/^[\w-]{1,80}$/.test(props.stateMachineName))
      throw new InvalidPropsError(
        'IncidentStateMachine',
        `stateMachineName "${props.stateMachineName}" must be 1 to 80 letters, digits, _ or -.`,
      );
    const invoke = (name: string, payload: Record<string, unknown>, resultPath: string) =>
      lambdaTask(this, name, props.fn, payload, resultPath);
    const incidentId = sfn.JsonPath.stringAt('$.incidentId');

    const prepare = invoke(
      'Prepare incident',
      { action: 'prepare', request: sfn.JsonPath.entirePayload },
      '$.prepared',
    );
    const approve = new tasks.LambdaInvoke(this, 'Approve incident', {
      lambdaFunction: props.fn,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject({
        action: 'open-approval',
        incidentId,
        taskToken: sfn.JsonPath.taskToken,
      }),
      taskTimeout: sfn.Timeout.duration(props.approvalTimeout ?? Duration.days(1)),
      resultPath: '$.decision',
    });
    const apply = invoke(
      'Apply approval',
      { action: 'apply-approval', incidentId, decision: sfn.JsonPath.objectAt('$.decision') },
      '$.approval',
    );
    const expired = new sfn.Pass(this, 'Approval expired', {
      result: sfn.Result.fromObject({ kind: 'approval', decision: 'expired' }),
      resultPath: '$.decision',
    });
    const advance = invoke(
      'Advance incident',
      {
        action: 'advance',
        incidentId,
        waitSeconds: sfn.JsonPath.numberAt('$.advance.waitSeconds'),
      },
      '$.advance',
    );
    const firstLook = new sfn.Pass(this, 'First look', {
      result: sfn.Result.fromObject({ done: false, waitSeconds: 0 }),
      resultPath: '$.advance',
    });
    const wait = new sfn.Wait(this, 'Wait incident', {
      time: sfn.WaitTime.secondsPath('$.advance.waitSeconds'),
    });
    const done = new sfn.Succeed(this, 'Incident ended');

    approve.addCatch(expired, { errors: ['States.Timeout'], resultPath: '$.error' });
    expired.next(apply);
    prepare.next(approve);
    approve.next(apply);
    apply.next(
      new sfn.Choice(this, 'Approved?')
        .when(sfn.Condition.booleanEquals('$.approval.approved', true), firstLook)
        .otherwise(done),
    );
    firstLook.next(advance);
    advance.next(
      new sfn.Choice(this, 'Every plan ended?')
        .when(sfn.Condition.booleanEquals('$.advance.done', true), done)
        .otherwise(wait),
    );
    wait.next(advance);

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(prepare),
      // Children wait days for decisions at most; the incident follows them.
      timeout: Duration.days(30),
      ...(props.stateMachineName ? { stateMachineName: props.stateMachineName } : {}),
      ...(props.logGroup
        ? {
            logs: {
              destination: props.logGroup,
              level: sfn.LogLevel.ALL,
              includeExecutionData: false,
            },
          }
        : {}),
      // X-Ray shows a look that waited on a slow child or a throttled table.
      tracingEnabled: true,
    });
    acknowledge(
      this.stateMachine.role,
      'AwsSolutions-IAM5[Resource::*]',
      'CloudWatch Logs log delivery (logs:*LogDelivery, DescribeLogGroups, resource policies) and X-Ray (PutTraceSegments, GetSampling*) have no resource-level permissions; AWS documents Resource "*" for both.',
    );
    acknowledgeWildcards(
      this.stateMachine.role,
      [`${props.fn.functionArn}:*`],
      'Step Functions invokes the incident Lambda by ARN and by its versions and aliases (`:*`), as the LambdaInvoke task grants; the function is this machine’s own.',
    );
  }
}
