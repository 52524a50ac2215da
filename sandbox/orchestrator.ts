import { mkdir } from 'node:fs/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateBucketCommand,
  PutObjectLockConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { DynamoDbStateStore } from '../orchestrator/adapters/dynamodb-state-store.ts';
import type { GateDecision, GateKind } from '../orchestrator/domain/execution.ts';
import type { IncidentRequest } from '../orchestrator/domain/incident.ts';
import type { Operation } from '../orchestrator/domain/plan.ts';
import type { Region } from '../orchestrator/domain/regions.ts';
import { type HandlerEnv, HandlerEnvSchema } from '../orchestrator/handlers/env.ts';
import { createIncidentHandler } from '../orchestrator/handlers/incident-handler.ts';
import { createTaskHandlers } from '../orchestrator/handlers/task-handlers.ts';
import { type Orchestrator, wireOrchestrator } from '../orchestrator/handlers/wiring.ts';
import type { IncidentStarter } from '../orchestrator/ports/incident.ts';
import type { ExecutionStarter } from '../orchestrator/ports/run-control.ts';
import type { TaskTokens } from '../orchestrator/ports/state-store.ts';
import type { LocalAws } from './aws/local-aws.ts';
import { type GateOpened, LocalStepFunctions } from './stepfunctions/local-runner.ts';
import { synthesizeMachines } from './stepfunctions/synth.ts';

export const LOCAL_TABLE = 'lifeboat-local';

/**
 * The local world's state table (dynalite), as the orchestrator and the bot read it; with
 * `lockTable`, the strongly consistent table of locks and gates beside it.
 */
export function localStateStore(aws: LocalAws, lockTable?: string): DynamoDbStateStore {
  const client = () =>
    new DynamoDBClient({
      region: LOCAL_REGION,
      endpoint: aws.endpoints.dynamodb,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  return new DynamoDbStateStore(
    client(),
    LOCAL_TABLE,
    lockTable ? { client: client(), table: lockTable, region: LOCAL_REGION } : undefined,
  );
}
/** The region the local runs execute in (the sample plans' recovery region). */
const LOCAL_REGION = 'us-east-2';
/** The report bucket's default retention as infra makes it (config `reports`, by default). */
const REPORT_RETENTION = { Mode: 'GOVERNANCE', Days: 2557 } as const;

/** Who answers each kind of gate in a local run, and how a failure is decided. */
export interface GateAnswers {
  approveAs: string[];
  signOffAs: string;
  manualAs: string;
  onFailure: 'retry' | 'continue' | 'abort';
}

export interface LocalRunInput {
  customerId: string;
  operation: Operation;
  requestedBy: string;
  reason?: string;
  disruptionAt?: number;
  executionName: string;
}

export interface LocalOrchestratorOptions {
  aws: LocalAws;
  plansDir: string;
  /** The runbook defaults (`config/defaults.yaml` as shipped). */
  settingsFile: string;
  reportDir: string;
  time: 'stepped' | 'paced';
  /** Who answers gates at once; without it, gates wait for people (the bot). */
  answers?: GateAnswers;
  onEvent?(line: string): void;
  /** The strongly consistent table's name (LOCK_TABLE). @default none: locks and gates on the state table */
  lockTable?: string;
  /**
   * The report bucket's name (REPORT_BUCKET), made in the local AWS's S3 as infra makes it
   * (object lock, so versioned, with a default retention): reports go through the S3 report
   * store, as in AWS. @default none: reports go to `reportDir`
   */
  reportBucket?: string;
}

/**
 * The orchestrator on one machine: the synthesized state machine run by aws-local-stepfunctions,
 * each task mapped to its real handler built from this sandbox's environment, talking to the
 * local AWS through the standard endpoint variables, with gates answered by the named users.
 */
export class LocalOrchestrator implements ExecutionStarter, IncidentStarter, TaskTokens {
  /** The task Lambdas' environment here, as infra would set it in AWS. */
  readonly environment: HandlerEnv;
  /** The engine and the bot's view of runs on that environment. */
  readonly wiring: Orchestrator;
  private readonly runner: LocalStepFunctions;
  /** The region-wide incidents' state machine, whose task starts children on `runner`. */
  private readonly incidentRunner: LocalStepFunctions;
  /** Runs started for the bot, by execution name: their final output, or their failure. */
  private readonly started = new Map<string, Promise<unknown>>();

  constructor(private readonly options: LocalOrchestratorOptions) {
    const { aws, plansDir, settingsFile, reportDir } = options;
    this.environment = HandlerEnvSchema.parse({
      AWS_REGION: LOCAL_REGION,
      STATE_TABLE: LOCAL_TABLE,
      ...(options.lockTable ? { LOCK_TABLE: options.lockTable } : {}),
      ...(options.reportBucket ? { REPORT_BUCKET: options.reportBucket } : {}),
      PLANS_DIR: plansDir,
      SETTINGS_FILE: settingsFile,
      REPORT_DIR: reportDir,
      LIFEBOAT_CLOCK_URL: `${aws.controlUrl}/clock`,
      // As the deploy writes them from config/deploy.yaml: the local cluster's five endpoints.
      LIFEBOAT_ARC_ENDPOINTS: JSON.stringify(aws.arcEndpoints()),
      // Structured log lines would run through the terminal and the test output: asked for only.
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT',
    });
    this.wiring = wireOrchestrator(this.environment);
    const machines = synthesizeMachines();
    this.runner = new LocalStepFunctions(
      machines.runbook,
      createTaskHandlers(this.environment, this.wiring),
      aws,
    );
    // Crash faults are aimed at runs' tasks: the incident's own task is not killed by them.
    this.incidentRunner = new LocalStepFunctions(machines.incident, {
      incident: createIncidentHandler(this.environment, this.wiring, this),
    });
  }

  /** What the same run would have written to a Standard workflow's history. */
  historyEventCount(): number {
    return this.runner.historyEventCount();
  }

  /** The history one run (or incident) would have written: each has its own 25,000 limit. */
  historyEventsOf(executionName: string): number {
    return Math.max(
      this.runner.historyEventCount(executionName),
      this.incidentRunner.historyEventCount(executionName),
    );
  }

  /**
   * Points the AWS SDK (in this process) at the local AWS, as Lambda's runtime gives a function
   * its region and credentials, and creates the state table. Lifeboat's own settings are not
   * here: they are {@link environment}.
   */
  async configure(): Promise<void> {
    const { aws, reportDir } = this.options;
    Object.assign(process.env, aws.environment(), {
      AWS_ACCESS_KEY_ID: 'AKIALIFEBOATLOCAL',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_REGION: LOCAL_REGION,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      // The simulators share this process's CPU: a slow accept is load, not a region gone.
      LIFEBOAT_CONNECT_TIMEOUT_MS: '15000',
      // In stepped time the SDK's own backoff would be the only real waiting: leave retries to the
      // state machine's Retry (and the wave's keep-progress retry), whose waits are virtual.
      ...(this.options.time === 'stepped' ? { AWS_MAX_ATTEMPTS: '1' } : {}),
    });
    delete process.env.AWS_SESSION_TOKEN;
    await mkdir(reportDir, { recursive: true });
    await localStateStore(aws, this.options.lockTable).ensureTable();
    if (this.options.reportBucket) await ensureReportBucket(this.options.reportBucket);
  }

  async run(input: LocalRunInput): Promise<unknown> {
    await this.configure();
    const { executionName, ...request } = input;
    return this.runner.run({
      input: request,
      executionName,
      clock: this.options.aws.clock,
      time: this.options.time,
      onGate: (gate) => void this.answer(gate),
    });
  }

  /** StartExecution, as the bot calls it: the run goes on in the background; a name runs once. */
  async start(
    _region: Region,
    executionName: string,
    input: Parameters<ExecutionStarter['start']>[2],
  ): Promise<void> {
    if (this.started.has(executionName)) return;
    const run = this.runner.run({
      input: { ...input },
      executionName,
      clock: this.options.aws.clock,
      time: this.options.time,
      onGate: (gate) => void this.answer(gate),
    });
    run.catch((error: Error) =>
      this.options.onEvent?.(`Run ${executionName} failed: ${error.message}`),
    );
    this.started.set(executionName, run);
  }

  /** StartExecution of the incident machine, as the bot calls it; an id runs once. */
  async startIncident(_region: Region, request: IncidentRequest): Promise<void> {
    if (this.started.has(request.incidentId)) return;
    const run = this.incidentRunner.run({
      input: { ...request },
      executionName: request.incidentId,
      clock: this.options.aws.clock,
      time: this.options.time,
      onGate: (gate) => void this.answerIncident(gate),
    });
    run.catch((error: Error) =>
      this.options.onEvent?.(`Incident ${request.incidentId} failed: ${error.message}`),
    );
    this.started.set(request.incidentId, run);
  }

  /** SendTaskSuccess, as the bot calls it when a gate is decided: a run's, or an incident's. */
  async succeed(
    _region: Region,
    taskToken: string,
    output: Record<string, unknown>,
  ): Promise<void> {
    const runner = this.incidentRunner.waitsFor(taskToken) ? this.incidentRunner : this.runner;
    runner.sendTaskSuccess(taskToken, output);
  }

  /** The output of a run started through `start`, once it ends. */
  settled(executionName: string): Promise<unknown> {
    const run = this.started.get(executionName);
    if (!run) throw new Error(`No run ${executionName} was started`);
    return run;
  }

  /** Approves an incident as the configured approvers, through the coordinator the bot uses. */
  private async answerIncident(opened: GateOpened): Promise<void> {
    if (!this.options.answers) return;
    const incidentId = String(opened.payload.incidentId);
    const gateId = String((opened.result as { gateId: string }).gateId);
    const coordinator = await this.wiring.incidents({ tokens: this });
    for (const principal of this.options.answers.approveAs) {
      const user = principal.startsWith('S') ? `${principal}-member` : principal;
      const groups = principal.startsWith('S') ? [principal] : [];
      try {
        const result = await coordinator.answerIncident(incidentId, gateId, {
          user,
          groups,
          decision: 'approve',
        });
        this.options.onEvent?.(`${user} approved the incident ${incidentId}`);
        if (result.decided) return;
      } catch (error) {
        this.options.onEvent?.(
          `${user} could not approve the incident: ${(error as Error).message}`,
        );
      }
    }
  }

  /** Answers a gate as the configured users, through the same engine path the bot uses. */
  private async answer(opened: GateOpened): Promise<void> {
    if (!this.options.answers) return;
    const executionId = String(opened.payload.executionId);
    const gateId = String((opened.result as { gateId: string }).gateId);
    const e = await this.wiring.engine();
    const gate = (await e.openGatesOf(executionId)).find((g) => g.gateId === gateId);
    if (!gate) return;
    for (const { principal, decision } of this.answersFor(gate.kind)) {
      // A user group answers through a stand-in member of that group.
      const user = principal.startsWith('S') ? `${principal}-member` : principal;
      const groups = principal.startsWith('S') ? [principal] : [];
      try {
        const result = await e.answer(executionId, gateId, {
          user,
          groups,
          decision,
        });
        this.options.onEvent?.(
          `${user} answered ${decision} to the ${gate.kind} "${gate.prompt.slice(0, 80)}"`,
        );
        if (result.decided && result.taskToken) {
          this.runner.sendTaskSuccess(result.taskToken, {
            kind: gate.kind,
            decision: result.decided,
          });
          return;
        }
      } catch (error) {
        this.options.onEvent?.(
          `${user} could not answer the ${gate.kind}: ${(error as Error).message}`,
        );
      }
    }
  }

  private answersFor(kind: GateKind): { principal: string; decision: GateDecision }[] {
    const a = this.options.answers;
    if (!a) return [];
    switch (kind) {
      case 'approval':
        return a.approveAs.map((principal) => ({ principal, decision: 'approve' }));
      case 'sign-off':
        return [{ principal: a.signOffAs, decision: 'approve' }];
      case 'manual':
        return [{ principal: a.manualAs, decision: 'done' }];
      case 'decision':
        return [{ principal: a.manualAs, decision: a.onFailure }];
      case 'pause':
        return [{ principal: a.manualAs, decision: 'resume' }];
    }
  }
}

/** The region's report bucket in the local AWS's S3, once (configure runs before each run). */
async function ensureReportBucket(bucket: string): Promise<void> {
  const s3 = new S3Client({ region: LOCAL_REGION });
  try {
    await s3.send(
      new CreateBucketCommand({
        Bucket: bucket,
        CreateBucketConfiguration: { LocationConstraint: LOCAL_REGION },
        ObjectLockEnabledForBucket: true,
      }),
    );
  } catch (error) {
    if ((error as Error).name === 'BucketAlreadyOwnedByYou') return;
    throw error;
  }
  await s3.send(
    new PutObjectLockConfigurationCommand({
      Bucket: bucket,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: REPORT_RETENTION },
      },
    }),
  );
}
