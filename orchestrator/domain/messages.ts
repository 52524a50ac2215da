import * as z from 'zod';
import { OperationSchema } from './plan.ts';

/**
 * The messages between Lifeboat's parts, each defined once and parsed by its receiver: the bot
 * starting a run (the state machine's input), and what the notifier's queue carries.
 */

/** A request to run an operation: what the bot starts the state machine with. */
export const StartRequestSchema = z.object({
  customerId: z.string().min(1),
  operation: OperationSchema,
  requestedBy: z.string().min(1),
  /** The requester's Slack name as the request carried it, for the evidence. */
  requestedByName: z.string().optional(),
  /** The Slack channel the run was requested in: its messages go there. */
  channel: z.string().optional(),
  reason: z.string().optional(),
  /** When the disruption began, for a real incident declared after the fact (ms). */
  disruptionAt: z.number().optional(),
  /**
   * The region-wide incident starting this run: its approval is the incident's (two people
   * approved every plan at once), so the run opens no approval gate of its own.
   */
  incident: z
    .strictObject({ incidentId: z.string().min(1), approvedBy: z.array(z.string()).min(1) })
    .optional(),
});
export type StartRequest = z.infer<typeof StartRequestSchema>;

/** The state machine's input: the request, and the execution's name as its first state adds it. */
export const PrepareInputSchema = z.object({
  request: StartRequestSchema,
  executionName: z.string().min(1),
});

/** The notifier's queue: a run whose journal grew (grouped by run). */
export const RunChangedMessageSchema = z.object({ executionId: z.string().min(1) });
export type RunChangedMessage = z.infer<typeof RunChangedMessageSchema>;

/** Work that may take longer than Slack's 3 seconds, done after the answer and sent to `responseUrl`. */
export const ReadinessJobSchema = z.object({
  kind: z.literal('readiness'),
  customerId: z.string().min(1),
  operation: OperationSchema,
  responseUrl: z.url(),
  userId: z.string().min(1),
});
export type ReadinessJob = z.infer<typeof ReadinessJobSchema>;

/** Everything the notifier's queue carries. */
export const NotifierMessageSchema = z.union([RunChangedMessageSchema, ReadinessJobSchema]);
export type NotifierMessage = z.infer<typeof NotifierMessageSchema>;
