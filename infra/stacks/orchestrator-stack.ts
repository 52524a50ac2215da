import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { RunbookTaskFunctions } from '../constructs/runbook-functions.ts';
import { RunbookStateMachine } from '../constructs/runbook-state-machine.ts';

export interface OrchestratorStackProps extends StackProps {
  /** The task Lambdas' environment. */
  environment: Record<string, string>;
}

/** One region's orchestrator: the task Lambdas and the runbook state machine. */
export class OrchestratorStack extends Stack {
  readonly runbook: RunbookStateMachine;

  constructor(scope: Construct, id: string, props: OrchestratorStackProps) {
    super(scope, id, props);
    const tasks = new RunbookTaskFunctions(this, 'Tasks', { environment: props.environment });
    this.runbook = new RunbookStateMachine(this, 'Runbook', { functions: tasks.functions });
  }
}
