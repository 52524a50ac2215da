import * as z from 'zod';
import { DurationSchema } from './duration.ts';
import { RegionSchema } from './regions.ts';

/**
 * One customer's recovery plan, as written in `config/customers/<id>.yaml`.
 * This schema checks shape; `validatePlan` (plan-rules.ts) adds the rules that span fields.
 */
export const PLAN_SCHEMA_VERSION = 1;

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const NameSchema = z.string().regex(NAME, {
  error: (issue) =>
    `"${String(issue.input)}" is not a valid name: use lower-case letters, digits and dashes, starting with a letter or digit.`,
});

export const ProductLineSchema = z.enum(['HRP', 'GC']);
export type ProductLine = z.infer<typeof ProductLineSchema>;

/** A Slack user (`U…`, `W…`) or user group (`S…`). Groups let the team rotate on-call without a plan change. */
export const PrincipalSchema = z.string().regex(/^[UWS][A-Z0-9]{2,}$/, {
  error: (issue) =>
    `"${String(issue.input)}" is not a Slack user id (U… or W…) or user-group id (S…); copy it from the member's or group's profile.`,
});
export const ChannelSchema = z.string().regex(/^[CG][A-Z0-9]{2,}$/, {
  error: (issue) =>
    `"${String(issue.input)}" is not a Slack channel id (C… or G…); copy it from the channel's details, not its name.`,
});

const Ipv4Schema = z.ipv4({
  error: (issue) => `"${String(issue.input)}" is not an IPv4 address like 10.40.1.21.`,
});
const InstanceIdSchema = z.string().regex(/^i-[0-9a-f]{8,17}$/, {
  error: (issue) => `"${String(issue.input)}" is not an EC2 instance id like i-0abc12345def67890.`,
});
const SourceServerIdSchema = z.string().regex(/^s-[0-9a-f]{17}$/, {
  error: (issue) =>
    `"${String(issue.input)}" is not a DRS source server id like s-1234567890abcdef0 (s- and 17 hex digits).`,
});
/** An EC2 instance type: family and generation (with options), a dot, a size. */
export const InstanceTypeSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]*\.(nano|micro|small|medium|large|\d*xlarge|metal(-\d+xl)?)$/, {
    error: (issue) =>
      `"${String(issue.input)}" is not an EC2 instance type like r6i.2xlarge (family, a dot, a size).`,
  });
const SubnetIdSchema = z.string().regex(/^subnet-[0-9a-f]{8,17}$/, {
  error: (issue) => `"${String(issue.input)}" is not a subnet id like subnet-0abc1234.`,
});
const SecurityGroupIdSchema = z.string().regex(/^sg-[0-9a-f]{8,17}$/, {
  error: (issue) => `"${String(issue.input)}" is not a security group id like sg-0abc1234.`,
});
const HostedZoneIdSchema = z.string().regex(/^Z[A-Z0-9]{5,31}$/, {
  error: (issue) =>
    `"${String(issue.input)}" is not a Route 53 hosted zone id like Z0123456789ABC.`,
});
const DnsNameSchema = z
  .string()
  .regex(
    /^(?=.{1,253}\.?$)([a-z0-9_](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9_](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/,
    {
      error: (issue) =>
        `"${String(issue.input)}" is not a DNS name in lower case like db01.bcbsaz.hrp.internal.`,
    },
  )
  .transform((name) => name.replace(/\.$/, ''));

/** Which side of the pair a step works on; the region follows from the plan's pair. */
export const SideSchema = z.enum(['primary', 'recovery']);
export type Side = z.infer<typeof SideSchema>;

/**
 * When a hook runs. `failover`: moving to the recovery region (drills and real failovers);
 * `failback`: moving back; `bubble`: isolated drills, where nothing may touch production.
 */
export const HookPhaseSchema = z.enum(['failover', 'failback', 'bubble']);
export type HookPhase = z.infer<typeof HookPhaseSchema>;

const HookBase = {
  name: NameSchema,
  phases: z.array(HookPhaseSchema).min(1).default(['failover']),
  timeout: DurationSchema.prefault('15m'),
  /** A failed optional hook is journaled and the run goes on. */
  optional: z.boolean().default(false),
};

/** SSM targets: servers of this plan (resolved to the instance on the active side), or instances outside it. */
export const SsmDocumentHookSchema = z.strictObject({
  kind: z.literal('ssm-document'),
  ...HookBase,
  document: z.string().min(1),
  parameters: z.record(z.string(), z.array(z.string())).default({}),
  servers: z.array(NameSchema).min(1).optional(),
  instances: z
    .strictObject({
      primary: z.array(InstanceIdSchema).min(1).optional(),
      recovery: z.array(InstanceIdSchema).min(1).optional(),
    })
    .optional(),
});

export const LambdaHookSchema = z.strictObject({
  kind: z.literal('lambda'),
  ...HookBase,
  /** Function name or ARN; a name is resolved in the region the step runs in. */
  function: z.string().min(1),
  payload: z.record(z.string(), z.unknown()).default({}),
});

/** Infrastructure built at failover time from code (the Valkey cache is rebuilt in the recovery region). */
export const StackHookSchema = z.strictObject({
  kind: z.literal('stack'),
  ...HookBase,
  action: z.enum(['deploy', 'delete']).default('deploy'),
  stackName: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/),
  templateUrl: z.url().optional(),
  parameters: z.record(z.string(), z.string()).default({}),
});

/** A step a person does and confirms in Slack (for example: the customer flips their VPN). */
export const ManualHookSchema = z.strictObject({
  kind: z.literal('manual'),
  ...HookBase,
  instructions: z.string().min(1),
  /** Who may confirm; defaults to the plan's requesters. */
  confirmers: z.array(PrincipalSchema).min(1).optional(),
});

export const HookSchema = z.discriminatedUnion('kind', [
  SsmDocumentHookSchema,
  LambdaHookSchema,
  StackHookSchema,
  ManualHookSchema,
]);
export type Hook = z.infer<typeof HookSchema>;

/** How a wave proves it is healthy before the next one starts. */
export const HealthCheckSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('instance-status') }),
  z.strictObject({ kind: z.literal('ssm-agent') }),
  z.strictObject({
    kind: z.literal('ssm-document'),
    document: z.string().min(1),
    parameters: z.record(z.string(), z.array(z.string())).default({}),
    /** Defaults to every server of the wave. */
    servers: z.array(NameSchema).min(1).optional(),
  }),
]);
export type HealthCheck = z.infer<typeof HealthCheckSchema>;

/** DRS source servers are found by id, or by tags when ids change (after a re-install of the agent). */
export const DrsSelectorSchema = z.union([
  z.strictObject({ sourceServerId: SourceServerIdSchema }),
  z.strictObject({
    tags: z.record(z.string(), z.string()).refine((t) => Object.keys(t).length > 0),
  }),
]);
export type DrsSelector = z.infer<typeof DrsSelectorSchema>;

export const ServerSchema = z.strictObject({
  name: NameSchema,
  /** The tier, free text: database, application, web, sftp, moveit, monitoring… */
  role: NameSchema,
  drs: DrsSelectorSchema,
  primary: z.strictObject({ instanceId: InstanceIdSchema, ip: Ipv4Schema }),
  /** The pre-created, disk-less instance and pre-allocated IP in the recovery region. */
  recovery: z.strictObject({ instanceId: InstanceIdSchema, ip: Ipv4Schema }),
  /** An optional server may fail to recover without stopping the run. */
  critical: z.boolean().default(true),
  /** Servers that must be up first: in an earlier wave, or earlier in the boot order of the same wave. */
  dependsOn: z.array(NameSchema).default([]),
  /** Overrides `network.keepLastOctet` for this server. */
  keepLastOctet: z.boolean().optional(),
  /**
   * Types the recovery instance may take, in order, when EC2 has no capacity of its own type in
   * the recovery region (vertical scaling in DR).
   */
  alternativeInstanceTypes: z
    .array(InstanceTypeSchema)
    .min(1)
    .refine((types) => new Set(types).size === types.length, {
      error: 'alternativeInstanceTypes lists a type twice; list each alternative once.',
    })
    .optional(),
});
export type Server = z.infer<typeof ServerSchema>;

export const WaveSchema = z.strictObject({
  name: NameSchema,
  description: z.string().optional(),
  /** May be empty when the wave only runs hooks (a database failover on pre-existing replicas). */
  servers: z.array(NameSchema).default([]),
  /** Launch and health, per boot group. */
  timeout: DurationSchema.prefault('1h'),
  healthChecks: z
    .array(HealthCheckSchema)
    .default([{ kind: 'instance-status' }, { kind: 'ssm-agent' }]),
  preHooks: z.array(HookSchema).default([]),
  postHooks: z.array(HookSchema).default([]),
});
export type Wave = z.infer<typeof WaveSchema>;

export const DnsRecordSchema = z.strictObject({
  name: DnsNameSchema,
  type: z.enum(['A', 'CNAME']).default('A'),
  ttl: z.number().int().min(0).max(86_400).default(60),
  /** Take both values from a server's IPs, or write them out. */
  server: NameSchema.optional(),
  primary: z.string().min(1).optional(),
  recovery: z.string().min(1).optional(),
  /**
   * `failover`: a PRIMARY and a SECONDARY failover record set, created beforehand, answered by
   * the health of the customer's ARC routing controls; a flip is a routing-control change on
   * ARC's data plane, which survives the loss of us-east-1. `change`: a simple record rewritten
   * with ChangeResourceRecordSets, on Route 53's control plane, which lives in us-east-1 only.
   */
  mode: z.enum(['failover', 'change']).default('failover'),
});
export type DnsRecord = z.infer<typeof DnsRecordSchema>;

export const OperationSchema = z.enum(['drill', 'bubble-drill', 'failover', 'failback']);
export type Operation = z.infer<typeof OperationSchema>;

const ApprovalCountSchema = z.number().int();

/**
 * `customer`: one tenant's workloads. `shared-services`: what every customer of a region pair
 * uses (SFTP, MOVEit, jump servers, file-share gateways); no customer signs it off.
 */
export const PlanKindSchema = z.enum(['customer', 'shared-services']);
export type PlanKind = z.infer<typeof PlanKindSchema>;

/** A plan that must be recovered (or reach `wave`) before this one starts; a bare id means the whole plan. */
export const AfterSchema = z.union([
  NameSchema.transform((plan): { plan: string; wave?: string } => ({ plan })),
  z.strictObject({ plan: NameSchema, wave: NameSchema.optional() }),
]);
export type After = z.infer<typeof AfterSchema>;

const PlanShapeSchema = z.strictObject({
  version: z.literal(PLAN_SCHEMA_VERSION, {
    error: (issue) =>
      `Plan schema version ${String(issue.input)} is not supported; this Lifeboat reads version ${PLAN_SCHEMA_VERSION}.`,
  }),
  kind: PlanKindSchema.default('customer'),
  /** In a region-wide incident: 1 starts first ... 5 last (SRM's priority groups). */
  priority: z.number().int().min(1).max(5).default(3),
  /** Plans of the same region pair to wait for in a region-wide incident; checked across plans by `checkPlanSet`. */
  after: z.array(AfterSchema).default([]),
  customer: z.strictObject({
    id: NameSchema,
    name: z.string().min(1),
    productLine: ProductLineSchema,
  }),
  regions: z.strictObject({ primary: RegionSchema, recovery: RegionSchema }),
  account: z.strictObject({
    id: z.string().regex(/^\d{12}$/, {
      error: (issue) =>
        `"${String(issue.input)}" is not a 12-digit AWS account id; quote it in YAML.`,
    }),
    roleName: z.string().regex(/^[\w+=,.@-]{1,64}$/),
    externalId: z.string().min(8, {
      error: 'The external id must have at least 8 characters: it guards the cross-account role.',
    }),
  }),
  slack: z.strictObject({ channels: z.array(ChannelSchema).min(1) }),
  targets: z.strictObject({ rpo: DurationSchema, rto: DurationSchema }),
  access: z.strictObject({
    requesters: z.array(PrincipalSchema).min(1),
    approvers: z.array(PrincipalSchema).min(1),
    /**
     * Who signs off that the customer has tested in the recovery region. Required (at least one)
     * for a customer plan; a shared-services plan has no sign-off gate and may leave it out.
     */
    signOff: z.array(PrincipalSchema).default([]),
    viewers: z.array(PrincipalSchema).default([]),
    /** Approvals each operation needs, never from the requester. */
    approvals: z
      .strictObject({
        drill: ApprovalCountSchema.default(1),
        'bubble-drill': ApprovalCountSchema.default(1),
        failover: ApprovalCountSchema.default(1),
        failback: ApprovalCountSchema.default(1),
      })
      .default({ drill: 1, 'bubble-drill': 1, failover: 1, failback: 1 }),
    /** How long a request waits for its approvals before it expires. */
    approvalTimeout: DurationSchema.prefault('1h'),
    signOffTimeout: DurationSchema.prefault('3d'),
  }),
  network: z
    .strictObject({ keepLastOctet: z.boolean().default(true) })
    .default({ keepLastOctet: true }),
  drill: z
    .strictObject({
      /** `in-place`: a drill is a real failover and failback (HRP). `isolated`: a bubble drill (GC). */
      mode: z.enum(['in-place', 'isolated']).default('in-place'),
      isolated: z
        .strictObject({
          subnetId: SubnetIdSchema,
          securityGroupIds: z.array(SecurityGroupIdSchema).min(1),
        })
        .optional(),
    })
    .default({ mode: 'in-place' }),
  servers: z.array(ServerSchema).min(1),
  waves: z.array(WaveSchema).min(1),
  dns: z
    .strictObject({
      /** The private hosted zone of each side; every record is changed in both. */
      zones: z.strictObject({ primary: HostedZoneIdSchema, recovery: HostedZoneIdSchema }),
      records: z.array(DnsRecordSchema).default([]),
    })
    .optional(),
  webui: z.strictObject({ scaleUp: HookSchema, scaleDown: HookSchema }).optional(),
  validation: z.array(HookSchema).default([]),
  /** How long to wait for replication lag to reach zero after the sources stop. */
  replicationTimeout: DurationSchema.prefault('30m'),
});

/** The shape, and the rule that depends on the plan's kind: a customer plan names who signs off. */
export const PlanSchema = PlanShapeSchema.superRefine((plan, ctx) => {
  if (plan.kind === 'customer' && plan.access.signOff.length === 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['access', 'signOff'],
      params: { code: 'missing-sign-off' },
      message:
        'A customer plan needs at least one person or group in access.signOff; only a shared-services plan (kind: shared-services) runs without sign-off.',
    });
  }
});
export type Plan = z.infer<typeof PlanSchema>;
export type PlanInput = z.input<typeof PlanSchema>;
