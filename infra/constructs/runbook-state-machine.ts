import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ERROR_NAMES } from '../../orchestrator/domain/errors.ts';
import { DECISION_GATE_EXPIRY_SECONDS } from '../../orchestrator/domain/settings.ts';
import { InvalidPropsError } from '../errors.ts';
import { acknowledge, acknowledgeWildcards } from '../nag/acknowledge.ts';

/** The step kinds the machine starts and polls (gates and the end are routed apart). */
export const POLLED_KINDS = [
  'preflight',
  'stop-instances',
  'wait-replication',
  'recover-wave',
  'ssm-command',
  'lambda-hook',
  'stack',
  'dns',
  'reverse-replication',
  'terminate-drill-instances',
  'report',
] as const;

export interface RunbookFunctions {
  prepare: IFunction;
  next: IFunction;
  startStep: IFunction;
  pollStep: IFunction;
  failStep: IFunction;
  openGate: IFunction;
  applyDecision: IFunction;
  finish: IFunction;
}

export interface RunbookStateMachineProps {
  functions: RunbookFunctions;
  /**
   * The longest a run may take, gates included.
   * @default 30 days
   */
  timeout?: Duration;
  /**
   * A fixed name, so the bot can start executions in any region from one ARN pattern.
   * @default a name CloudFormation generates
   */
  stateMachineName?: string;
  /**
   * Where every execution event is logged (without execution data: gate task tokens travel in
   * the state, and a token in a log is an answer anyone reading logs could give).
   * @default no logging
   */
  logGroup?: ILogGroup;
  /**
   * X-Ray tracing of executions and their Lambda calls.
   * @default false
   */
  tracing?: boolean;
}

/** Worth retrying with backoff and jitter: throttling, a 5xx, a region that did not answer, Lambda's own. */
export const TRANSIENT = [
  ERROR_NAMES.ThrottledError,
  ERROR_NAMES.ServerError,
  ERROR_NAMES.RegionUnreachableError,
  'Lambda.TooManyRequestsException',
  'Lambda.ServiceException',
  'Lambda.SdkClientException',
  'Lambda.AWSLambdaException',
];

/**
 * A task Lambda that died rather than threw (timed out, out of memory, a deploy replaced it):
 * Step Functions reports `Lambda.Unknown` (`Sandbox.Timedout` for a timeout on newer runtimes).
 * Every task is safe to run again (README, Crash safety), so the machine runs it again.
 */
export const CRASHED = ['Lambda.Unknown', 'Sandbox.Timedout'];

/**
 * A task Lambda's state, as both state machines call their tasks: the payload given, the
 * function's answer at `resultPath`, transient errors retried with backoff and full jitter, and a
 * task that died (timeout, out of memory) run again: every task is safe to repeat.
 */
export function lambdaTask(
  scope: Construct,
  name: string,
  fn: IFunction,
  payload: Record<string, unknown>,
  resultPath: string,
): tasks.LambdaInvoke {
  const task = new tasks.LambdaInvoke(scope, name, {
    lambdaFunction: fn,
    payload: sfn.TaskInput.fromObject(payload),
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
    resultPath,
  });
  task.addRetry({
    errors: TRANSIENT,
    interval: Duration.seconds(2),
    backoffRate: 2,
    maxAttempts: 10,
    maxDelay: Duration.seconds(60),
    jitterStrategy: sfn.JitterType.FULL,
  });
  task.addRetry({
    errors: CRASHED,
    interval: Duration.seconds(5),
    backoffRate: 2,
    maxAttempts: 3,
    jitterStrategy: sfn.JitterType.FULL,
  });
  return task;
}

/**
 * The runbook interpreter: a Standard workflow that runs the steps Lifeboat's domain planned.
 *
 * 1. **Prepare** loads the customer's plan, plans the runbook, takes the customer's lock and
 *    records the execution (the runbook itself lives in the state table, not in the state).
 * 2. **Next step** asks the engine what comes next, and **Route** branches on its `kind`.
 * 3. Each kind has its own sub-chain: **Start** it, **Check** its progress, **Wait** the seconds
 *    the executor asked for, **Poll**, until it is done (back to Next step) or failed.
 * 4. A failed step, or an error that survived the retries, opens **Decide**: a
 *    `waitForTaskToken` gate where people choose retry, continue without, or abort.
 * 5. Gates in the runbook (approval, sign-off, manual steps) and **Paused** are the same
 *    mechanism; **Apply decision** turns the answer into the run's next move.
 * 6. **Finish** records the outcome, writes the report if the run was aborted, and releases
 *    the lock.
 *
 * JSONPath only: the local runner ignores JSONata, `Assign` and `ItemBatcher`.
 */
export class RunbookStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: RunbookStateMachineProps) {
    super(scope, id);
    if (props.stateMachineName !== undefined && !/^[\w-]{1,80}$/.test(props.stateMachineName))
      throw new InvalidPropsError(
        'RunbookStateMachine',
        `stateMachineName "${props.stateMachineName}" must be 1 to 80 letters, digits, _ or -.`,
      );
    const f = props.functions;
    const invoke = (
      name: string,
      fn: IFunction,
      payload: Record<string, unknown>,
      resultPath: string,
    ) => {
      return lambdaTask(this, name, fn, payload, resultPath);
    };
    const gate = (name: string, kind: 'step' | 'decision' | 'pause', timeout: sfn.Timeout) =>
      new tasks.LambdaInvoke(this, name, {
        lambdaFunction: f.openGate,
        integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
        payload: sfn.TaskInput.fromObject({
          executionId: sfn.JsonPath.stringAt('$.run.executionId'),
          stepId: sfn.JsonPath.stringAt('$.next.stepId'),
          kind,
          taskToken: sfn.JsonPath.taskToken,
        }),
        taskTimeout: timeout,
        resultPath: '$.decision',
      });
    const ids = {
      executionId: sfn.JsonPath.stringAt('$.run.executionId'),
      stepId: sfn.JsonPath.stringAt('$.next.stepId'),
    };

    const prepare = invoke(
      'Prepare',
      f.prepare,
      {
        request: sfn.JsonPath.entirePayload,
        executionName: sfn.JsonPath.stringAt('$$.Execution.Name'),
      },
      '$.run',
    );
    const next = invoke(
      'Next step',
      f.next,
      { executionId: sfn.JsonPath.stringAt('$.run.executionId') },
      '$.next',
    );
    const apply = invoke(
      'Apply decision',
      f.applyDecision,
      { ...ids, decision: sfn.JsonPath.objectAt('$.decision') },
      sfn.JsonPath.DISCARD,
    );
    const expire = invoke(
      'Expire gate',
      f.applyDecision,
      { ...ids, decision: { kind: 'expired', decision: 'expired' } },
      sfn.JsonPath.DISCARD,
    );
    // The engine's own expiry of a decision; the sweeper usually ends it first.
    const decide = gate(
      'Decide',
      'decision',
      sfn.Timeout.duration(Duration.seconds(DECISION_GATE_EXPIRY_SECONDS)),
    );
    const recordFailure = invoke(
      'Record failure',
      f.failStep,
      { ...ids, error: sfn.JsonPath.objectAt('$.error') },
      '$.progress',
    );
    // Gates carry their own expiry (approvals expire, sign-offs wait days): the engine refuses
    // late answers; the state machine's timeout is only the outer bound.
    const stepGate = gate('Gate', 'step', sfn.Timeout.duration(Duration.days(14)));
    const paused = gate('Paused', 'pause', sfn.Timeout.duration(Duration.days(14)));
    const finish = invoke(
      'Finish',
      f.finish,
      {
        executionId: sfn.JsonPath.stringAt('$.run.executionId'),
        outcome: sfn.JsonPath.stringAt('$.next.outcome'),
      },
      '$.result',
    );
    for (const g of [decide, stepGate, paused]) {
      g.addCatch(expire, { errors: ['States.Timeout'], resultPath: '$.error' });
      g.next(apply);
    }
    apply.next(next);
    expire.next(next);
    recordFailure.next(decide);
    finish.next(new sfn.Succeed(this, 'Done'));

    const route = new sfn.Choice(this, 'Route')
      .when(sfn.Condition.stringEquals('$.next.kind', 'finish'), finish)
      .when(sfn.Condition.stringEquals('$.next.kind', 'gate'), stepGate)
      .when(sfn.Condition.stringEquals('$.next.kind', 'pause'), paused);
    for (const kind of POLLED_KINDS) {
      const start = invoke(`Start ${kind}`, f.startStep, ids, '$.progress');
      const poll = invoke(
        `Poll ${kind}`,
        f.pollStep,
        { ...ids, waitSeconds: sfn.JsonPath.numberAt('$.progress.waitSeconds') },
        '$.progress',
      );
      const wait = new sfn.Wait(this, `Wait ${kind}`, {
        time: sfn.WaitTime.secondsPath('$.progress.waitSeconds'),
      });
      const check = new sfn.Choice(this, `Check ${kind}`)
        .when(sfn.Condition.stringEquals('$.progress.status', 'done'), next)
        .when(sfn.Condition.stringEquals('$.progress.status', 'failed'), decide)
        .otherwise(wait);
      for (const task of [start, poll])
        task.addCatch(recordFailure, { errors: ['States.ALL'], resultPath: '$.error' });
      start.next(check);
      wait.next(poll);
      poll.next(check);
      route.when(sfn.Condition.stringEquals('$.next.kind', kind), start);
    }
    route.otherwise(
      new sfn.Fail(this, 'Unknown step kind', {
        error: 'UnknownStepKind',
        causePath: '$.next.kind',
      }),
    );
    next.next(route);
    prepare.addCatch(
      new sfn.Fail(this, 'Not started', { errorPath: '$.error.Error', causePath: '$.error.Cause' }),
      { errors: ['States.ALL'], resultPath: '$.error' },
    );
    prepare.next(next);

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(prepare),
      timeout: props.timeout ?? Duration.days(30),
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
      ...(props.tracing ? { tracingEnabled: true } : {}),
    });
    acknowledgeWildcards(
      this.stateMachine.role,
      Object.values(f).map((fn) => `${fn.functionArn}:*`),
      "Step Functions invokes each task Lambda by ARN and by its versions and aliases (`:*`), as the LambdaInvoke task grants; the functions are this machine's own.",
    );
    if (props.logGroup || props.tracing)
      acknowledge(
        this.stateMachine.role,
        'AwsSolutions-IAM5[Resource::*]',
        'CloudWatch Logs log delivery (logs:*LogDelivery, DescribeLogGroups, resource policies) and X-Ray (PutTraceSegments, GetSampling*) have no resource-level permissions; AWS documents Resource "*" for both.',
      );
  }
}
