import { randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { PlanConfig } from '../adapters/bundled-plans.ts';
import { DynamoDbStateStore, type StrongTable } from '../adapters/dynamodb-state-store.ts';
import { SfnTaskTokens } from '../adapters/sfn-task-tokens.ts';
import { SqsRunNotifications } from '../adapters/sqs-notifications.ts';
import { LifeboatError } from '../domain/errors.ts';
import type { Incident } from '../domain/incident.ts';
import { nearestStrongReplica } from '../domain/strong-replicas.ts';
import type { IncidentControl, IncidentStarter } from '../ports/incident.ts';
import type { ExecutionStarter, RunControl } from '../ports/run-control.ts';
import type { TaskTokens } from '../ports/state-store.ts';
import { Engine, type EngineDeps } from '../run/engine.ts';
import type { IncidentCoordinator, IncidentCoordinatorDeps } from '../run/incident-coordinator.ts';
import { LifeboatRunControl } from '../run/run-control.ts';
import type { HandlerEnv } from './env.ts';
import { onFirstUse } from './first-use.ts';

export type { PlanConfig } from '../adapters/bundled-plans.ts';

/** What only the task Lambdas reach: the customers' AWS, ARC, the DRS budgets, and the report writer. */
export type WorkloadParts = Pick<
  EngineDeps,
  'servicesFor' | 'routing' | 'admission' | 'writeReport'
>;

export interface RunControlParts {
  executions: ExecutionStarter;
  /** @default Step Functions' SendTaskSuccess */
  tokens?: TaskTokens;
  logger?: Logger;
}

/** The state table, the plans, the notifier's queue and the clock: what every Lambda runs on. */
export interface ControlCore {
  readonly store: DynamoDbStateStore;
  /** The strongly consistent table, through the nearest replica, when LOCK_TABLE is set. */
  readonly strong?: StrongTable;
  readonly config: PlanConfig;
  readonly taskTokens: TaskTokens;
  /** An engine on this invocation's clock, with the workload parts built on that clock. */
  engine(workload: (now: () => number) => WorkloadParts, logger?: Logger): Promise<Engine>;
  runControl(engine: Engine, parts: RunControlParts): Promise<RunControl>;
  /** Region-wide incidents on the same table, plans and clock. */
  incidents(parts: IncidentParts): Promise<IncidentCoordinator>;
}

/** What an incident coordinator reaches beyond the core: each side gives what it has. */
export interface IncidentParts {
  /** Starts incidents (the bot). */
  starter?: IncidentStarter;
  /** Starts and aborts child runs (the incident's state machine; the bot to abort). */
  runs?: Pick<RunControl, 'start' | 'requestAbort'>;
  /** Pre-flight now, per customer (the incident's state machine, with the workload adapters). */
  readiness?: IncidentCoordinatorDeps['readiness'];
  /** @default Step Functions' SendTaskSuccess */
  tokens?: TaskTokens;
  /**
   * Writes the incident's report once it has ended (the task Lambdas, which reach the report
   * store), on this invocation's clock; returns where it went (kind -> location).
   */
  writeReport?(incident: Incident, now: () => number): Promise<Record<string, string>>;
  logger?: Logger;
}

/** The environment variables the core reads. */
export type CoreEnv = Pick<
  HandlerEnv,
  'AWS_REGION' | 'STATE_TABLE' | 'LOCK_TABLE' | 'NOTIFY_QUEUE_URL' | 'LIFEBOAT_CLOCK_URL'
>;

/** Builds the core's clients once (per cold start in AWS); the clock is read per invocation. */
export function wireCore(env: CoreEnv, config: PlanConfig): ControlCore {
  // us-west-1 has no replica of the strongly consistent table: its Lambdas reach us-west-2's.
  const replica = env.LOCK_TABLE ? nearestStrongReplica(env.AWS_REGION) : undefined;
  const strong: StrongTable | undefined =
    env.LOCK_TABLE && replica
      ? {
          client: new DynamoDBClient({ region: replica, maxAttempts: 3 }),
          table: env.LOCK_TABLE,
          region: replica,
        }
      : undefined;
  const store = new DynamoDbStateStore(
    new DynamoDBClient({ region: env.AWS_REGION, maxAttempts: 3 }),
    env.STATE_TABLE,
    strong,
  );
  const notify = env.NOTIFY_QUEUE_URL
    ? new SqsRunNotifications(
        new SQSClient({ region: env.AWS_REGION, maxAttempts: 3 }),
        env.NOTIFY_QUEUE_URL,
      )
    : undefined;
  const taskTokens = new SfnTaskTokens();

  const engine: ControlCore['engine'] = async (workload, logger) => {
    // Independent: the clock (a request in the sandbox) and the settings (read once).
    const [now, settings] = await Promise.all([clock(env), config.settings()]);
    return new Engine({
      ...workload(now),
      store,
      plans: config.plans,
      settings,
      now,
      newId: () => randomUUID(),
      ...(notify ? { notify } : {}),
      ...(logger ? { warn: (message: string) => logger.warn(message) } : {}),
    });
  };

  // Region-wide incidents are rare beside one customer's runs: their code is loaded on first use.
  const incidentParts = onFirstUse(() =>
    Promise.all([
      import('../run/incident-coordinator.ts'),
      import('../adapters/dynamodb-incident-store.ts'),
    ]).then(([coordinator, stores]) => ({
      IncidentCoordinator: coordinator.IncidentCoordinator,
      store: new stores.DynamoDbIncidentStore(
        new DynamoDBClient({ region: env.AWS_REGION, maxAttempts: 3 }),
        env.STATE_TABLE,
      ),
    })),
  );
  const incidents: ControlCore['incidents'] = async (parts) => {
    const [now, settings, { IncidentCoordinator, store: incidentStore }] = await Promise.all([
      clock(env),
      config.settings(),
      incidentParts(),
    ]);
    const writeReport = parts.writeReport?.bind(parts);
    const missing = (what: string) => () => {
      throw new LifeboatError(`This incident coordinator does not reach ${what}.`);
    };
    return new IncidentCoordinator({
      incidents: incidentStore,
      store,
      plans: config.plans,
      settings,
      readiness: parts.readiness ?? missing("the customers' AWS (readiness)"),
      runs: parts.runs ?? {
        start: missing('the runbook state machine'),
        requestAbort: missing('the runs'),
      },
      tokens: parts.tokens ?? taskTokens,
      ...(parts.starter ? { starter: parts.starter } : {}),
      ...(writeReport ? { writeReport: (incident: Incident) => writeReport(incident, now) } : {}),
      now,
      newId: () => randomUUID(),
      nonce: () => randomBytes(2).toString('hex'),
      ...(notify ? { notify } : {}),
      ...(parts.logger ? { warn: (message: string) => parts.logger?.warn(message) } : {}),
    });
  };

  return {
    store,
    ...(strong ? { strong } : {}),
    config,
    taskTokens,
    engine,
    incidents,
    runControl: async (built, parts) => {
      const [now, settings] = await Promise.all([clock(env), config.settings()]);
      return new LifeboatRunControl({
        engine: built,
        store,
        plans: config.plans,
        settings,
        executions: parts.executions,
        tokens: parts.tokens ?? taskTokens,
        now,
        nonce: () => randomBytes(2).toString('hex'),
      });
    },
  };
}

/**
 * The bot's run control without the customers' AWS (start, answer, pause, abort, read): what a
 * slash command or a click needs, and no more is loaded. `readiness` needs the workload
 * adapters: the notifier answers it, from the queue.
 */
export function wireBotRunControl(core: ControlCore, parts: RunControlParts): Promise<RunControl> {
  const unreachable = (what: string) => () => {
    throw new LifeboatError(
      `The ingress does not reach ${what}: readiness checks are answered by the notifier; set NOTIFY_QUEUE_URL.`,
    );
  };
  return core
    .engine(
      () => ({
        servicesFor: unreachable("the customers' AWS"),
        writeReport: unreachable('the report store'),
      }),
      parts.logger,
    )
    .then((engine) => core.runControl(engine, parts));
}

/**
 * The incidents as the bot takes them, wired on the first region-wide command or click: a cold
 * start for one customer's `/dr drill` does not load the incident coordinator. A wiring that
 * fails is tried again by the next command.
 */
export function incidentsOnFirstUse(wire: () => Promise<IncidentControl>): IncidentControl {
  const control = onFirstUse(wire);
  return {
    requestRegionFailover: async (request) => (await control()).requestRegionFailover(request),
    getIncident: async (incidentId) => (await control()).getIncident(incidentId),
    openIncident: async (region) => (await control()).openIncident(region),
    listIncidents: async (region, limit) => (await control()).listIncidents(region, limit),
    answerIncident: async (incidentId, gateId, answer) =>
      (await control()).answerIncident(incidentId, gateId, answer),
    abortIncident: async (incidentId, by, byName) =>
      (await control()).abortIncident(incidentId, by, byName),
  };
}

/** Virtual time in the sandbox (the simulators' clock), real time in AWS. */
async function clock(env: CoreEnv): Promise<() => number> {
  if (!env.LIFEBOAT_CLOCK_URL) return Date.now;
  const { now, speed } = (await (await fetch(env.LIFEBOAT_CLOCK_URL)).json()) as {
    now: string;
    speed: number;
  };
  const base = Date.parse(now);
  const realBase = Date.now();
  return () => Math.floor(base + (Date.now() - realBase) * speed);
}
