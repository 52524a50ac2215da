import * as z from 'zod';
import { DurationSchema } from './duration.ts';
import { ChannelSchema, PrincipalSchema } from './plan.ts';
import { RegionSchema } from './regions.ts';

/** DRS service quotas (per account and region); the planner never asks DRS for more. */
export const DRS_QUOTAS = {
  serversPerJob: 100,
  concurrentJobs: 20,
  serversInActiveJobs: 500,
  replicatingServers: 300,
} as const;

/** A customer's lock older than this may be taken over: its run died without releasing it. */
export const LOCK_STALE_MS = 24 * 3600_000;

/**
 * How long a decision after a failure, or a pause, waits for people before the run aborts. The
 * state machine's own timeouts on its gates are outer bounds beyond this.
 */
export const DECISION_GATE_EXPIRY_SECONDS = 7 * 86_400;

/**
 * Region-wide operations (`/dr failover region <region>`): who may request, see and approve
 * them, where their cards go, and how many approvals they need (never the requester's).
 */
export const RegionWideSettingsSchema = z.strictObject({
  /** The operations channel: region-wide requests are made there, and its cards go there. */
  channel: ChannelSchema,
  requesters: z.array(PrincipalSchema).min(1),
  approvers: z.array(PrincipalSchema).min(1),
  viewers: z.array(PrincipalSchema).default([]),
  /** Approvals a region-wide failover needs (M of the approvers), never from the requester. */
  approvals: z.number().int().min(1).max(10).default(2),
  approvalTimeout: DurationSchema.prefault('1h'),
  /** Child runs going at once; DRS's quotas are shared by the admission controller besides. */
  maxConcurrentRuns: z.number().int().min(1).max(200).default(60),
  /**
   * Where an incident's own state machine runs, in order of preference: the first that is not
   * the lost region. @default the bot's regions
   */
  executionRegions: z.array(RegionSchema).min(2).default(['us-west-2', 'us-east-2']),
});
export type RegionWideSettings = z.infer<typeof RegionWideSettingsSchema>;

/** Runbook defaults shared by every customer, from `config/defaults.yaml`. */
export const RunbookSettingsSchema = z.strictObject({
  maxServersPerJob: z
    .number()
    .int()
    .min(1)
    .max(DRS_QUOTAS.serversPerJob)
    .default(DRS_QUOTAS.serversPerJob),
  maxConcurrentJobs: z
    .number()
    .int()
    .min(1)
    .max(DRS_QUOTAS.concurrentJobs)
    .default(DRS_QUOTAS.concurrentJobs),
  maxServersInActiveJobs: z
    .number()
    .int()
    .min(1)
    .max(DRS_QUOTAS.serversInActiveJobs)
    .default(DRS_QUOTAS.serversInActiveJobs),
  preflightTimeout: DurationSchema.prefault('5m'),
  stopInstancesTimeout: DurationSchema.prefault('15m'),
  /** In a real incident the primary may be gone: wait this long for lag to drain, then go on. */
  incidentReplicationWait: DurationSchema.prefault('10m'),
  dnsTimeout: DurationSchema.prefault('10m'),
  reverseReplicationTimeout: DurationSchema.prefault('30m'),
  /** Replication back to the primary starts with a full sync of every disk: it may take hours. */
  failbackReplicationTimeout: DurationSchema.prefault('6h'),
  cleanupTimeout: DurationSchema.prefault('30m'),
  reportTimeout: DurationSchema.prefault('5m'),
  /** Region-wide operations; without it `/dr failover region` says what to configure. */
  regionWide: RegionWideSettingsSchema.optional(),
});
export type RunbookSettings = z.infer<typeof RunbookSettingsSchema>;

export const DEFAULT_SETTINGS: RunbookSettings = RunbookSettingsSchema.parse({});
