import { Duration } from 'aws-cdk-lib';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import type { RunbookFunctions } from './runbook-state-machine.ts';

const ENTRY = new URL('../../orchestrator/handlers/tasks.ts', import.meta.url).pathname;

export interface RunbookFunctionsProps {
  /** The task Lambdas' environment (the state table, where plans and reports live). */
  environment: Record<string, string>;
}

/** The runbook's task Lambdas: one function per exported handler of `orchestrator/handlers/tasks.ts`. */
export class RunbookTaskFunctions extends Construct {
  readonly functions: RunbookFunctions;
  /** The sweeper that ends runs whose gates expired unanswered. */
  readonly expireGates: NodejsFunction;

  constructor(scope: Construct, id: string, props: RunbookFunctionsProps) {
    super(scope, id);
    const fn = (name: keyof RunbookFunctions | 'expireGates', timeout = 60) =>
      new NodejsFunction(this, name, {
        entry: ENTRY,
        handler: name,
        runtime: Runtime.NODEJS_22_X,
        architecture: Architecture.ARM_64,
        memorySize: 512,
        timeout: Duration.seconds(timeout),
        environment: props.environment,
      });
    this.functions = {
      prepare: fn('prepare'),
      next: fn('next'),
      startStep: fn('startStep', 300),
      pollStep: fn('pollStep', 300),
      failStep: fn('failStep'),
      openGate: fn('openGate'),
      applyDecision: fn('applyDecision'),
      finish: fn('finish', 120),
    };
    this.expireGates = fn('expireGates');
  }
}
