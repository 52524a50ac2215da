import type { App } from '@slack/bolt';
import { GATE_ACTION, SIGN_OFF_OPEN_ACTION, SIGN_OFF_VIEW } from '../blocks/prompts.ts';
import type { BotDeps } from '../deps.ts';
import { gateButton } from './actions/gate-button.ts';
import { signOffOpen } from './actions/sign-off-open.ts';
import { drCommand } from './commands/dr-command.ts';
import { signOffSubmit } from './views/sign-off-submit.ts';

/** Every listener of the Lifeboat app, and the guard that keeps other workspaces out. */
export function registerListeners(app: App, deps: BotDeps, teamId: string): void {
  app.use(async ({ body, next, ...rest }) => {
    const team =
      (body as { team_id?: string }).team_id ?? (body as { team?: { id?: string } }).team?.id;
    if (team === teamId) return next();
    const ack = (rest as { ack?: (r?: unknown) => Promise<void> }).ack;
    await ack?.({
      response_type: 'ephemeral',
      text: 'Lifeboat answers only the workspace it was installed in.',
    });
  });
  app.command('/dr', drCommand(deps));
  app.action(GATE_ACTION, gateButton(deps));
  app.action(SIGN_OFF_OPEN_ACTION, signOffOpen(deps));
  app.view(SIGN_OFF_VIEW, signOffSubmit(deps));
}
