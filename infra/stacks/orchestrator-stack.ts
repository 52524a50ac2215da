import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { Construct } from 'constructs';
import { RunbookTaskFunctions } from '../constructs/runbook-functions.ts';
import { RunbookStateMachine } from '../constructs/runbook-state-machine.ts';

export interface OrchestratorStackProps extends StackProps {
  /** The task Lambdas' environment. */
  environment: Record<string, string>;
}

/**
 * The orchestrator alone: the task Lambdas and the runbook state machine, as the local runner
 * synthesizes it (`sandbox/stepfunctions/synth.ts`). The deployed region is `RegionStack`.
 */
export class OrchestratorStack extends Stack {
  readonly runbook: RunbookStateMachine;

  constructor(scope: Construct, id: string, props: OrchestratorStackProps) {
    super(scope, id, props);
    const tasks = new RunbookTaskFunctions(this, 'Tasks', { environment: props.environment });
    this.runbook = new RunbookStateMachine(this, 'Runbook', { functions: tasks.functions });
    // Gates nobody answered in time end their runs: swept every minute.
    new Rule(this, 'ExpireGates', {
      schedule: Schedule.rate(Duration.minutes(1)),
      targets: [new LambdaFunction(tasks.expireGates.function)],
    });
    this.runbook.stateMachine.grantTaskResponse(tasks.expireGates.function);
  }
}
