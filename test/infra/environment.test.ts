import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { IngressEnvSchema } from '../../bot/env.ts';
import { acceptsVariable, checkEnvironment, schemaVariables } from '../../infra/environment.ts';
import { FunctionEnvironmentError } from '../../infra/errors.ts';

const Schema = z
  .object({ TABLE: z.string().min(1), QUEUE_URL: z.url().optional(), AWS_REGION: z.string() })
  .and(z.object({ SECRET_ARN: z.string().startsWith('arn:') }));

describe('checkEnvironment', () => {
  it('passes an environment the handler will parse, and returns it unchanged', () => {
    // Prepare
    const env = { TABLE: 'lifeboat-state', SECRET_ARN: 'arn:aws:secretsmanager:x' };
    // Act
    const checked = checkEnvironment('Stack/Fn', Schema, env, 'us-east-1');
    // Assess
    expect(checked).toBe(env);
  });

  it.each([
    ['a missing variable', { SECRET_ARN: 'arn:x' }, 'TABLE=null'],
    ['a malformed variable', { TABLE: 't', SECRET_ARN: 'secret' }, 'SECRET_ARN="secret"'],
    [
      'a URL that is not one',
      { TABLE: 't', SECRET_ARN: 'arn:x', QUEUE_URL: 'queue' },
      'QUEUE_URL="queue"',
    ],
    [
      'a variable no handler reads',
      { TABLE: 't', SECRET_ARN: 'arn:x', TABEL: 't' },
      'TABEL="t" is not read',
    ],
    [
      'a variable Lambda sets itself',
      { TABLE: 't', SECRET_ARN: 'arn:x', AWS_REGION: 'x' },
      'AWS_REGION is set by Lambda',
    ],
  ])('fails the synth on %s, naming the function and the value', (_what, env, expected) => {
    // Act
    const act = () => checkEnvironment('Lifeboat-us-east-1/Bot', Schema, env, 'us-east-1');
    // Assess
    expect(act).toThrow(FunctionEnvironmentError);
    expect(act).toThrow('Lifeboat-us-east-1/Bot');
    expect(act).toThrow(expected);
  });

  it('checks a handler that parses two schemas against both', () => {
    // Prepare
    const Orchestrator = z.object({ TABLE: z.string(), PLANS_DIR: z.string().min(1) });
    // Act
    const act = () =>
      checkEnvironment('Bot', [Schema, Orchestrator], { TABLE: 't', SECRET_ARN: 'arn:x' }, 'r');
    // Assess
    expect(act).toThrow('PLANS_DIR=null');
    expect(
      checkEnvironment(
        'Bot',
        [Schema, Orchestrator],
        { TABLE: 't', SECRET_ARN: 'arn:x', PLANS_DIR: '/p' },
        'r',
      ),
    ).toMatchObject({ PLANS_DIR: '/p' });
  });

  it("lists the variables of the bot's schemas, intersections included", () => {
    // Assess
    expect(schemaVariables(Schema)).toEqual(['TABLE', 'QUEUE_URL', 'AWS_REGION', 'SECRET_ARN']);
    expect(acceptsVariable(IngressEnvSchema, 'SLACK_SECRET_ARN')).toBe(true);
    expect(acceptsVariable(IngressEnvSchema, 'STATE_MACHINE_ARN_PATTERN')).toBe(true);
    expect(acceptsVariable(IngressEnvSchema, 'REPORT_BUCKET')).toBe(false);
  });
});
