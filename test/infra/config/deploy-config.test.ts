import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import {
  deployedRegions,
  parseDeployConfig,
  readDeployConfig,
  stateRegion,
} from '../../../infra/config/deploy-config.ts';
import { DeployConfigError } from '../../../infra/errors.ts';
import { ROOT } from '../../helpers.ts';
import { arcSection } from '../synthesize.ts';

const FILE = join(ROOT, 'config', 'deploy.yaml');
type Raw = Record<string, unknown>;
const raw = (): Raw => parseDocument(readFileSync(FILE, 'utf8')).toJS() as Raw;

/** The team's file with one value changed (or removed, when `value` is undefined). */
function changed(path: (string | number)[], value: unknown): Raw {
  const config = raw();
  let node = config as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path.at(-1) as string | number;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return config;
}

describe('the deploy configuration', () => {
  it("reads the team's file: two pairs, four regions, the bot in two of them", () => {
    // Act
    const config = readDeployConfig(FILE);
    // Assess
    expect(config.pairs).toEqual([
      { primary: 'us-east-1', recovery: 'us-east-2' },
      { primary: 'us-west-2', recovery: 'us-west-1' },
    ]);
    expect(deployedRegions(config)).toEqual(['us-east-1', 'us-east-2', 'us-west-2', 'us-west-1']);
    expect(stateRegion(config)).toBe('us-east-1');
    expect(config.bot.regions).toEqual({ primary: 'us-east-1', secondary: 'us-west-2' });
    expect(config.reports).toEqual({
      retentionDays: 2557,
      lockMode: 'governance',
      auditorRoles: [],
    });
  });

  it('fills in defaults for what a team may leave out', () => {
    // Prepare
    const minimal = changed(['bot', 'throttle'], undefined);
    delete (minimal.bot as Raw).provisionedConcurrency;
    for (const key of ['state', 'alarms', 'logRetentionDays', 'reports']) delete minimal[key];
    // Act
    const config = parseDeployConfig(minimal, 'minimal.yaml');
    // Assess
    expect(config.state).toEqual({ tableName: 'lifeboat-state' });
    expect(stateRegion(config)).toBe('us-east-1');
    expect(config.logRetentionDays).toBe(365);
    expect(config.bot.throttle).toEqual({ rate: 50, burst: 100 });
    expect(config.bot.healthThrottle).toEqual({ rate: 10, burst: 20 });
    expect(config.bot.perClientLimit).toBe(300);
    expect(config.reports.lockMode).toBe('governance');
    expect(config.bot.provisionedConcurrency).toBe(1);
    expect(config.alarms.emails).toEqual([]);
  });

  it.each([
    ['an unquoted account id', ['account'], 111122223333, 'account'],
    ['a region Lifeboat does not know', ['pairs', 1, 'recovery'], 'mars-north-1', '"mars-north-1"'],
    ['a pair of one region', ['pairs', 0, 'recovery'], 'us-east-1', 'both are us-east-1'],
    [
      'a bot region outside the pairs',
      ['bot', 'regions', 'secondary'],
      'eu-west-1',
      '"eu-west-1" is not in any pair',
    ],
    ['one bot region twice', ['bot', 'regions', 'secondary'], 'us-east-1', 'both "us-east-1"'],
    [
      'a fraction of a warm ingress',
      ['bot', 'provisionedConcurrency'],
      0.5,
      'bot.provisionedConcurrency 0.5 must be a whole number',
    ],
    [
      'a name outside the zone',
      ['bot', 'domainName'],
      'lifeboat.example.org',
      '"lifeboat.example.org" is not inside',
    ],
    ['a retention CloudWatch does not offer', ['logRetentionDays'], 100, '100 days'],
    ['a typo in a key', ['slack', 'teamID'], 'T1', 'teamID'],
    ['a team id that is a name', ['slack', 'teamId'], 'acme', '"acme"'],
    ['a state region outside the pairs', ['state', 'region'], 'eu-west-1', 'state.region'],
    ['a lock mode S3 does not have', ['reports', 'lockMode'], 'legal-hold', 'lockMode'],
    [
      'a per-client limit AWS WAF refuses',
      ['bot', 'perClientLimit'],
      5,
      'bot.perClientLimit 5 is below 10',
    ],
    ['a health throttle of nothing', ['bot', 'healthThrottle', 'rate'], 0, 'healthThrottle.rate'],
    [
      'an auditor named by its role name only',
      ['reports', 'auditorRoles'],
      ['LifeboatAuditor'],
      '"LifeboatAuditor" is not an IAM role ARN',
    ],
  ] as const)('refuses %s, naming the offending value', (_what, path, value, expected) => {
    // Prepare
    const config = changed([...path], value);
    // Act
    const act = () => parseDeployConfig(config, 'deploy.yaml');
    // Assess
    expect(act).toThrow(DeployConfigError);
    expect(act).toThrow(expected);
  });

  it('reads the ARC cluster once the routing stack is deployed, and goes without it before', () => {
    // Act
    const without = parseDeployConfig(raw(), 'deploy.yaml');
    const withArc = parseDeployConfig({ ...raw(), arc: arcSection() }, 'deploy.yaml');
    // Assess
    expect(without.arc).toBeUndefined();
    expect(withArc.arc).toEqual(arcSection());
  });

  it.each([
    [
      'a cluster ARN that is not one',
      ['clusterArn'],
      'lifeboat',
      '"lifeboat" is not an ARC cluster ARN',
    ],
    [
      'a cluster in another account',
      ['clusterArn'],
      'arn:aws:route53-recovery-control::444455556666:cluster/0a1b',
      'arc.clusterArn: "arn:aws:route53-recovery-control::444455556666:cluster/0a1b" is in account 444455556666, not the tooling account 111122223333',
    ],
    [
      'a control panel ARN that names a routing control',
      ['controlPanels', 'lifeboat-us-west-2-us-west-1'],
      'arn:aws:route53-recovery-control::111122223333:controlpanel/0a1b/routingcontrol/2c3d',
      'is not an ARC controlpanel ARN',
    ],
    [
      "a pair's control panel left out",
      ['controlPanels', 'lifeboat-us-west-2-us-west-1'],
      undefined,
      'arc.controlPanels: no ARN for "lifeboat-us-west-2-us-west-1"',
    ],
    [
      'a control panel of no pair',
      ['controlPanels', 'lifeboat-eu-west-1-eu-central-1'],
      'arn:aws:route53-recovery-control::111122223333:controlpanel/0a1b',
      'arc.controlPanels.lifeboat-eu-west-1-eu-central-1: no pair has this panel',
    ],
    ['fewer endpoints than a quorum', ['endpoints'], [], "list the cluster's endpoints"],
    ['an endpoint that is no URL', ['endpoints', 0, 'url'], 'host-0a1b2c', 'arc.endpoints.0.url'],
    [
      'an endpoint twice',
      ['endpoints', 1, 'region'],
      'us-east-1',
      'arc.endpoints: "us-east-1" is listed twice',
    ],
  ] as const)(
    'refuses an arc: section with %s, saying what to copy',
    (_what, path, value, expected) => {
      // Prepare
      const arc = arcSection() as unknown as Record<string | number, unknown>;
      let node = arc;
      for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
      const last = path.at(-1) as string | number;
      if (value === undefined) delete node[last];
      else node[last] = value;
      // Act
      const act = () => parseDeployConfig({ ...raw(), arc }, 'deploy.yaml');
      // Assess
      expect(act).toThrow(DeployConfigError);
      expect(act).toThrow(expected);
    },
  );

  it('says which file it could not read or parse', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-deploy-'));
    writeFileSync(join(dir, 'broken.yaml'), 'pairs: [\n');
    // Assess
    expect(() => readDeployConfig(join(dir, 'missing.yaml'))).toThrow(/missing\.yaml.*ENOENT/s);
    expect(() => readDeployConfig(join(dir, 'broken.yaml'))).toThrow(
      /broken\.yaml.*not valid YAML/s,
    );
  });
});
