import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { runDrCommand } from '../../commands/dr-actions.ts';
import { parseDrCommand } from '../../commands/parse-command.ts';
import type { BotDeps } from '../../deps.ts';
import { nameCaller } from '../../display-names.ts';
import { CommandPayloadSchema, describeMismatch } from '../payloads.ts';

/** The commands whose caller is journaled: a run started, paused, resumed or aborted. */
const NAMED_COMMANDS: ReadonlySet<string> = new Set([
  'drill',
  'failover',
  'failback',
  'pause',
  'resume',
  'abort',
]);

/**
 * `/dr …`: parse, authorize, at most one conditional write and one hand-off, then the private
 * answer as the command's acknowledgement (on Lambda, Bolt answers Slack when this returns).
 */
export function drCommand(deps: BotDeps) {
  return async ({ command, ack, client }: SlackCommandMiddlewareArgs & AllMiddlewareArgs) => {
    const payload = CommandPayloadSchema.safeParse(command);
    if (!payload.success) {
      await ack({ response_type: 'ephemeral', text: describeMismatch(payload.error, 'command') });
      return;
    }
    const parsed = parseDrCommand(payload.data.text);
    if (parsed.name === 'error') {
      await ack({
        response_type: 'ephemeral',
        text: `${parsed.message}\nUsage: \`${parsed.usage}\``,
      });
      return;
    }
    const user = { id: payload.data.user_id, name: payload.data.user_name };
    // Asked for beside the command's checks, and only by the commands that journal who asked.
    const userName = NAMED_COMMANDS.has(parsed.name) ? nameCaller(deps, client, user) : user.name;
    const reply = await runDrCommand(
      deps,
      {
        userId: payload.data.user_id,
        ...(userName ? { userName } : {}),
        channelId: payload.data.channel_id,
        responseUrl: payload.data.response_url,
        client,
      },
      parsed,
    );
    await ack({
      response_type: 'ephemeral',
      text: reply.text,
      ...(reply.blocks ? { blocks: reply.blocks as never } : {}),
    });
  };
}
