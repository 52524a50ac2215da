import type * as z from 'zod';
import { type PlanProblem, type PlanProblemCode, PlanValidationError } from './errors.ts';
import { type Hook, type HookPhase, type Plan, PlanSchema } from './plan.ts';

export type PathSegment = string | number;
export type PlanCheck = { ok: true; plan: Plan } | { ok: false; problems: PlanProblem[] };

export interface ValidateOptions {
  /** The customer id the plan must carry, from its file name. */
  expectedCustomerId?: string;
}

/** Shape first (zod), then the rules that span fields. Reports every problem, not the first. */
export function validatePlan(raw: unknown, options: ValidateOptions = {}): PlanCheck {
  const parsed = PlanSchema.safeParse(raw);
  if (!parsed.success) {
    return { ok: false, problems: parsed.error.issues.map((issue) => describeIssue(raw, issue)) };
  }
  const problems = checkPlanRules(parsed.data, options).map(({ segments, ...rest }) => ({
    ...rest,
    path: formatPath(segments),
    segments,
    value: rest.value === undefined ? valueAt(raw, segments) : rest.value,
  }));
  return problems.length > 0 ? { ok: false, problems } : { ok: true, plan: parsed.data };
}

/** `validatePlan` for callers that want the plan or an exception. */
export function parsePlan(raw: unknown, source: string, options: ValidateOptions = {}): Plan {
  const result = validatePlan(raw, options);
  if (!result.ok) throw new PlanValidationError(source, result.problems);
  return result.plan;
}

export function formatPath(segments: readonly PathSegment[]): string {
  return segments
    .map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`))
    .join('');
}

export function valueAt(raw: unknown, segments: readonly PathSegment[]): unknown {
  let node = raw;
  for (const segment of segments) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PathSegment, unknown>)[segment];
  }
  return node;
}

function describeIssue(
  raw: unknown,
  issue: z.core.$ZodIssue,
): PlanProblem & { segments: PathSegment[] } {
  const segments = issue.path.filter((s): s is PathSegment => typeof s !== 'symbol');
  const value = valueAt(raw, segments);
  const where = formatPath(segments) || 'the plan';
  const custom =
    issue.code === 'custom' ? (issue.params?.code as PlanProblemCode | undefined) : undefined;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    return {
      code: 'unknown-key',
      segments: [...segments, key],
      path: formatPath([...segments, key]),
      value: key,
      message: `"${issue.keys.join('", "')}" is not a field of ${where}; check the spelling or remove it.`,
    };
  }
  let message = issue.message;
  if (issue.code === 'invalid_type' && value === undefined) {
    message = `This field is missing; add it (expected ${article(issue.expected)}).`;
  } else if (issue.code === 'invalid_type') {
    message = `Expected ${article(issue.expected)}, found ${JSON.stringify(value)}.`;
  } else if (issue.code === 'invalid_value') {
    message = `Must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, not ${JSON.stringify(value)}.`;
  } else if (issue.code === 'invalid_union' && issue.discriminator && 'options' in issue) {
    const found =
      segments.at(-1) === issue.discriminator ? value : valueAt(value, [issue.discriminator]);
    message = `${issue.discriminator} ${JSON.stringify(found)} is not one of ${issue.options?.join(', ')}.`;
  } else if (issue.code === 'too_small' && issue.origin === 'array') {
    message = `Must list at least ${issue.minimum} item${issue.minimum === 1 ? '' : 's'}.`;
  } else if (issue.code === 'invalid_union') {
    message = `Matches none of the forms allowed here (found ${JSON.stringify(value)}); see the plan reference in the README.`;
  }
  return { code: custom ?? 'shape', segments, path: formatPath(segments), value, message };
}

function article(expected: string): string {
  return expected === 'array'
    ? 'a list'
    : expected === 'object'
      ? 'a map of fields'
      : `a ${expected}`;
}

type RuleProblem = Omit<PlanProblem, 'path'> & { segments: PathSegment[] };

/** The rules zod cannot see: references, uniqueness, ordering, network and approval policy. */
export function checkPlanRules(plan: Plan, options: ValidateOptions = {}): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const add = (code: PlanProblemCode, segments: PathSegment[], message: string, value?: unknown) =>
    problems.push({ code, segments, message, value });

  if (options.expectedCustomerId !== undefined && plan.customer.id !== options.expectedCustomerId) {
    add(
      'customer-id-mismatch',
      ['customer', 'id'],
      `The plan says customer "${plan.customer.id}" but its file is named for "${options.expectedCustomerId}"; rename one so they match.`,
    );
  }
  if (plan.regions.primary === plan.regions.recovery) {
    add(
      'same-region',
      ['regions', 'recovery'],
      `The recovery region is the primary region (${plan.regions.primary}); recovery must be the other region of the pair.`,
    );
  }

  const servers = new Map<string, number>();
  plan.servers.forEach((server, i) => {
    if (servers.has(server.name)) {
      add(
        'duplicate-server',
        ['servers', i, 'name'],
        `Server "${server.name}" is defined twice (also servers[${servers.get(server.name)}]); give each server one entry.`,
      );
    } else {
      servers.set(server.name, i);
    }
  });
  checkUnique(plan, add);
  checkNetwork(plan, add);

  const waveOf = new Map<string, number>();
  const waveNames = new Map<string, number>();
  plan.waves.forEach((wave, w) => {
    if (waveNames.has(wave.name)) {
      add(
        'duplicate-wave',
        ['waves', w, 'name'],
        `Wave "${wave.name}" is defined twice; give each wave its own name.`,
      );
    }
    waveNames.set(wave.name, w);
    if (wave.servers.length === 0 && wave.preHooks.length + wave.postHooks.length === 0) {
      add(
        'empty-wave',
        ['waves', w],
        `Wave "${wave.name}" has no servers and no hooks; add servers or remove the wave.`,
        wave.name,
      );
    }
    wave.servers.forEach((name, s) => {
      if (!servers.has(name)) {
        add(
          'unknown-server',
          ['waves', w, 'servers', s],
          `"${name}" is not a server of this plan; add it under servers or remove it from the wave.`,
        );
      } else if (waveOf.has(name)) {
        add(
          'server-in-two-waves',
          ['waves', w, 'servers', s],
          `Server "${name}" is already in wave "${plan.waves[waveOf.get(name) ?? 0]?.name}"; a server belongs to exactly one wave.`,
        );
      } else {
        waveOf.set(name, w);
      }
    });
    wave.healthChecks.forEach((check, c) => {
      if (check.kind !== 'ssm-document') return;
      check.servers?.forEach((name, s) => {
        if (!wave.servers.includes(name)) {
          add(
            'unknown-server',
            ['waves', w, 'healthChecks', c, 'servers', s],
            `Health check of wave "${wave.name}" names "${name}", which is not in that wave; list servers of the wave only.`,
          );
        }
      });
    });
    for (const list of ['preHooks', 'postHooks'] as const) {
      wave[list].forEach((hook, h) => {
        checkHook(plan, hook, ['waves', w, list, h], servers, add);
      });
    }
  });
  plan.servers.forEach((server, i) => {
    if (servers.get(server.name) === i && !waveOf.has(server.name)) {
      add(
        'server-in-no-wave',
        ['servers', i],
        `Server "${server.name}" is in no wave, so it would never be recovered; add it to one wave.`,
        server.name,
      );
    }
  });
  checkDependencies(plan, servers, waveOf, add);

  plan.validation.forEach((hook, h) => {
    checkHook(plan, hook, ['validation', h], servers, add);
  });
  if (plan.webui) {
    checkHook(plan, plan.webui.scaleUp, ['webui', 'scaleUp'], servers, add);
    checkHook(plan, plan.webui.scaleDown, ['webui', 'scaleDown'], servers, add);
  }
  checkHookNames(plan, add);
  checkDns(plan, servers, add);
  checkApprovals(plan, add);

  if (plan.drill.mode === 'isolated' && !plan.drill.isolated) {
    add(
      'isolated-network-missing',
      ['drill', 'isolated'],
      'An isolated drill needs drill.isolated with the subnetId and securityGroupIds of the bubble network.',
    );
  }
  return problems;
}

type Add = (
  code: PlanProblemCode,
  segments: PathSegment[],
  message: string,
  value?: unknown,
) => void;

function checkUnique(plan: Plan, add: Add): void {
  const seen = new Map<string, string>();
  plan.servers.forEach((server, i) => {
    for (const side of ['primary', 'recovery'] as const) {
      for (const [field, code] of [
        ['ip', 'duplicate-ip'],
        ['instanceId', 'duplicate-instance'],
      ] as const) {
        const value = server[side][field];
        const key = `${field}:${value}`;
        const owner = seen.get(key);
        if (owner !== undefined) {
          add(
            code,
            ['servers', i, side, field],
            `${value} is already used by ${owner}; every server needs its own ${field === 'ip' ? 'IP address' : 'instance'} on each side.`,
          );
        } else {
          seen.set(key, `${server.name} (${side})`);
        }
      }
    }
  });
}

function checkNetwork(plan: Plan, add: Add): void {
  plan.servers.forEach((server, i) => {
    const keep = server.keepLastOctet ?? plan.network.keepLastOctet;
    const primaryOctet = server.primary.ip.split('.')[3];
    const recoveryOctet = server.recovery.ip.split('.')[3];
    if (keep && primaryOctet !== recoveryOctet) {
      add(
        'octet-mismatch',
        ['servers', i, 'recovery', 'ip'],
        `Recovery IP ${server.recovery.ip} of "${server.name}" does not keep the last octet of its primary IP ${server.primary.ip}; use x.x.x.${primaryOctet} or set keepLastOctet: false on the server.`,
      );
    }
  });
}

function checkDependencies(
  plan: Plan,
  servers: Map<string, number>,
  waveOf: Map<string, number>,
  add: Add,
): void {
  plan.servers.forEach((server, i) => {
    server.dependsOn.forEach((dep, d) => {
      const at: PathSegment[] = ['servers', i, 'dependsOn', d];
      if (!servers.has(dep)) {
        add(
          'unknown-server',
          at,
          `"${server.name}" depends on "${dep}", which is not a server of this plan; fix the name or remove the dependency.`,
        );
        return;
      }
      const own = waveOf.get(server.name);
      const theirs = waveOf.get(dep);
      if (own !== undefined && theirs !== undefined && theirs > own) {
        add(
          'dependency-on-later-wave',
          at,
          `"${server.name}" (wave "${plan.waves[own]?.name}") depends on "${dep}", which boots later in wave "${plan.waves[theirs]?.name}"; move one of them so dependencies boot first.`,
        );
      }
    });
  });
  const cycle = findCycle(plan);
  if (cycle) {
    const index = servers.get(cycle[0] ?? '') ?? 0;
    add(
      'dependency-cycle',
      ['servers', index, 'dependsOn'],
      `Servers depend on each other in a cycle: ${cycle.join(' -> ')}; remove one of these dependencies.`,
      cycle,
    );
  }
}

/** Depth-first search for a cycle in `dependsOn`; returns it closed (`a -> b -> a`), or undefined. */
export function findCycle(plan: Pick<Plan, 'servers'>): string[] | undefined {
  const deps = new Map(plan.servers.map((s) => [s.name, s.dependsOn]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'visiting') return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, 'visiting');
    stack.push(name);
    for (const dep of deps.get(name) ?? []) {
      if (!deps.has(dep)) continue;
      const found = visit(dep);
      if (found) return found;
    }
    stack.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const server of plan.servers) {
    const found = visit(server.name);
    if (found) return found;
  }
  return undefined;
}

/** The side a phase's hooks run on: moving to recovery (or a bubble) works there; failback works on primary. */
export function sideOfPhase(phase: HookPhase): 'primary' | 'recovery' {
  return phase === 'failback' ? 'primary' : 'recovery';
}

function checkHook(
  plan: Plan,
  hook: Hook,
  at: PathSegment[],
  servers: Map<string, number>,
  add: Add,
): void {
  if (hook.kind !== 'ssm-document') return;
  if (!hook.servers && !hook.instances) {
    add(
      'missing-hook-target',
      at,
      `SSM hook "${hook.name}" has no target; give it servers (of this plan) or instances (per side).`,
      hook.name,
    );
    return;
  }
  if (hook.servers && hook.instances) {
    add(
      'missing-hook-target',
      at,
      `SSM hook "${hook.name}" has both servers and instances; keep one of them.`,
      hook.name,
    );
  }
  hook.servers?.forEach((name, s) => {
    if (!servers.has(name)) {
      add(
        'unknown-server',
        [...at, 'servers', s],
        `Hook "${hook.name}" targets "${name}", which is not a server of this plan; fix the name or target instances instead.`,
      );
    }
  });
  if (hook.instances) {
    for (const phase of hook.phases) {
      const side = sideOfPhase(phase);
      if (!hook.instances[side]) {
        add(
          'missing-hook-target',
          [...at, 'instances'],
          `Hook "${hook.name}" runs in the ${phase} phase, on the ${side} side, but lists no ${side} instances; add instances.${side}.`,
          hook.instances,
        );
      }
    }
  }
  if (plan.drill.mode === 'in-place' && hook.phases.includes('bubble') && !plan.drill.isolated) {
    add(
      'isolated-network-missing',
      [...at, 'phases'],
      `Hook "${hook.name}" runs in bubble drills, but the plan has no drill.isolated network; add one or drop the bubble phase.`,
      hook.phases,
    );
  }
}

function checkHookNames(plan: Plan, add: Add): void {
  const seen = new Set<string>();
  const visit = (hook: Hook, at: PathSegment[]) => {
    if (seen.has(hook.name)) {
      add(
        'duplicate-hook',
        [...at, 'name'],
        `Hook name "${hook.name}" is used twice; hook names name the runbook's steps, so make each unique.`,
      );
    }
    seen.add(hook.name);
  };
  plan.waves.forEach((wave, w) => {
    wave.preHooks.forEach((h, i) => {
      visit(h, ['waves', w, 'preHooks', i]);
    });
    wave.postHooks.forEach((h, i) => {
      visit(h, ['waves', w, 'postHooks', i]);
    });
  });
  plan.validation.forEach((h, i) => {
    visit(h, ['validation', i]);
  });
  if (plan.webui) {
    visit(plan.webui.scaleUp, ['webui', 'scaleUp']);
    visit(plan.webui.scaleDown, ['webui', 'scaleDown']);
  }
}

function checkDns(plan: Plan, servers: Map<string, number>, add: Add): void {
  const names = new Map<string, number>();
  plan.dns?.records.forEach((record, r) => {
    const at: PathSegment[] = ['dns', 'records', r];
    if (names.has(record.name)) {
      add(
        'duplicate-dns-name',
        [...at, 'name'],
        `DNS name "${record.name}" is listed twice (also dns.records[${names.get(record.name)}]); one record per name.`,
      );
    }
    names.set(record.name, r);
    if (record.server !== undefined) {
      if (!servers.has(record.server)) {
        add(
          'unknown-server',
          [...at, 'server'],
          `DNS record "${record.name}" takes its IPs from "${record.server}", which is not a server of this plan.`,
        );
      }
      if (record.primary !== undefined || record.recovery !== undefined || record.type !== 'A') {
        add(
          'dns-values',
          at,
          `DNS record "${record.name}" names a server, so it is an A record with the server's IPs; remove primary/recovery values or the server.`,
          record.name,
        );
      }
    } else if (record.primary === undefined || record.recovery === undefined) {
      add(
        'dns-values',
        at,
        `DNS record "${record.name}" needs either server, or both primary and recovery values.`,
        record.name,
      );
    }
  });
}

function checkApprovals(plan: Plan, add: Add): void {
  const { approvals, approvers, requesters } = plan.access;
  const onlyUsers = approvers.every((p) => !p.startsWith('S'));
  for (const [operation, required] of Object.entries(approvals)) {
    const at: PathSegment[] = ['access', 'approvals', operation];
    if (required < 1) {
      add(
        'weak-approval',
        at,
        `${operation} needs ${required} approvals; the two-person rule needs at least 1 approver who is not the requester.`,
      );
    } else if (onlyUsers && new Set(approvers).size < required) {
      add(
        'weak-approval',
        at,
        `${operation} needs ${required} approvals but only ${new Set(approvers).size} approvers are listed; list more approvers or lower the count.`,
      );
    }
  }
  const [onlyApprover] = approvers;
  if (
    approvers.length === 1 &&
    onlyApprover &&
    !onlyApprover.startsWith('S') &&
    requesters.length === 1 &&
    requesters[0] === onlyApprover
  ) {
    add(
      'weak-approval',
      ['access', 'approvers'],
      `${onlyApprover} is the only requester and the only approver, so nobody else could approve; add a second person.`,
      approvers,
    );
  }
}
