import type { Hook, Plan } from './plan.ts';

/**
 * How much of a manual step's instructions its Slack prompt shows, escaped (`&` is five
 * characters there, `<` and `>` four): a few of Slack's 3,000-character sections, below the
 * about 13,000 characters Slack takes in one message's blocks (`msg_blocks_too_long`). Longer
 * instructions are cut there with a note pointing to the plan.
 */
export const PROMPT_TEXT_SHOWN_MAX = 10_000;

/** Names beyond this are cut in a card's 150-character header. */
export const CUSTOMER_NAME_SHOWN_MAX = 100;

/** Plan text that Slack will not show whole: valid, but worth knowing before a run. */
export interface PlanTextWarning {
  path: string;
  message: string;
}

/** Warnings, not problems: the plan runs, and Slack shows the text cut. */
export function checkPlanTextFit(plan: Plan): PlanTextWarning[] {
  const warnings: PlanTextWarning[] = [];
  if (plan.customer.name.length > CUSTOMER_NAME_SHOWN_MAX)
    warnings.push({
      path: 'customer.name',
      message: `${plan.customer.name.length} characters; Slack's cards show the first ${CUSTOMER_NAME_SHOWN_MAX} or fewer, so the name will be cut in Slack.`,
    });
  const hooks: [string, Hook][] = [
    ...plan.waves.flatMap((wave, w) => [
      ...wave.preHooks.map((hook, h): [string, Hook] => [`waves[${w}].preHooks[${h}]`, hook]),
      ...wave.postHooks.map((hook, h): [string, Hook] => [`waves[${w}].postHooks[${h}]`, hook]),
    ]),
    ...plan.validation.map((hook, h): [string, Hook] => [`validation[${h}]`, hook]),
  ];
  for (const [path, hook] of hooks) {
    if (hook.kind !== 'manual') continue;
    const shown = escapedLength(hook.instructions);
    if (shown > PROMPT_TEXT_SHOWN_MAX)
      warnings.push({
        path: `${path}.instructions`,
        message: `${hook.instructions.length} characters (${shown} once escaped for Slack); the prompt shows the first ${PROMPT_TEXT_SHOWN_MAX}, so the instructions will be cut in Slack. Link a runbook page instead, or shorten them.`,
      });
  }
  return warnings;
}

/** The length of text once Slack's three characters are escaped as entities. */
function escapedLength(text: string): number {
  let length = text.length;
  for (const char of text)
    if (char === '&') length += 4;
    else if (char === '<' || char === '>') length += 3;
  return length;
}
