import { describe, expect, expectTypeOf, it } from 'vitest';
import * as errors from '../../../orchestrator/domain/errors.ts';
import { ERROR_NAMES, type ErrorName, LifeboatError } from '../../../orchestrator/domain/errors.ts';

/** The module's exports that are LifeboatError or one of its subclasses, by export name. */
type ErrorClassName = {
  [K in keyof typeof errors]: (typeof errors)[K] extends abstract new (
    ...args: never[]
  ) => LifeboatError
    ? K
    : never;
}[keyof typeof errors];

const call = { service: 'drs', operation: 'StartRecovery', code: 'ConflictException', detail: 'x' };

/** One instance of every error class, built the way the code builds it. */
const INSTANCES: LifeboatError[] = [
  new errors.LifeboatError('Something went wrong.'),
  new errors.PlanValidationError('config/customers/acme.yaml', [
    { code: 'unknown-server', path: 'waves[0].servers[1]', message: '"web-9" is not a server.' },
  ]),
  new errors.UnknownCustomerError('acme', ['bcbsaz']),
  new errors.UnsupportedOperationError('Customer "acme" has no isolated drill network.'),
  new errors.InvalidSettingError('The state machine ARN pattern', 'arn', 'write {region}.'),
  new errors.GateAnswerError('This approval was already decided; nothing changed.'),
  new errors.OperationInProgressError('acme', 'drill run-1'),
  new errors.NotFoundError('Run run-1'),
  new errors.ConcurrentUpdateError('Run run-1'),
  new errors.NotPausedError('run-1'),
  new errors.AwsCallError({ ...call, retryable: false }),
  new errors.ThrottledError({ ...call, code: 'ThrottlingException' }),
  new errors.ServerError({ ...call, code: 'InternalServerException' }),
  new errors.RegionUnreachableError({ ...call, code: 'ECONNRESET', region: 'us-east-1' }),
  new errors.ClusterUnreachableError('UpdateRoutingControlStates', [
    { region: 'us-east-1', detail: 'ECONNRESET' },
  ]),
  new errors.JournalEntryError('step-started', 'data.kind is missing'),
  new errors.GateOpeningError('s-3', 'dns'),
  new errors.UnknownStepError('run-1', 's-99'),
];

const exported = Object.entries(errors).filter(
  (entry): entry is [string, typeof LifeboatError] =>
    entry[1] === LifeboatError ||
    (typeof entry[1] === 'function' && entry[1].prototype instanceof LifeboatError),
);

describe('ERROR_NAMES', () => {
  it('registers every exported error class under its own name, and nothing else', () => {
    // Assess: at compile time, then at run time
    expectTypeOf<ErrorName>().toEqualTypeOf<ErrorClassName>();
    expect(Object.keys(ERROR_NAMES).sort()).toEqual(exported.map(([name]) => name).sort());
    for (const [key, name] of Object.entries(ERROR_NAMES)) expect(name).toBe(key);
  });

  it.each(exported)('names a %s by its registry entry, as Retry/Catch match it', (key, Class) => {
    // Prepare
    const instance = INSTANCES.find((error) => error.constructor === Class);
    // Assess
    expect(instance, `add a ${key} to INSTANCES`).toBeDefined();
    expect(instance?.name).toBe(ERROR_NAMES[key as ErrorName]);
    expect(instance).toBeInstanceOf(LifeboatError);
  });

  it('puts the offending value in the message', () => {
    // Act
    const error = new errors.InvalidSettingError(
      'The state machine ARN pattern',
      'arn:aws:states:us-east-1:111122223333:stateMachine:lifeboat',
      'write {region} where the region goes.',
    );
    // Assess
    expect(error.message).toBe(
      'The state machine ARN pattern is "arn:aws:states:us-east-1:111122223333:stateMachine:lifeboat": write {region} where the region goes.',
    );
  });
});
