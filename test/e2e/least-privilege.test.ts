import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultAnswers, firstPerson } from '../../cli/run.ts';
import { FilePlanSource } from '../../orchestrator/adapters/config-files.ts';
import { entriesOf } from '../../orchestrator/domain/journal.ts';
import { PLAN_TAG_KEY } from '../../orchestrator/domain/workload-access.ts';
import { LocalAws } from '../../sandbox/aws/local-aws.ts';
import { LocalOrchestrator, localStateStore } from '../../sandbox/orchestrator.ts';
import { SAMPLE_PLANS, SAMPLE_SETTINGS } from '../helpers.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const CUSTOMER = 'dmnt';
let aws: LocalAws | undefined;
afterEach(() => aws?.stop());

/**
 * A drill of dmnt on the local AWS, which evaluates every call of the workload role against
 * the synthesized template, after `arrange` has changed the world as onboarding left it.
 */
async function drill(arrange: (aws: LocalAws) => void) {
  const source = new FilePlanSource(SAMPLE_PLANS);
  const { plan } = await source.loadPlan(CUSTOMER);
  aws = new LocalAws({ plans: await source.loadAll(), speed: 0, seed: 1 });
  await aws.start();
  arrange(aws);
  const requestedBy = firstPerson(plan.access.requesters) ?? 'U0LOCAL';
  const orchestrator = new LocalOrchestrator({
    aws,
    plansDir: SAMPLE_PLANS,
    settingsFile: SAMPLE_SETTINGS,
    reportDir: await mkdtemp(join(tmpdir(), 'lifeboat-least-privilege-')),
    time: 'stepped',
    answers: defaultAnswers(plan, 'drill', requestedBy, {}),
  });
  const executionName = `drill-${CUSTOMER}-least-privilege`;
  await orchestrator.run({ customerId: CUSTOMER, operation: 'drill', requestedBy, executionName });
  const journal = await localStateStore(aws).journal(executionName);
  return { plan, journal, world: aws };
}

describe('a plan that names what is not its own', () => {
  it('cannot stop an instance of another environment: pre-flight names it and nothing is stopped', async () => {
    // Prepare: the plan names, as its first server's source, an instance of dmnt's staging
    let named = '';
    const { journal, world } = await drill((local) => {
      const server = local.estate.plans.find((p) => p.customer.id === CUSTOMER)?.servers[0];
      named = server?.primary.instanceId ?? '';
      const instance = local.estate.instances.get(named);
      if (instance) instance.tags = { Name: 'dmnt-staging-ora', [PLAN_TAG_KEY]: 'dmnt-staging' };
    });
    // Assess: the run ends before anyone is asked to approve, saying which instance and why
    const finished = entriesOf(journal, 'execution-finished')[0];
    expect(finished?.data.outcome).toBe('aborted');
    const preflight = entriesOf(journal, 'preflight')[0]?.data.results ?? [];
    expect(preflight.find((r) => r.check === 'plan-tags')).toMatchObject({
      ok: false,
      detail: expect.stringContaining(`${named} (${PLAN_TAG_KEY}=dmnt-staging)`),
    });
    expect(world.estate.truth.filter((e) => e.type === 'instance-stop')).toEqual([]);
    expect(
      entriesOf(journal, 'step-started').filter((e) => e.data.kind === 'stop-instances'),
    ).toEqual([]);
  }, 120_000);

  it('cannot recover a source server onboarding did not tag: DRS answers AccessDenied and the run reports it', async () => {
    // Prepare: the instances are tagged, the first wave's DRS source server is not
    let sourceServerId = '';
    const { plan, journal, world } = await drill((local) => {
      const home = [...local.estate.servers.values()].find((s) => s.customerId === CUSTOMER);
      sourceServerId = home?.sourceServerId ?? '';
      const drs = local.services.get('drs') as unknown as {
        state: { sources: Map<string, { tags: Record<string, string> }> };
      };
      const server = drs.state.sources.get(sourceServerId);
      if (server) server.tags = { Name: 'dmnt-staging-ora' };
    });
    // Assess: refused by IAM, not by DRS; the run says so and launches nothing of that server
    const finished = entriesOf(journal, 'execution-finished')[0];
    expect(finished?.data.outcome).toBe('aborted');
    const said = journal.map((e) => e.message).join('\n');
    expect(said).toMatch(/AccessDeniedException/);
    // The first call on the server (its launch settings) is refused, naming the role, action and server
    expect(said).toMatch(
      new RegExp(
        `assumed-role/LifeboatExecution/\\S+ is not authorized to perform: drs:\\w+ on resource: arn:aws:drs:us-west-1:${plan.account.id}:source-server/${sourceServerId}`,
      ),
    );
    expect(
      world.estate.truth.filter(
        (e) => e.type === 'drs-job' && (e.servers as string[]).includes(sourceServerId),
      ),
    ).toEqual([]);
    expect(world.iam?.stats.denied).toBeGreaterThan(0);
  }, 240_000);
});
