import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  type NativeAttributeValue,
  PutCommand,
  paginateQuery,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  ConcurrentUpdateError,
  NotFoundError,
  OperationInProgressError,
} from '../domain/errors.ts';
import {
  type AuditEntry,
  AuditEntrySchema,
  type Execution,
  ExecutionSchema,
  type Gate,
  GateSchema,
  type RunIndexEntry,
  RunIndexEntrySchema,
  type StepRecord,
  StepRecordSchema,
} from '../domain/execution.ts';
import { type JournalEntry, JournalEntrySchema } from '../domain/journal.ts';
import { type Runbook, RunbookSchema } from '../domain/runbook.ts';
import type { StateStore } from '../ports/state-store.ts';
import { mapAwsError } from './map-aws-error.ts';

type Attributes = Record<string, NativeAttributeValue>;

/** A table and the client of the replica this Lambda reaches it through. */
interface Target {
  documents: DynamoDBDocumentClient;
  table: string;
}

/** The table whose conditional writes hold across regions, and the client of its nearest replica. */
export interface StrongTable {
  client: DynamoDBClient;
  table: string;
  /** The replica's region, to name in errors. */
  region: string;
}

const OPEN_GATES = 'GATES#OPEN';
const dueKey = (gate: Gate) =>
  `${String(gate.expiresAt).padStart(15, '0')}#${gate.executionId}#${gate.gateId}`;
/** What the open gates' index holds for each gate. */
const GateRefSchema = GateSchema.pick({ executionId: true, gateId: true });

const runKey = (startedAt: number, executionId: string) =>
  `RUN#${String(startedAt).padStart(15, '0')}#${executionId}`;

const lockKey = (customerId: string) => ({ pk: `CUSTOMER#${customerId}`, sk: 'LOCK' });

/** The partition of a customer's audit entries: its prefix is what IAM conditions name. */
export const AUDIT_PARTITION_PREFIX = 'AUDIT#';
const auditPartition = (customerId: string) => `${AUDIT_PARTITION_PREFIX}${customerId}`;

/**
 * The state table: `pk`/`sk` strings, each record a map in `doc` (a run's runbook as one JSON
 * string in it), next to the counters its conditional writes compare (`version`, `answered`);
 * a run's journal counter (`seq`) is an item of its own. Locks and gate answers use
 * conditional writes (dynalite has no transactions, and none are needed). Records are parsed
 * with the domain's schemas when read.
 *
 * Also keeps the bot's notices (its `NoticeStore`): opaque documents with a version.
 *
 * With a `strong` table (multi-Region strong consistency), the customers' locks and the gates
 * (with their index of open gates) live there: two regions' conditional writes on them fall in
 * one order. The runs, their steps, journals, history, audit and notices stay on the state
 * table, each written by one run at a time.
 */
/** Runbooks kept parsed per store: a warm Lambda's few latest runs. */
const RUNBOOKS_KEPT = 16;
/** A run's record but its runbook, which is parsed apart (and kept). */
const ExecutionFieldsSchema = ExecutionSchema.omit({ runbook: true });

/** Freezes a parsed document and everything in it. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

export class DynamoDbStateStore implements StateStore {
  private readonly documents: DynamoDBDocumentClient;
  /** Where locks and gates live: the strong table, or the state table without one. */
  private readonly guarded: Target;
  private readonly state: Target;
  /** The latest runbooks read, by their stored text. */
  private readonly runbooks = new Map<string, Runbook>();

  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
    private readonly strong?: StrongTable,
  ) {
    // An optional field left undefined is absent from the record, as it was in its JSON.
    this.documents = documentsOf(client);
    this.state = { documents: this.documents, table };
    this.guarded = strong
      ? { documents: strongDocumentsOf(strong), table: strong.table }
      : this.state;
  }

  /** Creates the tables when they do not exist (local runs; deployed tables come from CDK). */
  async ensureTable(): Promise<void> {
    await createTable(this.client, this.table);
    if (this.strong) await createTable(this.strong.client, this.strong.table);
  }

  async acquireLock(
    customerId: string,
    executionId: string,
    now: number,
    staleAfterMs: number,
  ): Promise<void> {
    try {
      await this.guarded.documents.send(
        new PutCommand({
          TableName: this.guarded.table,
          Item: { ...lockKey(customerId), executionId, takenAt: now },
          ConditionExpression: 'attribute_not_exists(pk) OR takenAt < :stale OR executionId = :me',
          ExpressionAttributeValues: { ':stale': now - staleAfterMs, ':me': executionId },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      throw new OperationInProgressError(
        customerId,
        (await this.activeRun(customerId)) ?? 'unknown',
      );
    }
  }

  async releaseLock(customerId: string, executionId: string): Promise<void> {
    try {
      await this.guarded.documents.send(
        new DeleteCommand({
          TableName: this.guarded.table,
          Key: lockKey(customerId),
          ConditionExpression: 'executionId = :me',
          ExpressionAttributeValues: { ':me': executionId },
        }),
      );
    } catch (error) {
      // Someone took over a stale lock: it is theirs now, and not ours to release.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async activeRun(customerId: string): Promise<string | undefined> {
    const out = await this.guarded.documents.send(
      new GetCommand({
        TableName: this.guarded.table,
        Key: lockKey(customerId),
        ConsistentRead: true,
      }),
    );
    const holder: unknown = out.Item?.executionId;
    return typeof holder === 'string' ? holder : undefined;
  }

  async createExecution(execution: Execution): Promise<void> {
    try {
      // The runbook (about 1.5 KB a server) is written once and read on every step: as one JSON
      // string it costs DynamoDB, and the SDK, a fraction of what a deep map does.
      await this.put(
        this.state,
        `EXEC#${execution.executionId}`,
        'META',
        { ...execution, runbook: JSON.stringify(execution.runbook) },
        { condition: 'attribute_not_exists(pk)' },
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new ConcurrentUpdateError(`Execution ${execution.executionId}`);
      throw error;
    }
    const { executionId, customerId, operation, requestedBy, startedAt } = execution;
    await this.saveRunSummary({ executionId, customerId, operation, requestedBy, startedAt });
  }

  async getExecution(executionId: string): Promise<Execution> {
    const doc = (await this.get(
      this.state,
      `EXEC#${executionId}`,
      'META',
      `Execution ${executionId}`,
    )) as {
      runbook?: unknown;
    };
    const { runbook, ...fields } = doc;
    return { ...ExecutionFieldsSchema.parse(fields), runbook: this.runbookOf(runbook) };
  }

  /**
   * A stored runbook, parsed (JSON, then its schema) once per text: a task reads its run's
   * record at every step, and the runbook is most of it. Frozen, as it is shared by every read.
   */
  private runbookOf(stored: unknown): Runbook {
    if (typeof stored !== 'string') return RunbookSchema.parse(stored);
    const known = this.runbooks.get(stored);
    if (known) return known;
    const runbook = deepFreeze(RunbookSchema.parse(JSON.parse(stored)));
    if (this.runbooks.size >= RUNBOOKS_KEPT) {
      const oldest = this.runbooks.keys().next().value;
      if (oldest !== undefined) this.runbooks.delete(oldest);
    }
    this.runbooks.set(stored, runbook);
    return runbook;
  }

  /**
   * Sets (or, when undefined, removes) the patched fields inside the document, in one write,
   * without reading the record first.
   */
  async updateExecution(executionId: string, patch: Partial<Execution>): Promise<void> {
    const fields = Object.entries(patch);
    if (fields.length === 0) {
      await this.getExecution(executionId);
      return;
    }
    const names: Record<string, string> = {};
    const values: Attributes = {};
    const set: string[] = [];
    const remove: string[] = [];
    for (const [i, [field, value]] of fields.entries()) {
      names[`#f${i}`] = field;
      if (value === undefined) remove.push(`doc.#f${i}`);
      else {
        // The runbook is kept as one JSON string (see createExecution).
        values[`:f${i}`] = field === 'runbook' ? JSON.stringify(value) : value;
        set.push(`doc.#f${i} = :f${i}`);
      }
    }
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: `EXEC#${executionId}`, sk: 'META' },
          UpdateExpression: [
            set.length ? `SET ${set.join(', ')}` : '',
            remove.length ? `REMOVE ${remove.join(', ')}` : '',
          ]
            .filter(Boolean)
            .join(' '),
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: names,
          ...(set.length ? { ExpressionAttributeValues: values } : {}),
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new NotFoundError(`Execution ${executionId}`);
      throw error;
    }
  }

  async getSteps(executionId: string): Promise<Map<string, StepRecord>> {
    const items = await this.query(this.state, `EXEC#${executionId}`, 'STEP#');
    return new Map(items.map((doc) => StepRecordSchema.parse(doc)).map((r) => [r.stepId, r]));
  }

  /** One step's record, read alone: a poll needs its own step, not every step of the run. */
  async getStep(executionId: string, stepId: string): Promise<StepRecord | undefined> {
    const doc = await this.find(this.state, `EXEC#${executionId}`, `STEP#${stepId}`);
    return doc === undefined ? undefined : StepRecordSchema.parse(doc);
  }

  async putStep(executionId: string, record: StepRecord): Promise<void> {
    await this.put(this.state, `EXEC#${executionId}`, `STEP#${record.stepId}`, record);
  }

  async append(
    executionId: string,
    ...entries: Omit<JournalEntry, 'seq'>[]
  ): Promise<JournalEntry[]> {
    if (entries.length === 0) return [];
    const counter = await this.documents.send(
      new UpdateCommand({
        TableName: this.table,
        // A counter item of its own: an append does not rewrite the run's record. One update
        // takes a number for each entry.
        Key: { pk: `EXEC#${executionId}`, sk: 'SEQ' },
        UpdateExpression: 'ADD seq :n',
        ExpressionAttributeValues: { ':n': entries.length },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    const first = Number(counter.Attributes?.seq) - entries.length + 1;
    // Checked against its schema by its writer (the engine's journal writer); parsed again on read.
    const full = entries.map((entry, i) => ({ ...entry, seq: first + i }) as JournalEntry);
    await Promise.all(
      full.map((entry) =>
        this.put(
          this.state,
          `EXEC#${executionId}`,
          `JOURNAL#${String(entry.seq).padStart(8, '0')}`,
          entry,
        ),
      ),
    );
    return full;
  }

  async journal(executionId: string, afterSeq = 0): Promise<JournalEntry[]> {
    return (
      await this.query(
        this.state,
        `EXEC#${executionId}`,
        'JOURNAL#',
        `JOURNAL#${String(afterSeq).padStart(8, '0')}`,
      )
    ).map((doc) => JournalEntrySchema.parse(doc));
  }

  async putGate(gate: Gate): Promise<void> {
    await this.put(this.guarded, `EXEC#${gate.executionId}`, `GATE#${gate.gateId}`, gate, {
      extra: { answered: gate.answers.length },
    });
    // An index of open gates by expiry, for the sweeper that ends what nobody answered.
    if (gate.status === 'open')
      await this.put(this.guarded, OPEN_GATES, dueKey(gate), {
        executionId: gate.executionId,
        gateId: gate.gateId,
      });
  }

  async getGate(executionId: string, gateId: string): Promise<Gate> {
    return GateSchema.parse(
      await this.get(this.guarded, `EXEC#${executionId}`, `GATE#${gateId}`, `Gate ${gateId}`),
    );
  }

  async saveGateAnswer(gate: Gate, answersBefore: number): Promise<void> {
    try {
      await this.put(this.guarded, `EXEC#${gate.executionId}`, `GATE#${gate.gateId}`, gate, {
        condition: 'answered = :before',
        extra: { answered: gate.answers.length },
        values: { ':before': answersBefore },
      });
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new ConcurrentUpdateError(`The ${gate.kind}`);
      throw error;
    }
    if (gate.status !== 'open')
      await this.guarded.documents.send(
        new DeleteCommand({
          TableName: this.guarded.table,
          Key: { pk: OPEN_GATES, sk: dueKey(gate) },
        }),
      );
  }

  async openGates(executionId: string): Promise<Gate[]> {
    return (await this.query(this.guarded, `EXEC#${executionId}`, 'GATE#'))
      .map((doc) => GateSchema.parse(doc))
      .filter((g) => g.status === 'open');
  }

  async dueGates(before: number): Promise<{ executionId: string; gateId: string }[]> {
    const docs = await this.queryAll(this.guarded, {
      KeyConditionExpression: 'pk = :pk AND sk < :before',
      ExpressionAttributeValues: { ':pk': OPEN_GATES, ':before': String(before).padStart(15, '0') },
    });
    return docs.map((doc) => GateRefSchema.parse(doc));
  }

  async expireGate(gate: Gate): Promise<void> {
    await this.saveGateAnswer({ ...gate, status: 'expired' }, gate.answers.length);
  }

  async listRuns(customerId: string, limit: number): Promise<RunIndexEntry[]> {
    const out = await this.documents.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': `CUSTOMER#${customerId}`, ':prefix': 'RUN#' },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map((item) => RunIndexEntrySchema.parse(item.doc));
  }

  async saveRunSummary(entry: RunIndexEntry): Promise<void> {
    await this.put(
      this.state,
      `CUSTOMER#${entry.customerId}`,
      runKey(entry.startedAt, entry.executionId),
      entry,
    );
  }

  /**
   * Audit entries have a partition of their own (`AUDIT#<customer>`), so IAM can let only the
   * bot's ingress write there (`dynamodb:LeadingKeys`, infra/constructs/state-table.ts).
   */
  async appendAudit(customerId: string, entry: AuditEntry): Promise<void> {
    const sk = `AUDIT#${String(entry.at).padStart(15, '0')}#${Math.random().toString(36).slice(2, 10)}`;
    await this.put(this.state, auditPartition(customerId), sk, AuditEntrySchema.parse(entry));
  }

  /** The customer's audit log, oldest first; entries written before their own partition too. */
  async auditLog(customerId: string): Promise<AuditEntry[]> {
    const [earlier, own] = await Promise.all([
      this.query(this.state, `CUSTOMER#${customerId}`, 'AUDIT#'),
      this.query(this.state, auditPartition(customerId), 'AUDIT#'),
    ]);
    // Each partition is in time order; sorting by time (stable) keeps ties as they were.
    return [...earlier, ...own]
      .map((doc) => AuditEntrySchema.parse(doc))
      .sort((a, b) => a.at - b.at);
  }

  async getNotice(executionId: string): Promise<{ doc: unknown; version: number } | undefined> {
    const out = await this.documents.send(
      new GetCommand({
        TableName: this.table,
        Key: { pk: `EXEC#${executionId}`, sk: 'NOTICE' },
        ConsistentRead: true,
      }),
    );
    if (!out.Item) return undefined;
    return { doc: out.Item.doc, version: Number(out.Item.version) };
  }

  async putNotice(executionId: string, doc: unknown, expectedVersion: number): Promise<void> {
    try {
      await this.put(this.state, `EXEC#${executionId}`, 'NOTICE', doc, {
        condition: expectedVersion === 0 ? 'attribute_not_exists(pk)' : 'version = :v',
        extra: { version: expectedVersion + 1 },
        ...(expectedVersion === 0 ? {} : { values: { ':v': expectedVersion } }),
      });
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new ConcurrentUpdateError(`The Slack messages of run ${executionId}`);
      throw error;
    }
  }

  private async put(
    target: Target,
    pk: string,
    sk: string,
    doc: unknown,
    options: { condition?: string; extra?: Attributes; values?: Attributes } = {},
  ): Promise<void> {
    await target.documents.send(
      new PutCommand({
        TableName: target.table,
        Item: { pk, sk, doc, ...options.extra },
        ...(options.condition ? { ConditionExpression: options.condition } : {}),
        ...(options.values ? { ExpressionAttributeValues: options.values } : {}),
      }),
    );
  }

  /** The record's document, or undefined when there is no such record. */
  private async find(target: Target, pk: string, sk: string): Promise<unknown> {
    const out = await target.documents.send(
      new GetCommand({ TableName: target.table, Key: { pk, sk }, ConsistentRead: true }),
    );
    return out.Item?.doc;
  }

  private async get(target: Target, pk: string, sk: string, what: string): Promise<unknown> {
    const doc = await this.find(target, pk, sk);
    if (doc === undefined) throw new NotFoundError(what);
    return doc;
  }

  /** Every record under `pk` whose sort key starts with `prefix` (and sorts after `after`). */
  private query(target: Target, pk: string, prefix: string, after?: string): Promise<unknown[]> {
    return this.queryAll(
      target,
      after
        ? {
            KeyConditionExpression: 'pk = :pk AND sk BETWEEN :after AND :end',
            ExpressionAttributeValues: { ':pk': pk, ':after': `${after}~`, ':end': `${prefix}~` },
          }
        : {
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
          },
    );
  }

  /** The documents of every page of a consistent query. */
  private async queryAll(
    target: Target,
    input: Pick<QueryCommandInput, 'KeyConditionExpression' | 'ExpressionAttributeValues'>,
  ): Promise<unknown[]> {
    const docs: unknown[] = [];
    for await (const page of paginateQuery(
      { client: target.documents },
      { TableName: target.table, ConsistentRead: true, ...input },
    ))
      for (const item of page.Items ?? []) docs.push(item.doc);
    return docs;
  }
}

function documentsOf(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/**
 * The strong table's client: what it refuses (a replica cut off from a majority of its regions
 * answers 500) reaches callers as an AwsCallError naming the replica's region, which the bot
 * shows; a failed condition stays the SDK's, for the store to read.
 */
function strongDocumentsOf(strong: StrongTable): DynamoDBDocumentClient {
  const documents = documentsOf(strong.client);
  documents.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) throw error;
        const site = { service: 'dynamodb', region: strong.region };
        throw mapAwsError(error, site, context.commandName ?? 'a call');
      }
    },
    { step: 'initialize', name: 'lifeboatStrongTableErrors', override: true },
  );
  return documents;
}

async function createTable(client: DynamoDBClient, table: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
}
