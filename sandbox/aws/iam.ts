import type { Simulation } from '@cloud-copilot/iam-simulate';
import { functionRoleName } from '../../infra/config/function-roles.ts';
import type { Plan } from '../../orchestrator/domain/plan.ts';
import { TOOLING_ACCOUNT } from './accounts.ts';
import { AwsError } from './errors.ts';
import type { Estate } from './estate.ts';
import { type IamRequest, iamRequestsOf, MISSING, type ResourceTags } from './iam-requests.ts';
import {
  type DeployedRole,
  deployedRoles,
  type PolicyDocument,
  synthesizedWorkloadTemplate,
} from './iam-template.ts';
import type { SimRequest } from './protocol.ts';
import type { CloudFormationService } from './services/cloudformation.ts';
import type { DrsService } from './services/drs.ts';
import type { RoleSession } from './services/sts.ts';

/** How each service answers a call IAM refused: code and HTTP status, as AWS does. */
const ACCESS_DENIED: Readonly<Record<string, { code: string; status: number }>> = {
  ec2: { code: 'UnauthorizedOperation', status: 403 },
  drs: { code: 'AccessDeniedException', status: 403 },
  ssm: { code: 'AccessDeniedException', status: 400 },
  lambda: { code: 'AccessDeniedException', status: 403 },
  route53: { code: 'AccessDenied', status: 403 },
  cloudformation: { code: 'AccessDenied', status: 403 },
  s3: { code: 'AccessDenied', status: 403 },
  sts: { code: 'AccessDenied', status: 403 },
};

export interface WorkloadIamDeps {
  /** Every plan of the estate: each account's roles are deployed with its plans' parameters. */
  plans: readonly Plan[];
  /** The parameters of an account's template, from its plans (`workloadRoleParameters`). */
  parametersOf: (plans: readonly Plan[]) => Promise<Record<string, string>>;
  tags: ResourceTags;
}

/** What the evaluator did, for tests and the bench to read the cost of it. */
export interface IamStats {
  /** Authorizations asked (one per resource of a call). */
  asked: number;
  /** Of those, answered by the evaluator rather than the decision cache. */
  evaluated: number;
  denied: number;
  /** Milliseconds spent in the evaluator (and the first synth). */
  ms: number;
}

/**
 * IAM for the workload accounts: every call made with credentials STS issued for a workload
 * role is evaluated, before the service sees it, against that role's policies as the
 * synthesized template deploys them in that account (with the parameters its plans give), by
 * `@cloud-copilot/iam-simulate`. A refused call gets the service's own AccessDenied. Calls with
 * the tooling account's credentials are not evaluated.
 */
export class WorkloadIam {
  readonly stats: IamStats = { asked: 0, evaluated: 0, denied: 0, ms: 0 };
  /** Each account's deployed roles, by role name, built on first use. */
  private readonly roles = new Map<string, Promise<Map<string, DeployedPolicies>>>();
  /** Decisions by role, action, resource and context: polls ask the same question again and again. */
  private readonly decisions = new Map<string, boolean>();
  /** The evaluator, loaded with the first workload account's roles (a local AWS nobody assumes a role in never loads it). */
  private simulator?: typeof import('@cloud-copilot/iam-simulate');

  constructor(private readonly deps: WorkloadIamDeps) {}

  /** Throws the service's AccessDenied when the session's role does not allow every authorization the call needs. */
  async authorize(req: SimRequest, operation: string, session: RoleSession): Promise<void> {
    const started = performance.now();
    try {
      const asked = iamRequestsOf(req, operation, this.deps.tags);
      if (asked === MISSING) return;
      const policies = (await this.rolesOf(session.account)).get(session.roleName)?.policies;
      for (const request of asked) {
        this.stats.asked += 1;
        if (policies && this.allows(session, policies, request, req.region)) continue;
        this.stats.denied += 1;
        throw denied(req.service, session, request);
      }
    } finally {
      this.stats.ms += performance.now() - started;
    }
  }

  private allows(
    session: RoleSession,
    policies: PolicyDocument[],
    request: IamRequest,
    region: string,
  ): boolean {
    const context = {
      // Route 53's control plane is in us-east-1 whatever region the client signs for.
      'aws:RequestedRegion': request.action.startsWith('route53:') ? 'us-east-1' : region,
      'aws:PrincipalArn': `arn:aws:iam::${session.account}:role/${session.roleName}`,
      'aws:PrincipalAccount': session.account,
      ...Object.fromEntries(
        Object.entries(session.tags).map(([key, value]) => [`aws:PrincipalTag/${key}`, value]),
      ),
      ...request.context,
    };
    const key = JSON.stringify([
      session.account,
      session.roleName,
      request.action,
      request.resource,
      context,
    ]);
    const known = this.decisions.get(key);
    if (known !== undefined) return known;
    this.stats.evaluated += 1;
    // Unsafe: without the library's validation, which ran once per policy (`validate`).
    const run = this.simulator?.runUnsafeSimulation;
    const decision =
      run !== undefined &&
      run(simulation(session, policies, { ...request, context }), {}) === 'Allowed';
    this.decisions.set(key, decision);
    return decision;
  }

  /**
   * Throws STS's AccessDenied unless the role's trust policy, as synthesized, lets the caller tag
   * the session with `tags` (`sts:TagSession`, with `aws:RequestTag/*` and `aws:TagKeys`). The
   * local world does not know which of Lifeboat's roles calls STS: it is taken to be the acting
   * step's role of the region STS is called in, which the tooling account lets tag sessions.
   */
  async authorizeSessionTags(ask: {
    account: string;
    roleName: string;
    region: string;
    tags: Readonly<Record<string, string>>;
  }): Promise<void> {
    const role = (await this.rolesOf(ask.account)).get(ask.roleName);
    const roleArn = `arn:aws:iam::${ask.account}:role/${ask.roleName}`;
    const caller = functionRoleName('start-step', ask.region);
    // Loaded with the template's synth already (the workload role names its callers by it).
    const { FUNCTION_ROLE_PATH } = await import('../../infra/constructs/lifeboat-function.ts');
    const result = role
      ? await this.simulator?.runSimulation(
          {
            request: {
              principal: `arn:aws:sts::${TOOLING_ACCOUNT}:assumed-role/${caller}/local`,
              action: 'sts:TagSession',
              resource: { resource: roleArn, accountId: ask.account },
              contextVariables: {
                'aws:PrincipalArn': `arn:aws:iam::${TOOLING_ACCOUNT}:role${FUNCTION_ROLE_PATH}${caller}`,
                'aws:PrincipalAccount': TOOLING_ACCOUNT,
                ...Object.fromEntries(
                  Object.entries(ask.tags).map(([key, value]) => [`aws:RequestTag/${key}`, value]),
                ),
                'aws:TagKeys': Object.keys(ask.tags),
              },
            },
            identityPolicies: [
              {
                name: 'tooling',
                policy: {
                  Version: '2012-10-17',
                  Statement: [{ Effect: 'Allow', Action: 'sts:TagSession', Resource: roleArn }],
                },
              },
            ],
            resourcePolicy: role.trust,
            serviceControlPolicies: [],
            resourceControlPolicies: [],
          },
          {},
        )
      : undefined;
    if (result?.resultType === 'single' && result.result.analysis.result === 'Allowed') return;
    throw new AwsError(
      'AccessDenied',
      `User: arn:aws:sts::${TOOLING_ACCOUNT}:assumed-role/${caller}/local is not authorized to perform: sts:TagSession on resource: ${roleArn}`,
      403,
    );
  }

  private rolesOf(account: string): Promise<Map<string, DeployedPolicies>> {
    let roles = this.roles.get(account);
    if (!roles) {
      roles = this.deploy(account);
      this.roles.set(account, roles);
    }
    return roles;
  }

  /** The account's roles as the template deploys them; their policies are validated once, here. */
  private async deploy(account: string): Promise<Map<string, DeployedPolicies>> {
    const plans = this.deps.plans.filter((plan) => plan.account.id === account);
    if (plans.length === 0) return new Map();
    this.simulator ??= await import('@cloud-copilot/iam-simulate');
    const template = await synthesizedWorkloadTemplate();
    const deployed = deployedRoles(template, await this.deps.parametersOf(plans), account);
    for (const role of deployed) await validate(this.simulator, account, role);
    return new Map(
      deployed.map((role) => [
        role.roleName,
        { trust: role.trust, policies: role.policies.map((p) => p.document) },
      ]),
    );
  }
}

/** A deployed role as IAM evaluates it: who may assume it, and what its sessions may do. */
interface DeployedPolicies {
  trust: PolicyDocument;
  policies: PolicyDocument[];
}

function simulation(
  session: RoleSession,
  policies: PolicyDocument[],
  request: IamRequest,
): Simulation {
  return {
    request: {
      principal: session.arn,
      action: request.action,
      resource: { resource: request.resource, accountId: session.account },
      contextVariables: request.context,
    },
    identityPolicies: policies.map((policy, i) => ({ name: `policy-${i}`, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  };
}

/** Runs the library's validation of every policy once: a policy IAM would refuse fails loudly, not silently denies. */
async function validate(
  simulator: typeof import('@cloud-copilot/iam-simulate'),
  account: string,
  role: DeployedRole,
): Promise<void> {
  const result = await simulator.runSimulation(
    {
      request: {
        principal: `arn:aws:sts::${account}:assumed-role/${role.roleName}/validate`,
        action: 'sts:GetCallerIdentity',
        resource: { resource: '*', accountId: account },
        contextVariables: {},
      },
      identityPolicies: role.policies.map(({ name, document }) => ({ name, policy: document })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === 'error')
    throw new Error(
      `The synthesized policies of ${role.roleName} in ${account} are not valid IAM: ${JSON.stringify(result.errors)}`,
    );
}

/** AccessDenied as the service words it, naming the caller, the action and the resource. */
function denied(service: string, session: RoleSession, request: IamRequest): AwsError {
  const shape = ACCESS_DENIED[service] ?? { code: 'AccessDenied', status: 403 };
  const message = `User: ${session.arn} is not authorized to perform: ${request.action} on resource: ${request.resource} because no identity-based policy allows the ${request.action} action`;
  return new AwsError(
    shape.code,
    service === 'ec2' ? `You are not authorized to perform this operation. ${message}` : message,
    shape.status,
  );
}

/** The local AWS's workload IAM: tags as the estate and the services hold them. */
export function localWorkloadIam(
  estate: Estate,
  drs: DrsService,
  cloudformation: CloudFormationService,
): WorkloadIam {
  return new WorkloadIam({
    plans: estate.plans,
    // Loaded on first use, like the evaluator: the local AWS starts as fast as it did.
    parametersOf: async (plans) =>
      (await import('../../infra/config/customer-accounts.ts')).workloadRoleParameters(plans),
    tags: {
      instance: (account, region, id) => {
        const instance = estate.instances.get(id);
        return instance && instance.account === account && instance.region === region
          ? instance.tags
          : undefined;
      },
      drs: (account, arn) => {
        try {
          return drs.state.resource(account, arn).tags;
        } catch {
          return undefined;
        }
      },
      stack: (account, region, name) => cloudformation.tagsOf(account, region, name),
    },
  });
}
