/**
 * What of a failure text may reach a Slack channel. Errors carry role, instance and key ARNs,
 * account ids, Step Functions' stack traces and the output of customers' scripts; channels are
 * read by more people than the customer's account. Slack gets a code and the text with those
 * withheld; the full text stays in the run's journal and the Lambdas' logs. Pure.
 */

import { AwsCallError } from '../orchestrator/domain/errors.ts';

/** A failure as Slack shows it: what went wrong in one word, and the sanitized text. */
export interface SlackFailure {
  /** The service's error code, else Lifeboat's or Step Functions' error name, else the fallback (`Failed`). */
  code: string;
  message: string;
}

const ARN = /\barn:[a-z-]+:([a-z0-9-]*):[a-z0-9-]*:\d{0,12}:[^\s"'`,;()[\]{}<>]+/g;
const ACCOUNT_ID = /(?<![\w-])\d{12}(?![\w-])/g;
const ACCESS_KEY = /\b(?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{16}\b/g;
/** `i-0abc…: Failed (`: an SSM invocation's status, then its output (cut to 200 characters). */
const INVOCATION = /\b((?:m?i)-[0-9a-f]{8,17}): ([A-Za-z]+) \(/g;
const NEXT_INVOCATION = /^\);\s*m?i-[0-9a-f]{8,17}: [A-Za-z]+\b/;
/** The simple-steps executor cuts each instance's output to this many characters. */
const OUTPUT_MAX = 200;
/** Step Functions' Cause of a Lambda error: `{"errorType":…,"errorMessage":…,"trace":[…]}`. */
const LAMBDA_CAUSE = /\{"errorType":"(\w+)","errorMessage":"((?:[^"\\]|\\.)*)"[\s\S]*$/;

const CODE_PATTERNS: readonly RegExp[] = [
  // AwsCallError's message: `EC2 StopInstances failed with UnauthorizedOperation: …`.
  /\bfailed with ([A-Za-z][\w.]*):/,
  /\b(States\.[A-Za-z]+)\b/,
  /"errorType":"(\w+)"/,
  /\b([A-Z][A-Za-z]*(?:Error|Exception|Fault))\b/,
];

/** The failure's code and its text with ARNs, account ids, keys, traces and script output withheld. */
export function describeFailure(text: string, fallbackCode = 'Failed'): SlackFailure {
  const code =
    CODE_PATTERNS.map((pattern) => pattern.exec(text)?.[1]).find(Boolean) ?? fallbackCode;
  return { code, message: redactForSlack(text) };
}

/** `` `Code` message ``: a failure as a line of Slack mrkdwn (escape it as any text). */
export function formatFailure(text: string, fallbackCode?: string): string {
  const { code, message } = describeFailure(text, fallbackCode);
  return `\`${code}\` ${message}`;
}

/** Text with ARNs, account ids, access key ids, Lambda stack traces and script output withheld. */
export function redactForSlack(text: string): string {
  return withholdOutput(unwrapLambdaCause(text))
    .replace(ARN, (_arn, service: string) => `[${service || 'aws'} ARN]`)
    .replace(ACCESS_KEY, '[access key]')
    .replace(ACCOUNT_ID, '[account]');
}

/** A Lambda error's Cause as `Type: message`, without its stack trace. */
function unwrapLambdaCause(text: string): string {
  const match = LAMBDA_CAUSE.exec(text);
  if (!match || match.index === undefined) return text;
  const [, type, message] = match;
  let decoded: string;
  try {
    decoded = JSON.parse(`"${message}"`) as string;
  } catch {
    decoded = message ?? '';
  }
  const before = text.slice(0, match.index).replace(new RegExp(`${type}:\\s*$`), '');
  return `${before}${type}: ${decoded}`;
}

/**
 * Each `<instance>: <status> (<output>)` loses its output. The output ends at the `)` before
 * the next instance's status, else at the last `)` it can reach (outputs are cut to 200).
 */
function withholdOutput(text: string): string {
  let shown = '';
  let from = 0;
  for (const match of text.matchAll(INVOCATION)) {
    const open = (match.index ?? 0) + match[0].length;
    if (open <= from) continue;
    const end = outputEnd(text, open);
    if (end < 0) continue;
    shown += `${text.slice(from, open)}output withheld)`;
    from = end + 1;
  }
  return shown + text.slice(from);
}

function outputEnd(text: string, open: number): number {
  const reach = Math.min(text.length, open + OUTPUT_MAX + 1);
  // Parentheses opened before this output, which text after it still has to close.
  const outer = netOpened(text.slice(0, open - 1));
  let last = -1;
  for (let i = open; i < reach; i += 1) {
    if (text[i] !== ')') continue;
    if (NEXT_INVOCATION.test(text.slice(i))) return i;
    if (-netOpened(text.slice(i + 1)) >= outer) last = i;
  }
  return last;
}

function netOpened(text: string): number {
  let net = 0;
  for (const c of text) net += c === '(' ? 1 : c === ')' ? -1 : 0;
  return net;
}

/**
 * A Lifeboat error as a person is told it in Slack: an AWS call's failure as its code and the
 * sanitized text; any other with ARNs, account ids and script output withheld.
 */
export function describeErrorForSlack(error: Error): string {
  return error instanceof AwsCallError
    ? formatFailure(error.message, error.code)
    : redactForSlack(error.message);
}
