import { LifeboatError } from '../orchestrator/domain/errors.ts';

/** The deploy configuration (`config/deploy.yaml`) or a plan it deploys cannot be deployed as written. */
export class DeployConfigError extends LifeboatError {
  readonly problems: readonly string[];
  readonly source: string;

  constructor(source: string, problems: readonly string[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(`${source}: ${count}\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'DeployConfigError';
    this.problems = problems;
    this.source = source;
  }
}

/** A construct was given props it cannot build from; the message names the prop and its value. */
export class InvalidPropsError extends LifeboatError {
  constructor(construct: string, message: string) {
    super(`${construct}: ${message}`);
    this.name = 'InvalidPropsError';
  }
}

/** A Lambda's environment would not pass the schema its handler parses it with at cold start. */
export class FunctionEnvironmentError extends LifeboatError {
  constructor(functionPath: string, problems: readonly string[]) {
    super(
      `The environment of ${functionPath} would fail at cold start:\n${problems.map((p) => `  ${p}`).join('\n')}`,
    );
    this.name = 'FunctionEnvironmentError';
  }
}
