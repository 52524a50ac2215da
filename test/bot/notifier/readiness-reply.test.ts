import { describe, expect, it } from 'vitest';
import { answerReadiness } from '../../../bot/notifier/readiness-reply.ts';
import { UnknownCustomerError } from '../../../orchestrator/domain/errors.ts';
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
      'The readiness check of `dmnt` could not run: AssumeRole &lt;denied&gt;',
      expect.stringMatching(/^The readiness check of `nobody` could not run: No plan for customer/),
    ]);
  });
});
