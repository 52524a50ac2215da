import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { type SynthesizedLifeboat, synthesizeLifeboat } from './synthesize.ts';

/** A whole-app synth takes seconds, more on a busy machine than the default hook timeout. */
const SYNTH_TIMEOUT = 120_000;

let lifeboat: SynthesizedLifeboat;

beforeAll(() => {
  // config/deploy.yaml as shipped: the routing stack is not deployed yet, so no arc: section
  lifeboat = synthesizeLifeboat();
}, SYNTH_TIMEOUT);

describe('a deployment before the ARC one-time setup', () => {
  it('has no arc: section in config/deploy.yaml', () => {
    // Assess
    expect(lifeboat.config.arc).toBeUndefined();
  });

  it('still synthesizes the routing stack, whose outputs the setup copies', () => {
    // Assess
    Template.fromStack(lifeboat.stacks.routing).resourceCountIs(
      'AWS::Route53RecoveryControl::Cluster',
      1,
    );
  });

  it('warns at synth, in every region, that failover-mode DNS records cannot be flipped', () => {
    for (const stack of lifeboat.stacks.regions.values()) {
      // Prepare
      const json = JSON.stringify(Template.fromStack(stack).toJSON());
      // Assess
      Annotations.fromStack(stack).hasWarning(
        `/${stack.stackName}/Tasks`,
        Match.stringLikeRegexp(
          'no arc: section, so DNS records in failover mode cannot be flipped \\(plans bcbsaz, dmnt, nwhealth\\)',
        ),
      );
      expect(json).not.toContain('LIFEBOAT_ARC_ENDPOINTS');
      expect(json).not.toContain('route53-recovery-cluster:');
    }
  });

  it('reports the warning in the synth report, as a warning, not as a cdk-nag finding', () => {
    // Assess
    const annotations = lifeboat.report.pluginReports.filter(
      (r) => r.pluginName === 'Construct Annotations',
    );
    expect(annotations.flatMap((r) => r.violations)).toContainEqual(
      expect.objectContaining({
        ruleName: 'Annotation::lifeboat:arc-not-configured',
        severity: 'warning',
      }),
    );
  });
});
