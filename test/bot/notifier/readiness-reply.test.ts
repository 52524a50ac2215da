import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ForeignResponseUrlError } from '../../../bot/errors.ts';
import {
  answerReadiness,
  isSlackResponseUrl,
  responseUrlPoster,
} from '../../../bot/notifier/readiness-reply.ts';
import { AwsCallError, UnknownCustomerError } from '../../../orchestrator/domain/errors.ts';
import type { PreflightResult } from '../../../orchestrator/domain/runbook.ts';
import type { PlanLoader, ReadinessCheck } from '../../../orchestrator/ports/run-control.ts';
import { readSample } from '../../helpers.ts';

const job = {
  kind: 'readiness' as const,
  customerId: 'dmnt',
  operation: 'drill' as const,
  responseUrl: 'https://hooks.slack.test/commands/1',
  userId: 'U01ALICE',
};

/** The two things a readiness reply asks of Lifeboat: the plan, and its checks. */
async function runs(results: PreflightResult[] | Error): Promise<ReadinessCheck & PlanLoader> {
  const plan = await readSample('dmnt');
  return {
    loadPlan: async (customerId) => {
      if (customerId !== plan.customer.id) throw new UnknownCustomerError(customerId, ['dmnt']);
      return { plan, source: 'dmnt.yaml', revision: 'abc' };
    },
    readiness: async () => {
      if (results instanceof Error) throw results;
      return results;
    },
  };
}

function recorder() {
  const replies: { url: string; body: Record<string, unknown> }[] = [];
  return {
    replies,
    respond: async (url: string, body: Record<string, unknown>) => {
      replies.push({ url, body });
    },
  };
}

describe('answerReadiness', () => {
  it.each([
    {
      name: 'every check passes',
      results: [{ check: 'drs-quota', ok: true, detail: '4 of 300', advisory: false }],
      text: /for a drill: ready ✅/,
    },
    {
      name: 'an advisory check fails',
      results: [
        { check: 'drs-quota', ok: true, detail: '4 of 300', advisory: false },
        { check: 'primary-reachable', ok: false, detail: 'no answer', advisory: true },
      ],
      text: /for a drill: ready ✅/,
    },
    {
      name: 'two checks block',
      results: [
        { check: 'replication-lag', ok: false, detail: '20 min behind', advisory: false },
        { check: 'dns-zones', ok: false, detail: 'zone missing', advisory: false },
      ],
      text: /for a drill: 2 blocking problems ❌/,
    },
  ] satisfies { name: string; results: PreflightResult[]; text: RegExp }[])(
    'replies privately to the command when $name',
    async ({ results, text }) => {
      // Prepare
      const { replies, respond } = recorder();
      // Act
      await answerReadiness(await runs(results), job, respond);
      // Assess
      expect(replies).toEqual([
        {
          url: job.responseUrl,
          body: { response_type: 'ephemeral', replace_original: false, text: expect.any(String) },
        },
      ]);
      expect(replies[0]?.body.text).toMatch(text);
    },
  );

  it('replies with what went wrong when the checks cannot run', async () => {
    // Prepare
    const { replies, respond } = recorder();
    // Act
    await answerReadiness(await runs(new Error('AssumeRole <denied>')), job, respond);
    await answerReadiness(await runs([]), { ...job, customerId: 'nobody' }, respond);
    // Assess
    expect(replies.map((r) => r.body.text)).toEqual([
      'The readiness check of `dmnt` could not run: `Error` AssumeRole &lt;denied&gt;',
      expect.stringMatching(
        /^The readiness check of `nobody` could not run: `UnknownCustomerError` No plan for customer/,
      ),
    ]);
  });

  it('shows an AWS error as its code with no ARN or account id, and sanitizes check details', async () => {
    // Prepare
    const { replies, respond } = recorder();
    const denied = new AwsCallError({
      service: 'STS',
      operation: 'AssumeRole',
      code: 'AccessDenied',
      detail:
        'arn:aws:sts::111122223333:assumed-role/lifeboat/x may not assume arn:aws:iam::444455556666:role/LifeboatWorkload',
      retryable: false,
    });
    const results: PreflightResult[] = [
      {
        check: 'drs-quota',
        ok: false,
        detail: 'DescribeSourceServers refused in account 444455556666',
        advisory: false,
      },
    ];
    // Act
    await answerReadiness(await runs(denied), job, respond);
    await answerReadiness(await runs(results), job, respond);
    // Assess
    const [error, checks] = replies.map((r) => String(r.body.text));
    expect(error).toContain(
      'could not run: `AccessDenied` STS AssumeRole failed with AccessDenied: [sts ARN] may not assume [iam ARN]',
    );
    expect(checks).toContain('refused in account [account]');
    expect(`${error}${checks}`).not.toMatch(/111122223333|444455556666|arn:aws/);
  });
});

describe('responseUrlPoster', () => {
  it.each([
    ['https://hooks.slack.com/commands/T0LIFEBOAT/1234/abcd', true],
    ['https://hooks.slack-gov.com/actions/T0LIFEBOAT/1234/abcd', true],
    ['http://hooks.slack.com/commands/T0LIFEBOAT/1234/abcd', false],
    ['https://hooks.slack.com:8443/commands/T0LIFEBOAT/1234/abcd', false],
    ['https://hooks.slack.com.evil.example/commands/1', false],
    ['https://evil.example/?https://hooks.slack.com/commands/1', false],
    ['https://user@hooks.slack.com/commands/1', false],
    ['https://169.254.169.254/latest/meta-data/', false],
    ['not a url', false],
  ])('%s is a Slack response_url: %s', (url, expected) => {
    expect(isSlackResponseUrl(url)).toBe(expected);
  });

  it("accepts the configured Slack's origin (the local world's fake Slack), and only it", () => {
    // Prepare
    const options = { slackApiUrl: 'http://127.0.0.1:4567/api/' };
    // Assess
    expect(isSlackResponseUrl('http://127.0.0.1:4567/response/cmd-1', options)).toBe(true);
    expect(isSlackResponseUrl('http://127.0.0.1:4568/response/cmd-1', options)).toBe(false);
  });

  it('refuses another host before sending anything, naming the host and not the rest of the URL', async () => {
    // Prepare: a server that would record a request, were one sent
    const received: string[] = [];
    const server = createServer((request, response) => {
      received.push(request.url ?? '');
      response.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const post = responseUrlPoster();
    try {
      // Act
      const refused = post(`http://127.0.0.1:${port}/response/secret-token`, { text: 'hi' });
      // Assess
      await expect(refused).rejects.toThrow(ForeignResponseUrlError);
      await expect(refused).rejects.toThrow(
        /addressed to 127\.0\.0\.1:\d+, which is not one of Slack's/,
      );
      await expect(refused).rejects.not.toThrow(/secret-token/);
      expect(received).toEqual([]);
      // The same server as the configured Slack is posted to.
      await responseUrlPoster({ slackApiUrl: `http://127.0.0.1:${port}/api/` })(
        `http://127.0.0.1:${port}/response/cmd-1`,
        { text: 'hi' },
      );
      expect(received).toEqual(['/response/cmd-1']);
    } finally {
      server.close();
    }
  });
});
