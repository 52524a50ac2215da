import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { type Region, RegionSchema } from '../../orchestrator/domain/regions.ts';
import {
  ARC_ENDPOINT_QUORUM,
  ClusterEndpointSchema,
  controlPanelName,
} from '../../orchestrator/domain/routing.ts';
import { DeployConfigError } from '../errors.ts';

/**
 * Where and how Lifeboat is deployed, as written in `config/deploy.yaml`: the region pairs, the
 * tooling account, the bot's name and the Slack secret. Read by `infra/app.ts` at synth time.
 */
export const DEPLOY_CONFIG_VERSION = 1;

const AccountIdSchema = z.string().regex(/^\d{12}$/, {
  error: (issue) => `"${String(issue.input)}" is not a 12-digit AWS account id; quote it in YAML.`,
});
const DnsNameSchema = z
  .string()
  .regex(
    /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/,
    {
      error: (issue) =>
        `"${String(issue.input)}" is not a fully qualified DNS name in lower case like lifeboat.ops.example.com.`,
    },
  );
const HostedZoneIdSchema = z.string().regex(/^Z[A-Z0-9]{5,31}$/, {
  error: (issue) =>
    `"${String(issue.input)}" is not a Route 53 hosted zone id like Z0123456789ABCDEFGHIJ.`,
});
const SlackIdSchema = (kind: string, pattern: RegExp) =>
  z.string().regex(pattern, {
    error: (issue) =>
      `"${String(issue.input)}" is not a Slack ${kind}; copy it from Slack, not its display name.`,
  });

/** ARC's ARNs: `arn:<partition>:route53-recovery-control::<account>:<kind>/<id>`. */
const ArcArnSchema = (kind: 'cluster' | 'controlpanel', example: string) =>
  z
    .string()
    .regex(new RegExp(`^arn:aws:route53-recovery-control::\\d{12}:${kind}/[A-Za-z0-9-]+$`), {
      error: (issue) =>
        `"${String(issue.input)}" is not an ARC ${kind} ARN like ${example}; copy it from the Lifeboat-Routing stack's outputs.`,
    });
/** The account an ARC ARN names. */
const arnAccount = (arn: string) => arn.split(':')[4];

/**
 * The ARC cluster the routing stack (`Lifeboat-Routing`) created, written here once after its
 * first deploy: the orchestrator flips routing controls through these endpoints, and its
 * task role may flip the routing controls of these control panels only.
 */
export const ArcConfigSchema = z.strictObject({
  clusterArn: ArcArnSchema(
    'cluster',
    'arn:aws:route53-recovery-control::111122223333:cluster/8d47920e-d789-437d-803a-2dcc4b204393',
  ),
  /** All five of the cluster's regional endpoints (`describe-cluster`); any three answer. */
  endpoints: z.array(ClusterEndpointSchema).min(ARC_ENDPOINT_QUORUM, {
    error: `list the cluster's endpoints (five; at least ${ARC_ENDPOINT_QUORUM}, ARC's quorum): aws route53-recovery-control-config describe-cluster --region us-west-2 --cluster-arn <clusterArn>.`,
  }),
  /** Each pair's control panel ARN, by the panel's name (`lifeboat-<primary>-<recovery>`). */
  controlPanels: z.record(
    z.string(),
    ArcArnSchema(
      'controlpanel',
      'arn:aws:route53-recovery-control::111122223333:controlpanel/0123abcd',
    ),
  ),
});
export type ArcConfig = z.infer<typeof ArcConfigSchema>;

const warmIngressError = (issue: { input?: unknown }) =>
  `bot.provisionedConcurrency ${JSON.stringify(issue.input)} must be a whole number from 0 to 10 (0: no warm ingress).`;

/** CloudWatch Logs accepts only these retention periods (days). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
] as const;

export const RegionPairSchema = z
  .strictObject({ primary: RegionSchema, recovery: RegionSchema })
  .refine((pair) => pair.primary !== pair.recovery, {
    error: (issue) =>
      `A pair needs two regions; both are ${(issue.input as { primary: string }).primary}.`,
  });
export type RegionPair = z.infer<typeof RegionPairSchema>;

export const DeployConfigSchema = z.strictObject({
  version: z.literal(DEPLOY_CONFIG_VERSION, {
    error: (issue) =>
      `Deploy config version ${String(issue.input)} is not supported; this Lifeboat reads version ${DEPLOY_CONFIG_VERSION}.`,
  }),
  /** The tooling account Lifeboat runs in (the customers' roles trust it). */
  account: AccountIdSchema,
  /** Every region of every pair gets the orchestrator, the notifier and a replica of the state. */
  pairs: z.array(RegionPairSchema).min(1),
  state: z
    .strictObject({
      /** The global table's name, the same in every region. */
      tableName: z
        .string()
        .regex(/^[a-zA-Z0-9_.-]{3,255}$/)
        .default('lifeboat-state'),
      /**
       * Where the table's CloudFormation stack lives; replicas keep serving if it is lost.
       * @default the first pair's primary region
       */
      region: RegionSchema.optional(),
    })
    .default({ tableName: 'lifeboat-state' }),
  bot: z.strictObject({
    /** The name Slack's request URL uses; one Route 53 failover record. */
    domainName: DnsNameSchema,
    /** The public hosted zone the name lives in. */
    hostedZone: z.strictObject({ id: HostedZoneIdSchema, name: DnsNameSchema }),
    /** The two regions the endpoint runs in: the failover record's primary and secondary. */
    regions: z.strictObject({ primary: RegionSchema, secondary: RegionSchema }),
    /** Steady-state requests per second the API accepts, and its burst. */
    throttle: z
      .strictObject({
        rate: z.number().int().min(1).default(50),
        burst: z.number().int().min(1).default(100),
      })
      .default({ rate: 50, burst: 100 }),
    /** The health check route's own throttle (Route 53's checkers need under one a second). */
    healthThrottle: z
      .strictObject({
        rate: z.number().int().min(1).default(10),
        burst: z.number().int().min(1).default(20),
      })
      .default({ rate: 10, burst: 20 }),
    /**
     * Requests one client address may send to Slack's route in a minute (AWS WAF rate-based
     * rule); beyond it the address is refused until its rate falls.
     */
    perClientLimit: z
      .number()
      .int()
      .min(10, {
        error: (issue) =>
          `bot.perClientLimit ${String(issue.input)} is below 10, AWS WAF's least rate limit.`,
      })
      .max(2_000_000_000)
      .default(300),
    /**
     * Ingress instances kept initialized in each bot region (Lambda provisioned concurrency, on
     * an alias): the first slash command after a quiet week meets no cold start. 0 turns it off.
     * Each instance is billed all month (README, "Cold starts").
     */
    provisionedConcurrency: z
      .number({ error: warmIngressError })
      .int({ error: warmIngressError })
      .min(0, { error: warmIngressError })
      .max(10, { error: warmIngressError })
      .default(1),
  }),
  slack: z.strictObject({
    /** The Secrets Manager secret (`{"signingSecret","botToken"}`), replicated to every region. */
    secretName: z.string().regex(/^[\w/+=.@-]{1,512}$/),
    /** The one workspace the bot answers. */
    teamId: SlackIdSchema('workspace (team) id like T0123ABCD', /^T[A-Z0-9]+$/),
    /** The bot's own ids, so a cold start makes no `auth.test` call. */
    botId: SlackIdSchema('bot id like B0123ABCD', /^B[A-Z0-9]+$/).optional(),
    botUserId: SlackIdSchema('user id like U0123ABCD', /^[UW][A-Z0-9]+$/).optional(),
    /** Lifeboat admins: Slack user or user-group ids. */
    admins: z.array(SlackIdSchema('user or user-group id', /^[UWS][A-Z0-9]{2,}$/)).default([]),
  }),
  alarms: z
    .strictObject({
      /** Who is told when a run fails or times out, or the notifier gives up on a message. */
      emails: z.array(z.email()).default([]),
    })
    .default({ emails: [] }),
  /** How long Lambda, Step Functions and API logs are kept. */
  logRetentionDays: z
    .number()
    .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
      error: (issue) =>
        `${String(issue.input)} days is not a CloudWatch Logs retention; use one of ${LOG_RETENTION_DAYS.join(', ')}.`,
    })
    .default(365),
  reports: z
    .strictObject({
      /** How long a report's versions cannot be deleted (object lock). */
      retentionDays: z.number().int().min(1).max(36_500).default(2557),
      /**
       * `governance`: users with `s3:BypassGovernanceRetention` can still delete;
       * `compliance`: nobody can, not even the root user, until the retention ends.
       */
      lockMode: z.enum(['governance', 'compliance']).default('governance'),
      /**
       * Roles of auditors who may read the reports (the key's policy and the bucket's name
       * them); nobody else of the tooling account can decrypt them.
       */
      auditorRoles: z
        .array(
          z.string().regex(/^arn:aws:iam::\d{12}:role\/[\w+=,.@/-]+$/, {
            error: (issue) =>
              `"${String(issue.input)}" is not an IAM role ARN like arn:aws:iam::111122223333:role/Auditor.`,
          }),
        )
        .default([]),
    })
    .default({ retentionDays: 2557, lockMode: 'governance', auditorRoles: [] }),
  /**
   * The ARC cluster, once the routing stack is deployed (a one-time setup). Absent: DNS records
   * in `failover` mode cannot be flipped, and the synth says so.
   */
  arc: ArcConfigSchema.optional(),
});
export type DeployConfig = z.infer<typeof DeployConfigSchema>;

/** Every region the deployment uses, in the order the pairs name them. */
export function deployedRegions(config: Pick<DeployConfig, 'pairs'>): Region[] {
  return [...new Set(config.pairs.flatMap((pair) => [pair.primary, pair.recovery]))];
}

/** The region holding the global table's stack. */
export function stateRegion(config: DeployConfig): Region {
  return config.state.region ?? (config.pairs[0] as RegionPair).primary;
}

/** Parses a deploy configuration, with the rules that span fields; problems name path and value. */
export function parseDeployConfig(raw: unknown, source: string): DeployConfig {
  const parsed = DeployConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new DeployConfigError(
      source,
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
    );
  }
  const config = parsed.data;
  const regions = deployedRegions(config);
  const problems: string[] = [];
  const deployed = (region: string) => (regions as string[]).includes(region);
  for (const [side, region] of Object.entries(config.bot.regions)) {
    if (!deployed(region))
      problems.push(
        `bot.regions.${side}: "${region}" is not in any pair (${regions.join(', ')}); the endpoint needs the orchestrator and the state beside it.`,
      );
  }
  if (config.bot.regions.primary === config.bot.regions.secondary)
    problems.push(
      `bot.regions: primary and secondary are both "${config.bot.regions.primary}"; a failover name needs two regions.`,
    );
  if (config.state.region && !deployed(config.state.region))
    problems.push(
      `state.region: "${config.state.region}" is not in any pair (${regions.join(', ')}).`,
    );
  const zone = config.bot.hostedZone.name;
  if (!config.bot.domainName.endsWith(`.${zone}`))
    problems.push(
      `bot.domainName: "${config.bot.domainName}" is not inside the hosted zone "${zone}"; use a name under it.`,
    );
  if (config.arc) problems.push(...checkArc(config.arc, config));
  if (problems.length > 0) throw new DeployConfigError(source, problems);
  return config;
}

/** The `arc:` rules that span fields: the tooling account's cluster, a panel per pair, each endpoint once. */
function checkArc(arc: ArcConfig, config: DeployConfig): string[] {
  const problems: string[] = [];
  const arns: [string, string][] = [
    ['arc.clusterArn', arc.clusterArn],
    ...Object.entries(arc.controlPanels).map(([name, arn]): [string, string] => [
      `arc.controlPanels.${name}`,
      arn,
    ]),
  ];
  for (const [path, arn] of arns) {
    if (arnAccount(arn) !== config.account)
      problems.push(
        `${path}: "${arn}" is in account ${arnAccount(arn)}, not the tooling account ${config.account}; the routing stack deploys there.`,
      );
  }
  const expected = config.pairs.map(controlPanelName);
  for (const name of expected) {
    if (!(name in arc.controlPanels))
      problems.push(
        `arc.controlPanels: no ARN for "${name}"; copy it from the Lifeboat-Routing stack's outputs.`,
      );
  }
  for (const name of Object.keys(arc.controlPanels)) {
    if (!expected.includes(name))
      problems.push(
        `arc.controlPanels.${name}: no pair has this panel (expected ${expected.join(', ')}).`,
      );
  }
  const seen = new Set<string>();
  for (const { region } of arc.endpoints) {
    if (seen.has(region))
      problems.push(
        `arc.endpoints: "${region}" is listed twice; list each regional endpoint once.`,
      );
    seen.add(region);
  }
  return problems;
}

/** Reads and checks `config/deploy.yaml` (or the file named). */
export function readDeployConfig(file: string): DeployConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new DeployConfigError(file, [
      `cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)}); pass another with -c config=<file>.`,
    ]);
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0)
    throw new DeployConfigError(
      file,
      doc.errors.map((e) => `not valid YAML: ${e.message.split('\n')[0]}`),
    );
  return parseDeployConfig(doc.toJS(), file);
}
