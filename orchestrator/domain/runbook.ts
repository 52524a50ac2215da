import * as z from 'zod';
import { DrsSelectorSchema, HealthCheckSchema, OperationSchema, SideSchema } from './plan.ts';
import { RegionSchema } from './regions.ts';

/**
 * A runbook is the list of steps the orchestrator interprets for one operation on one
 * customer. It is data: the state machine routes on `kind`, the task Lambdas carry out one
 * step each. Built by `planRunbook` (plan-runbook.ts) from the plan and the operation.
 */
export const RUNBOOK_SCHEMA_VERSION = 1;

/** Which part of the operation a step belongs to; the status card groups steps by phase. */
export const PhaseSchema = z.enum([
  'prepare',
  'failover',
  'validate',
  'sign-off',
  'failback',
  'cleanup',
  'report',
]);
export type Phase = z.infer<typeof PhaseSchema>;

const StepBase = {
  /** Unique within the runbook and stable across re-planning: resume and the journal key on it. */
  id: z.string().min(1),
  title: z.string().min(1),
  phase: PhaseSchema,
  /** The region whose APIs the step calls. */
  region: RegionSchema,
  /** A best-effort step that fails is journaled and the run goes on (the primary may be gone). */
  bestEffort: z.boolean(),
  timeoutSeconds: z.number().int().positive(),
};

export const ServerRefSchema = z.strictObject({
  name: z.string(),
  critical: z.boolean(),
  drs: DrsSelectorSchema,
  /** The instance the server lands in: pre-created in recovery, or the original in failback. */
  launchInto: z.string().optional(),
  ip: z.string().optional(),
  /** Types the pre-created recovery instance may take when EC2 has no capacity of its own. */
  alternativeInstanceTypes: z.array(z.string()).optional(),
});
export type ServerRef = z.infer<typeof ServerRefSchema>;

export const PreflightCheckSchema = z.enum([
  'primary-reachable',
  'replication-healthy',
  'replication-lag',
  'recovery-instances',
  'original-instances',
  'reverse-replication',
  'dns-zones',
  'routing-controls',
  'failover-records',
  'dns-control-plane',
  'drs-quota',
  'isolated-network',
  'no-active-operation',
  'plan-tags',
]);
export type PreflightCheck = z.infer<typeof PreflightCheckSchema>;

/** One pre-flight check's result, as the pre-flight step journals it and the request card shows it. */
export const PreflightResultSchema = z.object({
  check: PreflightCheckSchema,
  ok: z.boolean(),
  detail: z.string(),
  /** Reported but not blocking (the primary's checks in a real incident). */
  advisory: z.boolean(),
  /** The figure the check measured, in seconds (the worst replication lag). */
  seconds: z.number().optional(),
});
export type PreflightResult = z.infer<typeof PreflightResultSchema>;

export const PreflightStepSchema = z.strictObject({
  kind: z.literal('preflight'),
  ...StepBase,
  checks: z.array(PreflightCheckSchema),
  /** Checks whose failure is reported but does not block (the primary in a real incident). */
  advisory: z.array(PreflightCheckSchema),
  servers: z.array(ServerRefSchema),
  /** Instances on the other side: the primary's sources, probed to see whether the primary answers. */
  peerInstances: z.array(z.string()),
  /** The bubble network an isolated drill launches into. */
  isolated: z
    .strictObject({ subnetId: z.string(), securityGroupIds: z.array(z.string()) })
    .optional(),
  rpoSeconds: z.number(),
  zones: z.array(z.string()),
  /** The customer's routing controls as they should read before the run: where traffic is now. */
  routing: z.array(z.strictObject({ name: z.string(), state: z.enum(['On', 'Off']) })).default([]),
  /** Names that must have a PRIMARY and a SECONDARY failover record set in every zone. */
  failoverRecords: z.array(z.string()).default([]),
  /** Names rewritten on Route 53's control plane (records in `change` mode). */
  changeRecords: z.array(z.string()).default([]),
  /** The DRS limits the waves are planned within: the quota headroom check asks for them. */
  jobLimits: z.strictObject({
    maxServersPerJob: z.number().int(),
    maxConcurrentJobs: z.number().int(),
    maxServersInActiveJobs: z.number().int(),
  }),
});

export const GateStepSchema = z.strictObject({
  kind: z.literal('gate'),
  ...StepBase,
  gate: z.enum(['approval', 'sign-off', 'manual']),
  prompt: z.string(),
  /** Slack users or user groups who may answer. */
  principals: z.array(z.string()).min(1),
  required: z.number().int().min(1),
  /** The two-person rule: the requester's own answer never counts. */
  excludeRequester: z.boolean(),
});

export const StopInstancesStepSchema = z.strictObject({
  kind: z.literal('stop-instances'),
  ...StepBase,
  side: SideSchema,
  instances: z.array(z.strictObject({ server: z.string(), instanceId: z.string() })),
});

export const WaitReplicationStepSchema = z.strictObject({
  kind: z.literal('wait-replication'),
  ...StepBase,
  direction: z.enum(['to-recovery', 'to-primary']),
  servers: z.array(ServerRefSchema),
  maxLagSeconds: z.number().int().min(0),
});

export const BootGroupSchema = z.strictObject({
  servers: z.array(ServerRefSchema),
  /** Batches run one after another; the jobs of a batch run at once, each within DRS quotas. */
  batches: z.array(z.array(z.array(z.string()))),
});
export type BootGroup = z.infer<typeof BootGroupSchema>;

export const RecoverWaveStepSchema = z.strictObject({
  kind: z.literal('recover-wave'),
  ...StepBase,
  wave: z.string(),
  waveIndex: z.number().int().min(0),
  waveCount: z.number().int().min(1),
  /** DRS `isDrill`: true only for isolated (bubble) drills; an HRP drill is a real recovery. */
  isDrill: z.boolean(),
  launchInto: z.enum(['pre-created', 'original', 'isolated']),
  isolated: z
    .strictObject({ subnetId: z.string(), securityGroupIds: z.array(z.string()) })
    .optional(),
  bootGroups: z.array(BootGroupSchema),
  healthChecks: z.array(HealthCheckSchema),
  /** The SSM agent is re-pointed here so health checks and hooks reach the servers. */
  ssmAgentRegion: RegionSchema,
});

export const SsmCommandStepSchema = z.strictObject({
  kind: z.literal('ssm-command'),
  ...StepBase,
  hook: z.string(),
  document: z.string(),
  parameters: z.record(z.string(), z.array(z.string())),
  targets: z.array(z.strictObject({ server: z.string().optional(), instanceId: z.string() })),
});

export const LambdaHookStepSchema = z.strictObject({
  kind: z.literal('lambda-hook'),
  ...StepBase,
  hook: z.string(),
  function: z.string(),
  payload: z.record(z.string(), z.unknown()),
});

export const StackStepSchema = z.strictObject({
  kind: z.literal('stack'),
  ...StepBase,
  hook: z.string(),
  action: z.enum(['deploy', 'delete']),
  stackName: z.string(),
  templateUrl: z.string().optional(),
  parameters: z.record(z.string(), z.string()),
});

export const DnsChangeSchema = z.strictObject({
  zoneId: z.string(),
  name: z.string(),
  type: z.enum(['A', 'CNAME']),
  ttl: z.number().int(),
  value: z.string(),
});
export type DnsChange = z.infer<typeof DnsChangeSchema>;

export const DnsStepSchema = z.strictObject({
  kind: z.literal('dns'),
  ...StepBase,
  /** The side the records now point at. */
  target: SideSchema,
  /** Records in `change` mode: rewritten on Route 53's control plane (us-east-1 only). */
  changes: z.array(DnsChangeSchema),
  /**
   * Records in `failover` mode move with these routing controls, set together on ARC's data
   * plane: the target side's On, the other Off.
   */
  routing: z.array(z.strictObject({ name: z.string(), state: z.enum(['On', 'Off']) })).default([]),
  /** How many of the plan's records move (both modes; each is in every zone of the plan). */
  records: z.number().int().min(0).default(0),
});

export const ReverseReplicationStepSchema = z.strictObject({
  kind: z.literal('reverse-replication'),
  ...StepBase,
  direction: z.enum(['to-primary', 'to-recovery']),
  servers: z.array(ServerRefSchema),
});

export const TerminateDrillInstancesStepSchema = z.strictObject({
  kind: z.literal('terminate-drill-instances'),
  ...StepBase,
  servers: z.array(ServerRefSchema),
});

export const ReportStepSchema = z.strictObject({
  kind: z.literal('report'),
  ...StepBase,
  rpoTargetSeconds: z.number(),
  rtoTargetSeconds: z.number(),
});

export const StepSchema = z.discriminatedUnion('kind', [
  PreflightStepSchema,
  GateStepSchema,
  StopInstancesStepSchema,
  WaitReplicationStepSchema,
  RecoverWaveStepSchema,
  SsmCommandStepSchema,
  LambdaHookStepSchema,
  StackStepSchema,
  DnsStepSchema,
  ReverseReplicationStepSchema,
  TerminateDrillInstancesStepSchema,
  ReportStepSchema,
]);
export type Step = z.infer<typeof StepSchema>;
export type StepKind = Step['kind'];
export const StepKindSchema = z.enum(
  StepSchema.options.map((o) => o.shape.kind.value) as [StepKind, ...StepKind[]],
);
export type StepOf<K extends StepKind> = Extract<Step, { kind: K }>;

export const RunbookSchema = z.strictObject({
  schemaVersion: z.literal(RUNBOOK_SCHEMA_VERSION),
  customerId: z.string(),
  operation: OperationSchema,
  /** The region whose orchestrator runs the operation: the one it makes active. */
  executionRegion: RegionSchema,
  regions: z.strictObject({ primary: RegionSchema, recovery: RegionSchema }),
  targets: z.strictObject({ rpoSeconds: z.number(), rtoSeconds: z.number() }),
  steps: z.array(StepSchema).min(1),
});
export type Runbook = z.infer<typeof RunbookSchema>;
