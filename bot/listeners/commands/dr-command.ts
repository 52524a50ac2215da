import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { runDrCommand } from '../../commands/dr-actions.ts';
import { parseDrCommand } from '../../commands/parse-command.ts';
import type { BotDeps } from '../../deps.ts';

/**
 * `/dr …`: parse, authorize, at most one conditional write and one hand-off, then the private
 * answer as the command's acknowledgement (on Lambda, Bolt answers Slack when this returns).
 */
export function drCommand(deps: BotDeps) {
  return async ({ command, ack, client }: SlackCommandMiddlewareArgs & AllMiddlewareArgs) => {
    const parsed = parseDrCommand(command.text);
    if (parsed.name === 'error') {
      await ack({
        response_type: 'ephemeral',
        text: `${parsed.message}\nUsage: \`${parsed.usage}\``,
      });
      return;
    }
    const reply = await runDrCommand(
      deps,
      {
        userId: command.user_id,
        channelId: command.channel_id,
        responseUrl: command.response_url,
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
