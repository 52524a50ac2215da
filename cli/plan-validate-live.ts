import { type RoleSession, servicesForAccount } from '../orchestrator/adapters/aws-services.ts';
import { FilePlanSource } from '../orchestrator/adapters/config-files.ts';
import {
  AwsCallError,
  LifeboatError,
  RegionUnreachableError,
  ThrottledError,
} from '../orchestrator/domain/errors.ts';
import {
  checkOnboarding,
  type OnboardingProblem,
  type OnboardingReading,
  type OnboardingResult,
  plannedInstances,
} from '../orchestrator/domain/onboarding.ts';
import type { Plan } from '../orchestrator/domain/plan.ts';
import { PLAN_TAG_KEY, workloadRoleName } from '../orchestrator/domain/workload-access.ts';
import type { ServicesFor } from '../orchestrator/ports/aws.ts';
import { UsageError } from './errors.ts';
import { CUSTOMERS_DIR, type Io } from './io.ts';

/** The session the customer's CloudTrail shows for this check. */
const ONBOARDING_SESSION: RoleSession = { name: 'lifeboat-onboarding-check' };

export interface LiveOptions {
  json?: boolean;
  /** Where plans come from. @default config/customers */
  plans?: string;
}

/**
 * `lifeboat plan validate <customer> --live`: reads the customer's account through its read-only
 * role (as readiness does) and reports what onboarding left undone, one line each with the fix.
 * Exit 0 when everything holds, 1 when a problem is found or the account could not be read.
 */
export async function validateLive(
  args: readonly string[],
  options: LiveOptions,
  io: Io,
): Promise<number> {
  const [customerId, ...extra] = args;
  if (!customerId || extra.length > 0)
    throw new UsageError(
      'plan validate --live takes one customer id, like: lifeboat plan validate bcbsaz --live',
    );
  let plan: Plan | undefined;
  try {
    ({ plan } = await new FilePlanSource(options.plans ?? CUSTOMERS_DIR).loadPlan(customerId));
    const role = workloadRoleName(plan.account.roleName, 'read');
    const services = servicesForAccount({
      account: plan.account.id,
      roleName: role,
      externalId: plan.account.externalId,
      session: ONBOARDING_SESSION,
    });
    const result = checkOnboarding(plan, await readAccount(plan, services));
    if (options.json)
      io.out(
        JSON.stringify({ ...describeTarget(plan), ok: result.problems.length === 0, ...result }),
      );
    else for (const line of renderResult(plan, result)) io.out(line);
    return result.problems.length === 0 ? 0 : 1;
  } catch (error) {
    const message = explain(error, plan);
    io.err(message);
    if (options.json)
      io.out(
        JSON.stringify({
          customerId,
          ...(plan ? describeTarget(plan) : {}),
          ok: false,
          error: { code: readCode(error), message },
        }),
      );
    return 1;
  }
}

/** Everything the check decides on, read in both regions at once. */
async function readAccount(plan: Plan, servicesFor: ServicesFor): Promise<OnboardingReading> {
  const { primary, recovery } = plan.regions;
  const selectors = plan.servers.map((s) => ({ name: s.name, drs: s.drs }));
  const ids = [...new Set(plannedInstances(plan).map((i) => i.instanceId))];
  const sources = plan.servers.map((s) => s.primary.instanceId);
  const [sourceServers, inPrimary, inRecovery, agentsOnline] = await Promise.all([
    servicesFor(recovery).drs.findSourceServers(selectors),
    servicesFor(primary).ec2.findInstances(ids),
    servicesFor(recovery).ec2.findInstances(ids),
    servicesFor(primary).ssm.onlineInstances(sources),
  ]);
  const unmatched = selectors.filter((s) => !sourceServers.has(s.name));
  const sourceServersInPrimary =
    unmatched.length > 0 ? await servicesFor(primary).drs.findSourceServers(unmatched) : new Map();
  const byId = (views: { instanceId: string; state: string; tags: Record<string, string> }[]) =>
    new Map(views.map((v) => [v.instanceId, v]));
  return {
    sourceServers,
    sourceServersInPrimary,
    instances: { primary: byId(inPrimary), recovery: byId(inRecovery) },
    agentsOnline,
  };
}

function describeTarget(plan: Plan) {
  return {
    customerId: plan.customer.id,
    account: plan.account.id,
    role: workloadRoleName(plan.account.roleName, 'read'),
    regions: plan.regions,
  };
}

function renderResult(plan: Plan, result: OnboardingResult): string[] {
  const { primary, recovery } = plan.regions;
  const { sourceServers, instances, agents } = result.checked;
  const id = plan.customer.id;
  const lines = [
    `Live check of ${id} in account ${plan.account.id} through ${workloadRoleName(plan.account.roleName, 'read')}, ${primary} -> ${recovery}`,
    ...result.problems.map(renderProblem),
  ];
  const checked = `${sourceServers} source servers, ${instances} instances, ${agents} SSM agents`;
  const count = result.problems.length;
  lines.push(
    count === 0
      ? `ok   ${id}: ${checked}; all tagged ${PLAN_TAG_KEY}=${id} where the plan says, agents online`
      : `FAIL ${id}: ${count} problem${count === 1 ? '' : 's'} (checked ${checked})`,
  );
  return lines;
}

function renderProblem(problem: OnboardingProblem): string {
  return `  ${problem.path}: ${problem.message}. Fix: ${problem.fix} [${problem.code}]`;
}

/** One clear sentence for what stopped the check; never a stack trace. */
function explain(error: unknown, plan: Plan | undefined): string {
  const role = plan ? workloadRoleName(plan.account.roleName, 'read') : 'the read-only role';
  const account = plan ? plan.account.id : 'the account';
  const redeploy = `the customer's account must deploy the role template (WorkloadAccount/LifeboatWorkloadRole) with the plan's external id, and your AWS credentials must be allowed to assume ${role}`;
  if (error instanceof ThrottledError)
    return `AWS throttled ${error.service} ${error.operation} (${error.code}), so the check did not finish; run it again in a minute.`;
  if (error instanceof RegionUnreachableError)
    return `${error.region} did not answer ${error.service} ${error.operation} (${error.code}); check your network and the region's health, then run it again.`;
  if (error instanceof AwsCallError) {
    if (/sts:AssumeRole/.test(error.detail))
      return `Could not assume ${role} in ${account} (${error.code}): ${error.detail}. Either the role does not exist or does not trust you: ${redeploy}.`;
    if (/Credential/i.test(error.code))
      return `No AWS credentials to assume ${role} with (${error.code}): set AWS_PROFILE or AWS_ACCESS_KEY_ID for the tooling account, then run it again.`;
    if (/AccessDenied|UnauthorizedOperation/.test(error.code))
      return `${role} in ${account} may not call ${error.service} ${error.operation} (${error.code}): ${error.detail}. Redeploy the customer's role template (WorkloadAccount/LifeboatWorkloadRole) with this plan's regions.`;
    return error.message;
  }
  if (error instanceof LifeboatError) return error.message;
  return `The live check stopped: ${(error as Error).message ?? String(error)}`;
}

function readCode(error: unknown): string {
  if (error instanceof AwsCallError) return error.code;
  return (error as Error).name ?? 'Error';
}
