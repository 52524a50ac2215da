import type { FakeSlackMessage } from '../../sandbox/slack/fake-slack.ts';

/** The value of a message's button (its gate id), or undefined when it has no such button. */
export function buttonValue(
  message: FakeSlackMessage | undefined,
  actionId: string,
): string | undefined {
  for (const block of (message?.blocks ?? []) as {
    elements?: { action_id?: string; value?: string }[];
  }[])
    for (const element of block.elements ?? [])
      if (element.action_id === actionId) return element.value;
  return undefined;
}

/** Polls until `find` gives something; fails naming what never came. */
export async function waitFor<T>(
  what: string,
  find: () => T | undefined | Promise<T | undefined>,
  ms = 60_000,
): Promise<T> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const found = await find();
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

/** The run id in the bot's answer to a request. */
export const runIdOf = (text?: string) => /run `([^`]+)`/.exec(text ?? '')?.[1] ?? '';
