import { describe, expect, it } from 'vitest';
import {
  describeErrorForSlack,
  describeFailure,
  formatFailure,
  redactForSlack,
} from '../../bot/sanitize.ts';
import { AwsCallError, NotFoundError } from '../../orchestrator/domain/errors.ts';

const ROLE = 'arn:aws:iam::444455556666:role/LifeboatWorkload';
const SESSION = 'arn:aws:sts::444455556666:assumed-role/LifeboatWorkload/lifeboat-run-1';

describe('describeFailure', () => {
  it.each([
    [
      'an AWS call refused, with the caller and the resource',
      `EC2 StopInstances failed with UnauthorizedOperation: You are not authorized to perform this operation. User: ${SESSION} is not authorized to perform: ec2:StopInstances on resource: arn:aws:ec2:us-east-1:444455556666:instance/i-0abc12345678 Trying again will not help until the cause is fixed.`,
      'UnauthorizedOperation',
      'EC2 StopInstances failed with UnauthorizedOperation: You are not authorized to perform this operation. User: [sts ARN] is not authorized to perform: ec2:StopInstances on resource: [ec2 ARN] Trying again will not help until the cause is fixed.',
    ],
    [
      'an account id said on its own',
      'DRS StartRecovery failed with AccessDeniedException: account 444455556666 has no access. Trying again will not help until the cause is fixed.',
      'AccessDeniedException',
      'DRS StartRecovery failed with AccessDeniedException: account [account] has no access. Trying again will not help until the cause is fixed.',
    ],
    [
      "a Lambda error as Step Functions' Cause: the message without its stack trace",
      `AwsCallError: {"errorType":"AwsCallError","errorMessage":"STS AssumeRole failed with AccessDenied: ${ROLE} \\"denied\\"","trace":["AwsCallError: at mapAwsError (/var/task/index.mjs:1:2)","at async /var/task/index.mjs:3:4"]}`,
      'AccessDenied',
      'AwsCallError: STS AssumeRole failed with AccessDenied: [iam ARN] "denied"',
    ],
    [
      "a Step Functions' own error",
      'States.Timeout: Task timed out after 900 seconds',
      'States.Timeout',
      'States.Timeout: Task timed out after 900 seconds',
    ],
    [
      "script output of each instance, one with a ')' in it",
      'Run checks: failed (Lifeboat-Check failed: i-0abc12345678: Failed (disk /data (xfs) full; token=s3cr3t); i-0def12345678: TimedOut (half done))',
      'Failed',
      'Run checks: failed (Lifeboat-Check failed: i-0abc12345678: Failed (output withheld); i-0def12345678: TimedOut (output withheld))',
    ],
    [
      'script output that looks like the next instance',
      'Lifeboat-Check failed: i-0abc12345678: Failed (see i-0def12345678: Success (fake)) and more',
      'Failed',
      'Lifeboat-Check failed: i-0abc12345678: Failed (output withheld) and more',
    ],
    [
      'an access key id in a message',
      'The security token AKIAIOSFODNN7EXAMPLE is invalid (InvalidClientTokenId)',
      'Failed',
      'The security token [access key] is invalid (InvalidClientTokenId)',
    ],
    [
      "a Lifeboat error's name",
      'PlanValidationError: plan dmnt has 2 problems',
      'PlanValidationError',
      'PlanValidationError: plan dmnt has 2 problems',
    ],
    [
      'a text with nothing to withhold: kept as it is',
      'Wave 2 recovered 5/6 servers; web-03 failed its health check',
      'Failed',
      'Wave 2 recovered 5/6 servers; web-03 failed its health check',
    ],
  ])('%s', (_case, text, code, message) => {
    // Act
    const failure = describeFailure(text);

    // Assess
    expect(failure).toEqual({ code, message });
    expect(failure.message).not.toMatch(/444455556666|arn:aws|s3cr3t|half done|trace/);
  });

  it('keeps numbers that are not account ids: timestamps, counts, instance ids', () => {
    // Act
    const shown = redactForSlack('at 1740821442123, 100 servers, i-0123456789abcdef0, 12345678901');

    // Assess
    expect(shown).toBe('at 1740821442123, 100 servers, i-0123456789abcdef0, 12345678901');
  });
});

describe('formatFailure', () => {
  it('puts the code first, as inline code, before the sanitized message', () => {
    // Act
    const line = formatFailure(`IAM GetRole failed with NoSuchEntity: ${ROLE} not found.`);

    // Assess
    expect(line).toBe('`NoSuchEntity` IAM GetRole failed with NoSuchEntity: [iam ARN] not found.');
  });
});

describe('describeErrorForSlack', () => {
  it("shows an AWS call's failure by its code, and any other error's text without ARNs", () => {
    // Prepare
    const aws = new AwsCallError({
      service: 'SFN',
      operation: 'StartExecution',
      code: 'AccessDeniedException',
      detail: 'User: arn:aws:sts::111122223333:assumed-role/lifeboat/x is not authorized',
      retryable: false,
    });
    const other = new NotFoundError('Run arn:aws:states:us-east-2:111122223333:execution:x');
    // Act
    const shown = [aws, other].map(describeErrorForSlack);
    // Assess
    expect(shown[0]).toMatch(
      /^`AccessDeniedException` SFN StartExecution failed with AccessDeniedException: User: \[sts ARN\] is not authorized/,
    );
    expect(shown[1]).toBe('Run [states ARN] was not found; check the id.');
  });
});
