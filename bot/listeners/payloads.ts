import * as z from 'zod';

/**
 * The parts of Slack's payloads the listeners read. Slack signs what it sends, but a listener
 * does not trust the shape: a payload that does not match gets a clear refusal, never a 500.
 */

/**
 * The longest gate id a button or modal may carry. Lifeboat's own are under 150 characters;
 * DynamoDB refuses a sort key over 1 KB with an error the listener would not explain.
 */
export const MAX_GATE_ID_LENGTH = 512;

export const GateIdSchema = z
  .string()
  .max(MAX_GATE_ID_LENGTH, { error: `a gate id is at most ${MAX_GATE_ID_LENGTH} characters` });

const SlackIdSchema = z.string().min(1).max(64);

/**
 * The name Slack sends with a request, kept as evidence beside the id. Optional and never a
 * reason to refuse: an odd one is dropped.
 */
const SlackNameSchema = z.string().min(1).max(200).optional().catch(undefined);

/** Who acted, as every interaction payload carries it (`username`; `name` is its older form). */
const InteractorSchema = z
  .object({ id: SlackIdSchema, username: SlackNameSchema, name: SlackNameSchema })
  .transform(({ id, username, name }) => ({ id, name: username ?? name }));

/** A slash command's form fields. */
export const CommandPayloadSchema = z.object({
  text: z.string().max(4000),
  user_id: SlackIdSchema,
  user_name: SlackNameSchema,
  channel_id: SlackIdSchema,
  response_url: z.string().max(2000),
});
export type CommandPayload = z.infer<typeof CommandPayloadSchema>;

/** A click on one of Lifeboat's buttons: the gate id it carries, who clicked, and where. */
export const ButtonPayloadSchema = z.object({
  action: z.object({ action_id: z.string(), value: GateIdSchema }),
  body: z.object({
    user: InteractorSchema,
    channel: z.object({ id: SlackIdSchema }).optional(),
    trigger_id: z.string().max(500).optional(),
  }),
});
export type ButtonPayload = z.infer<typeof ButtonPayloadSchema>;

const InputValueSchema = z.object({ value: z.string().max(3000).nullish() }).optional();

/** The sign-off modal submitted: its gate id (private metadata) and what was typed in it. */
export const SignOffSubmissionSchema = z.object({
  view: z.object({
    private_metadata: GateIdSchema,
    state: z.object({
      values: z.object({
        contact: z.object({ value: InputValueSchema }).optional(),
        notes: z.object({ value: InputValueSchema }).optional(),
        decision: z
          .object({
            value: z
              .object({ selected_option: z.object({ value: z.string() }).nullish() })
              .optional(),
          })
          .optional(),
      }),
    }),
  }),
  body: z.object({ user: InteractorSchema }),
});
export type SignOffSubmission = z.infer<typeof SignOffSubmissionSchema>;

/** What to tell the person whose payload did not match: the first problem, with where it was. */
export function describeMismatch(error: z.ZodError, what: string): string {
  const issue = error.issues[0];
  const where = issue?.path.join('.') || 'payload';
  return `Lifeboat could not read this ${what} (${where}: ${issue?.message ?? 'unexpected shape'}); nothing changed.`;
}
