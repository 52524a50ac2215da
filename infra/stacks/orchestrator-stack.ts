import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { Construct } from 'constructs';
import { IncidentStateMachine } from '../constructs/incident-state-machine.ts';
import { LifeboatFunction } from '../constructs/lifeboat-function.ts';
import { RunbookTaskFunctions } from '../constructs/runbook-functions.ts';
import { RunbookStateMachine } from '../constructs/runbook-state-machine.ts';
import { RUNBOOK_STATE_MACHINE_NAME } from './region-stack.ts';

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
  readonly incident: IncidentStateMachine;

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
    // A region-wide incident: its own machine and task, starting children on the runbook's.
    const incident = new LifeboatFunction(this, 'IncidentTask', {
      entry: 'orchestrator/handlers/tasks.ts',
      handler: 'incident',
      description: 'region-wide incident task',
      timeout: Duration.seconds(300),
      environment: {
        ...props.environment,
        // As RegionStack names the runbook machine in every region.
        STATE_MACHINE_ARN_PATTERN: `arn:${this.partition}:states:{region}:${this.account}:stateMachine:${RUNBOOK_STATE_MACHINE_NAME}`,
      },
    });
    this.incident = new IncidentStateMachine(this, 'Incident', { fn: incident.function });
    this.runbook.stateMachine.grantStartExecution(incident.function);
    this.runbook.stateMachine.grantTaskResponse(incident.function);
  }
}
