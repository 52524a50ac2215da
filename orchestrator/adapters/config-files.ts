import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { type Document, isMap, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { type PlanProblem, PlanValidationError, UnknownCustomerError } from '../domain/errors.ts';
import type { Plan } from '../domain/plan.ts';
import { formatPath, type PathSegment, validatePlan } from '../domain/plan-rules.ts';
import { type RunbookSettings, RunbookSettingsSchema } from '../domain/settings.ts';
import type { LoadedPlan, PlanSource } from '../ports/plan-source.ts';
import type { PlanConfig } from './bundled-plans.ts';

export type PlanFileResult =
  | { ok: true; file: string; plan: Plan; revision: string }
  | { ok: false; file: string; problems: PlanProblem[] };

/** Parses one plan file's text: YAML errors and plan problems both come back with their line. */
export function parsePlanText(text: string, file: string): PlanFileResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  const [error] = doc.errors;
  if (error) {
    // Later YAML errors are mostly echoes of the first one: report that one, where it is.
    const reason = error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '');
    return {
      ok: false,
      file,
      problems: [
        {
          code: 'yaml-syntax',
          path: '',
          line: error.linePos?.[0].line,
          value: text.split('\n')[(error.linePos?.[0].line ?? 1) - 1]?.trim(),
          message: `Not valid YAML: ${reason}; fix the syntax here (${error.code}).`,
        },
      ],
    };
  }
  const expectedCustomerId = basename(file).replace(/\.ya?ml$/, '');
  const result = validatePlan(doc.toJS(), { expectedCustomerId });
  if (!result.ok) {
    return {
      ok: false,
      file,
      problems: result.problems.map((problem) => ({
        ...problem,
        line: lineOf(doc, lineCounter, problem.segments ?? []),
      })),
    };
  }
  return { ok: true, file, plan: result.plan, revision: digest(text) };
}

export async function readPlanFile(file: string): Promise<PlanFileResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : String(error);
    return {
      ok: false,
      file,
      problems: [
        { code: 'unreadable-file', path: '', message: `The file ${reason}; check the path.` },
      ],
    };
  }
  return parsePlanText(text, file);
}

/** The first line of the deepest node the path reaches; a missing field points at its parent. */
function lineOf(
  doc: Document,
  lineCounter: LineCounter,
  segments: readonly PathSegment[],
): number | undefined {
  let node: unknown = doc.contents;
  let offset = (node as Node | null)?.range?.[0];
  for (const segment of segments) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === segment);
      if (!pair) break;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value;
      offset = segment === segments.at(-1) ? offset : ((node as Node | null)?.range?.[0] ?? offset);
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
      offset = (node as Node | null)?.range?.[0] ?? offset;
    } else {
      break;
    }
  }
  return offset === undefined ? undefined : lineCounter.linePos(offset).line;
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/** Plans as YAML files, one per customer: `<dir>/<customer-id>.yaml`. */
export class FilePlanSource implements PlanSource {
  /** Parsed plans by file, kept while the file's text is unchanged (Lambdas load a plan per task). */
  private readonly parsed = new Map<string, { text: string; loaded: LoadedPlan }>();

  constructor(private readonly dir: string) {}

  async listCustomers(): Promise<string[]> {
    const files = await readdir(this.dir).catch(() => [] as string[]);
    return files
      .filter((f) => /\.ya?ml$/.test(f))
      .map((f) => f.replace(/\.ya?ml$/, ''))
      .sort();
  }

  /** Reads the one file (every task Lambda loads a plan); the folder is listed only to name the known ones. */
  async loadPlan(customerId: string): Promise<LoadedPlan> {
    const file = join(this.dir, `${customerId}.yaml`);
    const text = /^[a-z0-9][a-z0-9-]*$/.test(customerId)
      ? await readFile(file, 'utf8').catch(() => undefined)
      : undefined;
    if (text === undefined) throw new UnknownCustomerError(customerId, await this.listCustomers());
    const cached = this.parsed.get(file);
    if (cached?.text === text) return cached.loaded;
    const result = parsePlanText(text, file);
    if (!result.ok) throw new PlanValidationError(file, result.problems);
    const loaded = { plan: result.plan, source: file, revision: result.revision };
    this.parsed.set(file, { text, loaded });
    return loaded;
  }

  /** Every customer's plan in the folder (the local tools seed the simulators with all of them). */
  async loadAll(): Promise<Plan[]> {
    const ids = await this.listCustomers();
    return Promise.all(ids.map(async (id) => (await this.loadPlan(id)).plan));
  }
}

/** Runbook defaults from `config/defaults.yaml`; a missing file means the built-in defaults. */
export async function readSettingsFile(file: string): Promise<RunbookSettings> {
  return parseSettingsText(await readFile(file, 'utf8').catch(() => ''), file);
}

/** The runbook defaults' text (empty: the built-in defaults); `file` names it in problems. */
export function parseSettingsText(text: string, file: string): RunbookSettings {
  const parsed = RunbookSettingsSchema.safeParse(parseDocument(text).toJS() ?? {});
  if (!parsed.success) {
    throw new PlanValidationError(
      file,
      parsed.error.issues.map((issue) => ({
        code: 'shape',
        path: formatPath(issue.path.filter((s): s is PathSegment => typeof s !== 'symbol')),
        message: issue.message,
      })),
    );
  }
  return parsed.data;
}

/** The plans and runbook defaults as YAML files (`PLANS_DIR`, `SETTINGS_FILE`), each read once. */
export function filePlanConfig(env: { PLANS_DIR: string; SETTINGS_FILE: string }): PlanConfig {
  let settingsRead: Promise<RunbookSettings> | undefined;
  return {
    plans: new FilePlanSource(env.PLANS_DIR),
    settings: () => (settingsRead ??= readSettingsFile(env.SETTINGS_FILE)),
  };
}
