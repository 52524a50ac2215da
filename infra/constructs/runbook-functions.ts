import { Duration } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { LifeboatFunction } from './lifeboat-function.ts';
import type { RunbookFunctions } from './runbook-state-machine.ts';

const ENTRY = 'orchestrator/handlers/tasks.ts';

export interface RunbookFunctionsProps {
  /** The task Lambdas' environment (the state table, where plans and reports live). */
  environment: Record<string, string>;
  /** @default one month */
  logRetention?: RetentionDays;
}

/**
 * The runbook's task Lambdas: one function, with its own role, per exported handler of
 * `orchestrator/handlers/tasks.ts`, so each is granted only what its handler does.
 */
export class RunbookTaskFunctions extends Construct {
  readonly functions: RunbookFunctions;
  /** The sweeper that ends runs whose gates expired unanswered. */
  readonly expireGates: LifeboatFunction;
  /** Every task function by handler name, the sweeper included. */
  readonly byHandler: Readonly<Record<keyof RunbookFunctions | 'expireGates', LifeboatFunction>>;

  constructor(scope: Construct, id: string, props: RunbookFunctionsProps) {
    super(scope, id);
    const fn = (name: keyof RunbookFunctions | 'expireGates', timeout = 60) =>
      new LifeboatFunction(this, name, {
        entry: ENTRY,
        handler: name,
        description: `runbook task ${name}`,
        timeout: Duration.seconds(timeout),
        environment: props.environment,
        ...(props.logRetention ? { logRetention: props.logRetention } : {}),
      });
    const byHandler = {
      prepare: fn('prepare'),
      next: fn('next'),
      startStep: fn('startStep', 300),
      pollStep: fn('pollStep', 300),
      failStep: fn('failStep'),
      openGate: fn('openGate'),
      applyDecision: fn('applyDecision'),
      finish: fn('finish', 120),
      expireGates: fn('expireGates'),
    };
    this.byHandler = byHandler;
    this.expireGates = byHandler.expireGates;
    this.functions = {
      prepare: byHandler.prepare.function,
      next: byHandler.next.function,
      startStep: byHandler.startStep.function,
      pollStep: byHandler.pollStep.function,
      failStep: byHandler.failStep.function,
      openGate: byHandler.openGate.function,
      applyDecision: byHandler.applyDecision.function,
      finish: byHandler.finish.function,
    };
  }
}
