import type { ServerRef, StepOf } from '../domain/runbook.ts';
import type { JobEvent } from '../ports/aws.ts';
import type { StepContext } from './context.ts';

type Step = StepOf<'recover-wave'>;

/** EC2's error code when it has no capacity of an instance type; DRS passes it on in its job log. */
export const NO_CAPACITY = 'InsufficientInstanceCapacity';

/** What of the wave's state capacity handling keeps, by server. */
export interface CapacityState {
  /** The types it found no capacity of, in order. */
  noCapacity?: Record<string, string[]>;
  /** Jobs whose failed launch of it was answered with a relaunch: their result is spent. */
  relaunchedFrom?: Record<string, string[]>;
}

/** Whether a server's result in a job is spent: it failed there and was launched again since. */
export function relaunchedFrom(state: CapacityState, server: string, jobId: string): boolean {
  return state.relaunchedFrom?.[server]?.includes(jobId) ?? false;
}

/** The failed servers with the cause of each (`a: EC2 has no ... ; b: LAUNCH_FAILED: ...`). */
export function describeFailedServers(names: string[], reasons: Record<string, string>): string {
  const cause = (n: string, reason = '') =>
    reason.startsWith(n) ? reason : reason ? `${n}: ${reason}` : n;
  return names.map((n) => cause(n, reasons[n])).join('; ');
}

/** What the wave does about a failed launch: launch the server again, or fail it with this reason. */
export type LaunchFailureOutcome = { relaunch: true } | { relaunch: false; reason: string };

/** A server's failure as DRS reported it: the job log's failure event for it and its message. */
export function failureEventOf(events: JobEvent[], sourceServerId: string): JobEvent | undefined {
  return events.filter((e) => e.sourceServerId === sourceServerId && /FAIL/.test(e.event)).at(-1);
}

/** The failure in DRS's words: `LAUNCH_FAILED: <EC2's error>`. */
export function describeFailure(event: JobEvent | undefined): string {
  if (!event) return 'DRS reported the launch as failed and logged no reason';
  return event.detail ? `${event.event}: ${event.detail}` : event.event;
}

/**
 * A launch that failed for want of EC2 capacity moves the server's pre-created recovery instance
 * (stopped, as it stays after a failed launch) to the plan's next alternative type, to be launched
 * again; journaled as `instance-type-changed`. Any other failure, a server without alternatives
 * left, or one launched into a new instance (no instance to change) fails with DRS's reason,
 * capacity named as the cause when it was.
 */
export async function meetLaunchFailure(
  ctx: StepContext,
  step: Step,
  state: CapacityState,
  server: Pick<ServerRef, 'name' | 'launchInto' | 'alternativeInstanceTypes'>,
  jobId: string,
  event: JobEvent | undefined,
): Promise<LaunchFailureOutcome> {
  const reason = describeFailure(event);
  if (!event?.detail?.includes(NO_CAPACITY)) return { relaunch: false, reason };
  const { ec2 } = ctx.services(step.region);
  const instanceId = server.launchInto;
  const current = instanceId ? (await ec2.findInstances([instanceId]))[0]?.instanceType : undefined;
  const failedType = /sufficient (\S+) capacity/.exec(event.detail)?.[1] ?? current;
  const tried = state.noCapacity?.[server.name] ?? [];
  if (failedType && tried.at(-1) !== failedType) tried.push(failedType);
  state.noCapacity = { ...state.noCapacity, [server.name]: tried };
  const alternatives = server.alternativeInstanceTypes ?? [];
  const next = alternatives
    .slice(failedType ? alternatives.indexOf(failedType) + 1 : 0)
    .find((t) => !tried.includes(t));
  if (!instanceId || !next || !failedType) {
    const types = tried.length > 0 ? `${tried.join(' or ')} capacity` : 'capacity of its type';
    return {
      relaunch: false,
      reason: `EC2 has no ${types} in ${step.region} (${NO_CAPACITY}); DRS: ${reason}`,
    };
  }
  // A throttled poll may come back here after the change went through: change only once.
  if (current !== next) await ec2.setInstanceType(instanceId, next);
  await ctx.journal(
    'instance-type-changed',
    `${server.name}: EC2 has no ${failedType} capacity in ${step.region}; its recovery instance ${instanceId} is now ${next}, launching again`,
    {
      server: server.name,
      wave: step.wave,
      direction: step.launchInto === 'original' ? 'to-primary' : 'to-recovery',
      instanceId,
      from: failedType,
      to: next,
      reason,
    },
  );
  const spent = [...(state.relaunchedFrom?.[server.name] ?? []), jobId];
  state.relaunchedFrom = { ...state.relaunchedFrom, [server.name]: spent };
  return { relaunch: true };
}
