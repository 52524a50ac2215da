import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { Plan } from '../../orchestrator/domain/plan.ts';
import type { TruthEvent } from '../../sandbox/aws/estate.ts';
import { readSample, SAMPLE_PLANS } from '../helpers.ts';
import { ms, run, validatedIn } from './run-helpers.ts';

/** The sample plans, with bcbsaz's DNS records rewritten on Route 53's control plane (mode: change). */
async function plansWithRecordChanges(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lifeboat-change-mode-'));
  for (const file of (await readdir(SAMPLE_PLANS)).filter((f) => f.endsWith('.yaml'))) {
    const raw = parse(await readFile(join(SAMPLE_PLANS, file), 'utf8')) as Record<string, unknown>;
    if (file === 'bcbsaz.yaml')
      for (const record of (raw.dns as { records: Record<string, unknown>[] }).records)
        record.mode = 'change';
    await writeFile(join(dir, file), stringify(raw));
  }
  return dir;
}

/** What the resolver answered for a name in a zone at a moment, from the ground truth. */
function answerAt(truth: TruthEvent[], zoneId: string, name: string, at: number) {
  const answers = truth.filter(
    (e) =>
      e.type === 'dns-answer' && e.zoneId === zoneId && e.name === `${name}.` && ms(e.at) <= at,
  );
  return answers.at(-1)?.values;
}

/** Each plan record's value on one side. */
function recordValue(
  plan: Plan,
  record: NonNullable<Plan['dns']>['records'][number],
  side: 'primary' | 'recovery',
) {
  if (!record.server) return record[side];
  return plan.servers.find((s) => s.name === record.server)?.[side].ip;
}

describe('the loss of us-east-1 (Route 53 control plane with it)', () => {
  it('cannot flip bcbsaz records by ChangeResourceRecordSets: the DNS step fails, the run stops there, no answer moves', async () => {
    // Prepare
    const plansDir = await plansWithRecordChanges();
    // Act
    const { summary, of, lines, journal } = await run(
      'failover',
      'bcbsaz',
      { fault: ['region-down:us-east-1'], 'on-failure': 'abort' },
      plansDir,
    );
    // Assess: servers recovered, DNS did not move
    expect(summary.outcome).toBe('aborted');
    expect(of('recovery-launched')).toHaveLength(44);
    expect(of('dns-change')).toEqual([]);
    expect(of('dns-answer')).toEqual([]);
    const dnsFailure = lines.filter((l) => /Point \d+ DNS records at us-east-2: failed/.test(l));
    expect(dnsFailure.join('\n')).toMatch(
      /route53 ChangeResourceRecordSets failed with .*us-east-1 did not answer/,
    );
    // pre-flight said so before anyone approved
    const preflight = journal.find((e) => e.type === 'preflight');
    expect(
      preflight?.type === 'preflight'
        ? preflight.data.results.find((r) => r.check === 'dns-control-plane')
        : undefined,
    ).toMatchObject({
      ok: false,
      advisory: true,
      detail: expect.stringMatching(/^10 DNS records .* change on Route 53's control plane/),
    });
  }, 180_000);

  it('fails bcbsaz over with us-east-1 and a second cluster endpoint down: DNS flips through ARC, resolvers answer the recovery IPs from the moment the report says, RTO and RPO equal the truth', async () => {
    // Prepare
    const plan = await readSample('bcbsaz');
    const dns = plan.dns;
    if (!dns) throw new Error('bcbsaz has DNS');
    // Act
    const { summary, truth, of, lines } = await run('failover', 'bcbsaz', {
      fault: ['region-down:us-east-1', 'region-down:eu-west-1'],
    });
    // Assess: recovered from the last snapshots before the region went, and validated
    expect(summary.outcome).toBe('succeeded');
    const launched = of('recovery-launched');
    expect(launched.map((e) => e.server).sort()).toEqual(plan.servers.map((s) => s.name).sort());
    expect(launched.every((e) => e.region === 'us-east-2' && e.usedPreviousSnapshot === true)).toBe(
      true,
    );
    expect(lines.some((l) => /best effort/.test(l))).toBe(true);
    // nothing in us-east-1 was stopped: it was gone
    expect(of('instance-stop').filter((e) => e.region === 'us-east-1')).toEqual([]);
    // DNS: no control-plane change; the routing controls set once, through a surviving endpoint
    expect(of('dns-change')).toEqual([]);
    const routed = of('routing-control').filter((e) => e.customerId === 'bcbsaz');
    expect(routed.map((e) => [e.name, e.state])).toEqual([
      ['bcbsaz-us-east-2', 'On'],
      ['bcbsaz-us-east-1', 'Off'],
    ]);
    expect(['us-west-2', 'ap-southeast-2', 'ap-northeast-1']).toContain(routed[0]?.endpointRegion);
    // the report's moment: from then every record in both zones answers its recovery value
    const marker = summary.markers.find((m) => m.kind === 'dns-answered');
    expect(marker?.label).toBe('DNS answers the recovery side');
    const answeredAt = ms(marker?.at);
    expect(Math.abs(answeredAt - ms(routed[0]?.at))).toBeLessThanOrEqual(1000);
    for (const zoneId of [dns.zones.primary, dns.zones.recovery])
      for (const record of dns.records) {
        expect(answerAt(truth, zoneId, record.name, answeredAt), record.name).toEqual([
          recordValue(plan, record, 'recovery'),
        ]);
        expect(answerAt(truth, zoneId, record.name, answeredAt - 1001)).not.toEqual([
          recordValue(plan, record, 'recovery'),
        ]);
      }
    // RTO and RPO against the truth, within one simulated second
    const disruption = ms(summary.disruption?.at);
    const validated = validatedIn(truth, 'us-east-2');
    expect(
      Math.abs((summary.rto.seconds ?? 0) - (validated - disruption) / 1000),
    ).toBeLessThanOrEqual(1);
    // RPO: from the disruption to each server's last snapshot before the region went down
    expect(summary.rpo.perServer).toHaveLength(44);
    for (const server of summary.rpo.perServer) {
      const truthOf = launched.find((e) => e.server === server.server);
      expect(server.usedPreviousSnapshot).toBe(true);
      expect(
        Math.abs((server.seconds ?? -1) - Math.max(0, (disruption - ms(truthOf?.dataAt)) / 1000)),
      ).toBeLessThanOrEqual(1);
    }
    const truthRpo = Math.max(
      ...launched.map((e) => Math.max(0, (disruption - ms(e.dataAt)) / 1000)),
    );
    expect(Math.abs((summary.rpo.seconds ?? 0) - truthRpo)).toBeLessThanOrEqual(1);
    expect(summary.rpo.seconds).toBeGreaterThan(0);
    expect(summary.rpo.seconds).toBeLessThanOrEqual(11 * 60);
  }, 180_000);
});
