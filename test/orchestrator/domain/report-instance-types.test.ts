import { describe, expect, it } from 'vitest';
import { buildReport } from '../../../orchestrator/domain/build-report.ts';
import type { JournalEntry } from '../../../orchestrator/domain/journal.ts';
import { ReportSchema } from '../../../orchestrator/domain/report.ts';
import { renderHtml } from '../../../orchestrator/report/render-html.ts';
import { renderMarkdown } from '../../../orchestrator/report/render-markdown.ts';
import { at, failoverRegionDown } from '../../fixtures/report-runs.ts';

/** The region-down failover, its launches on known types; EC2 had no r6i.4xlarge for tiny-app-02. */
async function substitutedRun() {
  const input = await failoverRegionDown();
  const journal = input.journal.flatMap((e): JournalEntry[] => {
    if (e.type !== 'server-launched') return [e];
    const type = e.data.server === 'tiny-app-02' ? 'r6i.8xlarge' : 'm5.xlarge';
    const launched = { ...e, data: { ...e.data, instanceType: type } };
    if (e.data.server !== 'tiny-app-02') return [launched];
    const changed: JournalEntry = {
      at: at(1500),
      seq: e.seq,
      type: 'instance-type-changed',
      stepId: e.stepId,
      message: 'tiny-app-02: no r6i.4xlarge capacity',
      data: {
        server: 'tiny-app-02',
        wave: e.data.wave,
        direction: 'to-recovery',
        instanceId: 'i-0b000000000000003',
        from: 'r6i.4xlarge',
        to: 'r6i.8xlarge',
        reason:
          'LAUNCH_FAILED: InsufficientInstanceCapacity: We currently do not have sufficient r6i.4xlarge capacity',
      },
    };
    return [changed, launched];
  });
  return buildReport({ ...input, journal });
}

describe('the report: instance types', () => {
  it('gives each server the type it ran on, and the planned one when EC2 had no capacity of it', async () => {
    // Act
    const report = ReportSchema.parse(await substitutedRun());
    // Assess
    const servers = report.waves.flatMap((w) => w.servers);
    expect(servers.find((s) => s.name === 'tiny-app-02')).toMatchObject({
      instanceType: 'r6i.8xlarge',
      substitutedFrom: 'r6i.4xlarge',
    });
    const app1 = servers.find((s) => s.name === 'tiny-app-01');
    expect(app1?.instanceType).toBe('m5.xlarge');
    expect(app1?.substitutedFrom).toBeUndefined();
    expect(report.notes).toContain(
      "EC2 had no capacity of some planned instance types; servers ran on their plan's alternatives: tiny-app-02 on r6i.8xlarge instead of r6i.4xlarge.",
    );
  });

  it('shows them in the Markdown and HTML, compactly beside the server', async () => {
    const report = await substitutedRun();
    const markdown = renderMarkdown(report);
    expect(markdown).toContain('| tiny-app-02 (r6i.8xlarge instead of r6i.4xlarge) |');
    expect(markdown).toContain('| tiny-app-01 (m5.xlarge) |');
    expect(renderHtml(report)).toContain(
      'tiny-app-02<br><small>r6i.8xlarge instead of r6i.4xlarge</small>',
    );
  });

  it('leaves them out where no type is known', async () => {
    const report = buildReport(await failoverRegionDown());
    expect(report.waves.flatMap((w) => w.servers).some((s) => 'instanceType' in s)).toBe(false);
    expect(renderMarkdown(report)).toContain('| tiny-app-02 |');
  });
});
