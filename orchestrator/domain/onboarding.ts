import type { Plan } from './plan.ts';
import { PLAN_TAG_KEY } from './workload-access.ts';

/**
 * Onboarding, checked on what was read from the customer's account (`lifeboat plan validate
 * --live`): the workload role acts only on resources tagged `lifeboat:plan=<plan id>`, so every
 * source server, source instance, pre-created instance and hook target of the plan must exist
 * where the plan says and carry that tag, before the first drill finds out halfway through.
 */

/** How a resource's plan tag differs from the plan's: `untagged`, or the tag it has; undefined when it is the plan's. */
export function planTagMismatch(
  planId: string,
  tags: Readonly<Record<string, string>> | undefined,
): string | undefined {
  const value = tags?.[PLAN_TAG_KEY];
  if (value === planId) return undefined;
  return value ? `${PLAN_TAG_KEY}=${value}` : 'untagged';
}

/** A DRS source server as read. */
export interface SourceServerSeen {
  sourceServerId: string;
  arn?: string;
  tags?: Readonly<Record<string, string>>;
  /** The EC2 instance it replicates. */
  originInstanceId?: string;
}

/** An EC2 instance as read. */
export interface InstanceSeen {
  instanceId: string;
  state: string;
  tags: Readonly<Record<string, string>>;
}

/** What the live check read from the account, by plan side (the plan's primary and recovery regions). */
export interface OnboardingReading {
  /** Each plan server's source server, by server name, as DRS lists it in the recovery region. */
  sourceServers: ReadonlyMap<string, SourceServerSeen>;
  /** The same, found in the primary region instead (DRS replicating the wrong way round). */
  sourceServersInPrimary: ReadonlyMap<string, SourceServerSeen>;
  /** The plan's instance ids found in each region. */
  instances: Readonly<Record<'primary' | 'recovery', ReadonlyMap<string, InstanceSeen>>>;
  /** Instances whose SSM agent is Online in the primary region. */
  agentsOnline: ReadonlySet<string>;
}

export const ONBOARDING_PROBLEM_CODES = [
  'source-server-missing',
  'source-server-region',
  'source-server-origin',
  'instance-missing',
  'instance-region',
  'plan-tag',
  'ssm-agent',
] as const;

export interface OnboardingProblem {
  code: (typeof ONBOARDING_PROBLEM_CODES)[number];
  /** Where in the plan: `servers[3].recovery.instanceId`, `waves[1].postHooks[0].instances.primary[0]`. */
  path: string;
  /** The resource: an instance id or a source server's ARN (its id when DRS gave none). */
  resource: string;
  region: string;
  /** What is wrong. */
  message: string;
  /** What to do: a command to run, or the plan's field to correct. */
  fix: string;
}

export interface OnboardingResult {
  problems: OnboardingProblem[];
  checked: { sourceServers: number; instances: number; agents: number };
}

/** An instance the plan names, on the side (region) it names it. */
export interface PlannedInstance {
  instanceId: string;
  side: 'primary' | 'recovery';
  path: string;
  /** The plan server it belongs to, when it is one. */
  server?: string;
}

/** Checks everything the workload role's tag conditions need, and where the plan says it is. */
export function checkOnboarding(plan: Plan, reading: OnboardingReading): OnboardingResult {
  const planId = plan.customer.id;
  const region = plan.regions;
  const problems: OnboardingProblem[] = [];
  const tagFix = (side: 'primary' | 'recovery', id: string) =>
    `aws ec2 create-tags --region ${region[side]} --resources ${id} --tags Key=${PLAN_TAG_KEY},Value=${planId}`;

  plan.servers.forEach((server, i) => {
    const path = `servers[${i}]`;
    const selector =
      'sourceServerId' in server.drs
        ? server.drs.sourceServerId
        : Object.entries(server.drs.tags)
            .map(([k, v]) => `${k}=${v}`)
            .join(', ');
    const source = reading.sourceServers.get(server.name);
    if (!source) {
      const elsewhere = reading.sourceServersInPrimary.get(server.name);
      problems.push(
        elsewhere
          ? {
              code: 'source-server-region',
              path: `${path}.drs`,
              resource: elsewhere.arn ?? elsewhere.sourceServerId,
              region: region.primary,
              message: `${server.name}: DRS source server ${elsewhere.sourceServerId} replicates into ${region.primary}, the plan's primary region, not into its recovery region ${region.recovery}`,
              fix: `set up DRS replication of ${server.primary.instanceId} into ${region.recovery}, or correct regions in the plan`,
            }
          : {
              code: 'source-server-missing',
              path: `${path}.drs`,
              resource: selector,
              region: region.recovery,
              message: `${server.name}: no DRS source server matches ${selector} in ${region.recovery}`,
              fix: `install the DRS agent on ${server.primary.instanceId} (replicating into ${region.recovery}), or correct ${path}.drs`,
            },
      );
      return;
    }
    const resource = source.arn ?? source.sourceServerId;
    const mismatch = planTagMismatch(planId, source.tags);
    if (mismatch)
      problems.push({
        code: 'plan-tag',
        path: `${path}.drs`,
        resource,
        region: region.recovery,
        message: `${server.name}: DRS source server ${source.sourceServerId} in ${region.recovery} is ${describeMismatch(mismatch, planId, 'recover it')}`,
        fix: `aws drs tag-resource --region ${region.recovery} --resource-arn ${resource} --tags ${PLAN_TAG_KEY}=${planId}`,
      });
    if (source.originInstanceId && source.originInstanceId !== server.primary.instanceId)
      problems.push({
        code: 'source-server-origin',
        path: `${path}.primary.instanceId`,
        resource,
        region: region.recovery,
        message: `${server.name}: DRS source server ${source.sourceServerId} replicates ${source.originInstanceId}, not ${server.primary.instanceId} as the plan says`,
        fix: `correct ${path}.primary.instanceId or ${path}.drs`,
      });
  });

  const expected = plannedInstances(plan);
  for (const { instanceId, side, path, server } of expected) {
    const who = server ? `${server}: ` : '';
    const found = reading.instances[side].get(instanceId);
    const other = side === 'primary' ? 'recovery' : 'primary';
    if (!found) {
      const elsewhere = reading.instances[other].get(instanceId);
      problems.push(
        elsewhere
          ? {
              code: 'instance-region',
              path,
              resource: instanceId,
              region: region[other],
              message: `${who}${instanceId} is in ${region[other]}, not in ${region[side]} where ${path} says`,
              fix: `correct ${path} (are the primary and recovery ids swapped?)`,
            }
          : {
              code: 'instance-missing',
              path,
              resource: instanceId,
              region: region[side],
              message: `${who}${instanceId} does not exist in ${region[side]}`,
              fix:
                side === 'recovery' && path.endsWith('.recovery.instanceId')
                  ? `pre-create the recovery instance in ${region.recovery} (tagged ${PLAN_TAG_KEY}=${planId}, AWSDRS=AllowLaunchingIntoThisInstance) and put its id in ${path}`
                  : `correct ${path}`,
            },
      );
      continue;
    }
    const mismatch = planTagMismatch(planId, found.tags);
    if (mismatch)
      problems.push({
        code: 'plan-tag',
        path,
        resource: instanceId,
        region: region[side],
        message: `${who}${instanceId} in ${region[side]} is ${describeMismatch(mismatch, planId, 'act on it')}`,
        fix: tagFix(side, instanceId),
      });
  }

  // Hooks and health checks run through SSM on the source servers: an agent offline now will not
  // answer after recovery either (the recovered disk is the source's).
  const running = plan.servers.filter(
    (s) => reading.instances.primary.get(s.primary.instanceId)?.state === 'running',
  );
  for (const server of running) {
    const id = server.primary.instanceId;
    if (reading.agentsOnline.has(id)) continue;
    const i = plan.servers.indexOf(server);
    problems.push({
      code: 'ssm-agent',
      path: `servers[${i}].primary.instanceId`,
      resource: id,
      region: region.primary,
      message: `${server.name}: the SSM agent of ${id} is not Online in ${region.primary}, so hooks and health checks cannot run on it`,
      fix: `start the SSM agent on ${id} and give it an instance profile with AmazonSSMManagedInstanceCore`,
    });
  }

  return {
    problems,
    checked: {
      sourceServers: plan.servers.length,
      instances: expected.length,
      agents: running.length,
    },
  };
}

/** The instances the plan names, each once: servers' both sides, then SSM hooks' own instances. */
export function plannedInstances(plan: Plan): PlannedInstance[] {
  const expected: PlannedInstance[] = [];
  const seen = new Set<string>();
  const add = (entry: PlannedInstance) => {
    if (seen.has(entry.instanceId)) return;
    seen.add(entry.instanceId);
    expected.push(entry);
  };
  plan.servers.forEach((server, i) => {
    for (const side of ['primary', 'recovery'] as const)
      add({
        instanceId: server[side].instanceId,
        side,
        path: `servers[${i}].${side}.instanceId`,
        server: server.name,
      });
  });
  const hooks = [
    ...plan.waves.flatMap((wave, w) => [
      ...wave.preHooks.map((hook, h) => ({ hook, path: `waves[${w}].preHooks[${h}]` })),
      ...wave.postHooks.map((hook, h) => ({ hook, path: `waves[${w}].postHooks[${h}]` })),
    ]),
    ...plan.validation.map((hook, h) => ({ hook, path: `validation[${h}]` })),
  ];
  for (const { hook, path } of hooks) {
    if (hook.kind !== 'ssm-document' || !hook.instances) continue;
    for (const side of ['primary', 'recovery'] as const)
      (hook.instances[side] ?? []).forEach((instanceId, i) => {
        add({ instanceId, side, path: `${path}.instances.${side}[${i}]` });
      });
  }
  return expected;
}

function describeMismatch(mismatch: string, planId: string, act: string): string {
  return mismatch === 'untagged'
    ? `not tagged ${PLAN_TAG_KEY}, so Lifeboat may not ${act}`
    : `tagged ${mismatch}, another plan's, not ${planId}'s`;
}
