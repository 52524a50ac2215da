import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { ArcRoutingAdapter } from '../adapters/arc-routing-adapter.ts';
import { type RoleSession, runSession, servicesForAccount } from '../adapters/aws-services.ts';
import { planConfigOf } from '../adapters/bundled-plans.ts';
import { DynamoDbAdmissionStore } from '../adapters/dynamodb-admission-store.ts';
import type { DynamoDbStateStore } from '../adapters/dynamodb-state-store.ts';
import { FileReportStore } from '../adapters/file-report-store.ts';
import { S3ReportStore } from '../adapters/s3-report-store.ts';
import { NotFoundError } from '../domain/errors.ts';
import type { Plan } from '../domain/plan.ts';
import { PLAN_TAG_KEY, workloadRoleName } from '../domain/workload-access.ts';
import type { ServicesFor } from '../ports/aws.ts';
import type { ReportStore } from '../ports/report-store.ts';
import type { RunControl } from '../ports/run-control.ts';
import type { TaskTokens } from '../ports/state-store.ts';
import { writeIncidentReport } from '../report/incident-report.ts';
import { writeRunReport } from '../report/run-report.ts';
import type { Engine } from '../run/engine.ts';
import type { IncidentCoordinator } from '../run/incident-coordinator.ts';
import {
  type ControlCore,
  type IncidentParts,
  type PlanConfig,
  type RunControlParts,
  wireCore,
} from './control-wiring.ts';
import type { HandlerEnv } from './env.ts';

/** The session of calls outside any run (`/dr readiness`). */
const READINESS_SESSION: RoleSession = { name: 'lifeboat-readiness' };
/** Customers' clients kept per warm Lambda (or sandbox), one set per customer and run. */
const SERVICES_KEPT = 32;

/** The orchestrator of one environment: what the task Lambdas and the bot's Lambdas run on. */
export interface Orchestrator {
  /**
   * The engine for one invocation, on this invocation's clock; its warnings go to `logger`.
   * `run`: the run the invocation is about, whose session (named for it, with its requester
   * as source identity) acts in the customer's account. @default a `lifeboat-readiness` session
   */
  engine(logger?: Logger, run?: { executionId: string }): Promise<Engine>;
  /** The bot's view of runs, on the same table, plans and clock as the task Lambdas. */
  runControl(parts: RunControlParts): Promise<RunControl>;
  /**
   * Region-wide incidents, with the customers' readiness from this environment's engine unless
   * `parts` gives one; each incident's report is written to this environment's report store
   * once it has ended.
   */
  incidents(parts: IncidentParts & { logger?: Logger }): Promise<IncidentCoordinator>;
  /** Resumes waiting state machines (the gate sweeper). */
  readonly taskTokens: TaskTokens;
  /** The bot's notices (what it showed in Slack for each run), kept in the state table. */
  readonly notices: Pick<DynamoDbStateStore, 'getNotice' | 'putNotice'>;
}

/**
 * Builds the clients, the state store and the plan source of one environment once (per cold
 * start in AWS, per sandbox locally), with the customers' AWS, ARC and the report writer; the
 * clock is read per invocation. `config`: @default the plans the bundle carries, else (from
 * source) the YAML files the environment names.
 */
export function wireOrchestrator(
  env: HandlerEnv,
  config: PlanConfig = planConfigOf(env),
  /** The core already built for this environment (the notifier's), so its clients are shared. */
  core: ControlCore = wireCore(env, config),
): Orchestrator {
  const { store, config: planConfig } = core;
  const s3 = env.REPORT_BUCKET
    ? new S3Client({ region: env.AWS_REGION, maxAttempts: 3 })
    : undefined;
  const services = new Map<string, ServicesFor>();
  // DRS budgets shared by every run's waves: leases under their own keys, in the strongly
  // consistent table when there is one (two regions' runs share an account's budget).
  const admission = core.strong
    ? new DynamoDbAdmissionStore(core.strong.client, core.strong.table)
    : new DynamoDbAdmissionStore(
        new DynamoDBClient({ region: env.AWS_REGION, maxAttempts: 3 }),
        env.STATE_TABLE,
      );
  // The cluster is the tooling account's (shared with the workload accounts): Lifeboat's own role.
  const routing = env.LIFEBOAT_ARC_ENDPOINTS
    ? new ArcRoutingAdapter({ endpoints: env.LIFEBOAT_ARC_ENDPOINTS })
    : undefined;

  /** The region's report bucket when there is one, else the report folder. */
  const reportStore = (now: () => number): ReportStore => {
    if (!s3 || !env.REPORT_BUCKET) return new FileReportStore(env.REPORT_DIR);
    return new S3ReportStore(s3, env.AWS_REGION, {
      bucket: env.REPORT_BUCKET,
      now,
      ...(env.REPORT_RETAIN_DAYS
        ? { retention: { mode: env.REPORT_LOCK_MODE, days: env.REPORT_RETAIN_DAYS } }
        : {}),
    });
  };

  /** A run's session, its requester read from the run when the role is assumed. */
  const sessionOf = (executionId: string) => async (): Promise<RoleSession> => {
    const requestedBy = await store.getExecution(executionId).then(
      (execution) => execution.requestedBy,
      (error: unknown) => {
        // Prepare runs before the run's record exists: named for the run, no source identity.
        if (error instanceof NotFoundError) return undefined;
        throw error;
      },
    );
    return runSession(executionId, requestedBy);
  };

  // Per customer and run: each run's calls carry its own session in the customer's CloudTrail.
  const servicesFor =
    (run?: { executionId: string }, logger?: Logger) =>
    (plan: Plan): ServicesFor => {
      const key = `${plan.customer.id}/${run?.executionId ?? ''}`;
      const cached = services.get(key);
      if (cached) return cached;
      const built = servicesForAccount({
        account: plan.account.id,
        // A run acts; readiness (no run) only reads, through the read-only role beside it.
        roleName: workloadRoleName(plan.account.roleName, run ? 'act' : 'read'),
        externalId: plan.account.externalId,
        session: run ? sessionOf(run.executionId) : READINESS_SESSION,
        // A run's session carries its plan: the recovery role acts on that plan's resources only.
        ...(run ? { tags: { [PLAN_TAG_KEY]: plan.customer.id } } : {}),
        onSourceIdentityRefused: (error) =>
          logger?.warn(
            `${plan.account.roleName} in ${plan.account.id} does not allow sts:SetSourceIdentity: assumed without the requester as source identity; redeploy the customer's role template`,
            { customerId: plan.customer.id, error: error.message },
          ),
      });
      // A warm Lambda serves many runs: keep the latest few runs' clients, not every run's.
      if (services.size >= SERVICES_KEPT) {
        const oldest = services.keys().next().value;
        if (oldest !== undefined) services.delete(oldest);
      }
      services.set(key, built);
      return built;
    };

  const engine = (logger?: Logger, run?: { executionId: string }): Promise<Engine> =>
    core.engine(
      (now) => ({
        servicesFor: servicesFor(run, logger),
        ...(routing ? { routing } : {}),
        admission,
        writeReport: async (execution, at) => {
          const { plan } = await planConfig.plans.loadPlan(execution.customerId);
          return writeRunReport({
            execution,
            store,
            reports: reportStore(now),
            customerName: plan.customer.name,
            now: at,
          });
        },
      }),
      logger,
    );

  return {
    engine,
    taskTokens: core.taskTokens,
    notices: store,
    runControl: async (parts) => core.runControl(await engine(parts.logger), parts),
    incidents: async (parts) =>
      core.incidents({
        readiness: async (customerId, operation) =>
          (await engine(parts.logger)).readiness(customerId, operation),
        writeReport: async (incident, now) => {
          try {
            return await writeIncidentReport({
              incident,
              store,
              plans: planConfig,
              reports: reportStore(now),
              // As of its end, kept from the first try: a task run again writes the same bytes.
              now: incident.endedAt ?? now(),
            });
          } catch (error) {
            // The incident has ended either way: a report lost is logged, not a finish lost.
            parts.logger?.error('The incident report could not be written', {
              incidentId: incident.incidentId,
              error: (error as Error).message,
            });
            return {};
          }
        },
        ...parts,
      }),
  };
}
