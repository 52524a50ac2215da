import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ResourceInUseException,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
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
  type JournalEntry,
  JournalEntrySchema,
  type RunIndexEntry,
  RunIndexEntrySchema,
  type StepRecord,
  StepRecordSchema,
} from '../domain/execution.ts';
import type { StateStore } from '../ports/state-store.ts';

type Item = Record<string, { S: string } | { N: string }>;

const OPEN_GATES = 'GATES#OPEN';
const dueKey = (gate: Gate) =>
  `${String(gate.expiresAt).padStart(15, '0')}#${gate.executionId}#${gate.gateId}`;

const runKey = (startedAt: number, executionId: string) =>
  `RUN#${String(startedAt).padStart(15, '0')}#${executionId}`;

const s = (value: string) => ({ S: value });
const n = (value: number) => ({ N: String(value) });

/**
 * The state table: `pk`/`sk` strings, documents as JSON in `doc`. Locks and gate answers use
 * conditional writes (dynalite has no transactions, and none are needed).
 */
export class DynamoDbStateStore implements StateStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  /** Creates the table when it does not exist (local runs; deployed tables come from CDK). */
  async ensureTable(): Promise<void> {
    try {
      await this.client.send(
        new CreateTableCommand({
          TableName: this.table,
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

  async acquireLock(
    customerId: string,
    executionId: string,
    now: number,
    staleAfterMs: number,
  ): Promise<void> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            pk: s(`CUSTOMER#${customerId}`),
            sk: s('LOCK'),
            executionId: s(executionId),
            takenAt: n(now),
          },
          ConditionExpression: 'attribute_not_exists(pk) OR takenAt < :stale OR executionId = :me',
          ExpressionAttributeValues: { ':stale': n(now - staleAfterMs), ':me': s(executionId) },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const held = await this.client.send(
        new GetItemCommand({
          TableName: this.table,
          Key: { pk: s(`CUSTOMER#${customerId}`), sk: s('LOCK') },
        }),
      );
      throw new OperationInProgressError(
        customerId,
        (held.Item?.executionId as { S?: string } | undefined)?.S ?? 'unknown',
      );
    }
  }

  async releaseLock(customerId: string, executionId: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: { pk: s(`CUSTOMER#${customerId}`), sk: s('LOCK') },
          ConditionExpression: 'executionId = :me',
          ExpressionAttributeValues: { ':me': s(executionId) },
        }),
      );
    } catch (error) {
      // Someone took over a stale lock: it is theirs now, and not ours to release.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async createExecution(execution: Execution): Promise<void> {
    try {
      await this.put(
        `EXEC#${execution.executionId}`,
        'META',
        execution,
        'attribute_not_exists(pk)',
        { seq: n(0) },
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new ConcurrentUpdateError(`Execution ${execution.executionId}`);
      throw error;
    }
    const { executionId, customerId, operation, requestedBy, startedAt } = execution;
    await this.saveRunSummary({ executionId, customerId, operation, requestedBy, startedAt });
  }

  async saveRunSummary(entry: RunIndexEntry): Promise<void> {
    await this.put(
      `CUSTOMER#${entry.customerId}`,
      runKey(entry.startedAt, entry.executionId),
      entry,
    );
  }

  async listRuns(customerId: string, limit: number): Promise<RunIndexEntry[]> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': s(`CUSTOMER#${customerId}`), ':prefix': s('RUN#') },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map((item) =>
      RunIndexEntrySchema.parse(JSON.parse((item.doc as { S: string }).S)),
    );
  }

  async activeRun(customerId: string): Promise<string | undefined> {
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.table,
        Key: { pk: s(`CUSTOMER#${customerId}`), sk: s('LOCK') },
        ConsistentRead: true,
      }),
    );
    return (out.Item?.executionId as { S?: string } | undefined)?.S;
  }

  async appendAudit(customerId: string, entry: AuditEntry): Promise<void> {
    const sk = `AUDIT#${String(entry.at).padStart(15, '0')}#${Math.random().toString(36).slice(2, 10)}`;
    await this.put(`CUSTOMER#${customerId}`, sk, AuditEntrySchema.parse(entry));
  }

  async auditLog(customerId: string): Promise<AuditEntry[]> {
    return (await this.query(`CUSTOMER#${customerId}`, 'AUDIT#')).map((doc) =>
      AuditEntrySchema.parse(doc),
    );
  }

  async getNotice(executionId: string): Promise<{ doc: unknown; version: number } | undefined> {
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.table,
        Key: { pk: s(`EXEC#${executionId}`), sk: s('NOTICE') },
        ConsistentRead: true,
      }),
    );
    if (!out.Item) return undefined;
    return {
      doc: JSON.parse((out.Item.doc as { S: string }).S),
      version: Number((out.Item.version as { N: string }).N),
    };
  }

  async putNotice(executionId: string, doc: unknown, expectedVersion: number): Promise<void> {
    try {
      await this.put(
        `EXEC#${executionId}`,
        'NOTICE',
        doc,
        expectedVersion === 0 ? 'attribute_not_exists(pk)' : 'version = :v',
        { version: n(expectedVersion + 1) },
        expectedVersion === 0 ? undefined : { ':v': n(expectedVersion) },
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new ConcurrentUpdateError(`The Slack messages of run ${executionId}`);
      throw error;
    }
  }

  async getExecution(executionId: string): Promise<Execution> {
    return ExecutionSchema.parse(
      await this.get(`EXEC#${executionId}`, 'META', `Execution ${executionId}`),
    );
  }

  /** Rewrites the document only: the journal's counter lives on the same item and must survive. */
  async updateExecution(executionId: string, patch: Partial<Execution>): Promise<void> {
    const current = await this.getExecution(executionId);
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: { pk: s(`EXEC#${executionId}`), sk: s('META') },
        UpdateExpression: 'SET doc = :doc',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':doc': s(JSON.stringify({ ...current, ...patch })) },
      }),
    );
  }

  async getSteps(executionId: string): Promise<Map<string, StepRecord>> {
    const items = await this.query(`EXEC#${executionId}`, 'STEP#');
    return new Map(items.map((doc) => StepRecordSchema.parse(doc)).map((r) => [r.stepId, r]));
  }

  /** One step's record, read alone: a poll needs its own step, not every step of the run. */
  async getStep(executionId: string, stepId: string): Promise<StepRecord | undefined> {
    try {
      return StepRecordSchema.parse(
        await this.get(`EXEC#${executionId}`, `STEP#${stepId}`, `Step ${stepId}`),
      );
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  async putStep(executionId: string, record: StepRecord): Promise<void> {
    await this.put(`EXEC#${executionId}`, `STEP#${record.stepId}`, record);
  }

  async append(executionId: string, entry: Omit<JournalEntry, 'seq'>): Promise<JournalEntry> {
    const counter = await this.client.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: { pk: s(`EXEC#${executionId}`), sk: s('META') },
        UpdateExpression: 'ADD seq :one',
        ExpressionAttributeValues: { ':one': n(1) },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    const seq = Number((counter.Attributes?.seq as { N?: string } | undefined)?.N ?? 0);
    const full = JournalEntrySchema.parse({ ...entry, seq });
    await this.put(`EXEC#${executionId}`, `JOURNAL#${String(seq).padStart(8, '0')}`, full);
    return full;
  }

  async journal(executionId: string, afterSeq = 0): Promise<JournalEntry[]> {
    return (
      await this.query(
        `EXEC#${executionId}`,
        'JOURNAL#',
        `JOURNAL#${String(afterSeq).padStart(8, '0')}`,
      )
    ).map((doc) => JournalEntrySchema.parse(doc));
  }

  async putGate(gate: Gate): Promise<void> {
    await this.put(`EXEC#${gate.executionId}`, `GATE#${gate.gateId}`, gate, undefined, {
      answered: n(gate.answers.length),
    });
    // An index of open gates by expiry, for the sweeper that ends what nobody answered.
    if (gate.status === 'open')
      await this.put(OPEN_GATES, dueKey(gate), {
        executionId: gate.executionId,
        gateId: gate.gateId,
      });
  }

  async dueGates(before: number): Promise<{ executionId: string; gateId: string }[]> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND sk < :before',
        ExpressionAttributeValues: {
          ':pk': s(OPEN_GATES),
          ':before': s(String(before).padStart(15, '0')),
        },
        ConsistentRead: true,
      }),
    );
    return (out.Items ?? []).map(
      (item) =>
        JSON.parse((item.doc as { S: string }).S) as { executionId: string; gateId: string },
    );
  }

  async expireGate(gate: Gate): Promise<void> {
    await this.saveGateAnswer({ ...gate, status: 'expired' }, gate.answers.length);
  }

  async getGate(executionId: string, gateId: string): Promise<Gate> {
    return GateSchema.parse(
      await this.get(`EXEC#${executionId}`, `GATE#${gateId}`, `Gate ${gateId}`),
    );
  }

  async saveGateAnswer(gate: Gate, answersBefore: number): Promise<void> {
    await this.saveGate(gate, answersBefore);
    if (gate.status !== 'open') {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: { pk: s(OPEN_GATES), sk: s(dueKey(gate)) },
        }),
      );
    }
  }

  private async saveGate(gate: Gate, answersBefore: number): Promise<void> {
    try {
      await this.put(
        `EXEC#${gate.executionId}`,
        `GATE#${gate.gateId}`,
        gate,
        'answered = :before',
        { answered: n(gate.answers.length) },
        { ':before': n(answersBefore) },
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new ConcurrentUpdateError(`The ${gate.kind}`);
      throw error;
    }
  }

  async openGates(executionId: string): Promise<Gate[]> {
    return (await this.query(`EXEC#${executionId}`, 'GATE#'))
      .map((doc) => GateSchema.parse(doc))
      .filter((g) => g.status === 'open');
  }

  private async put(
    pk: string,
    sk: string,
    doc: unknown,
    condition?: string,
    extra: Item = {},
    values?: Item,
  ): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.table,
        Item: { pk: s(pk), sk: s(sk), doc: s(JSON.stringify(doc)), ...extra },
        ...(condition ? { ConditionExpression: condition } : {}),
        ...(values ? { ExpressionAttributeValues: values } : {}),
      }),
    );
  }

  private async get(pk: string, sk: string, what: string): Promise<unknown> {
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.table,
        Key: { pk: s(pk), sk: s(sk) },
        ConsistentRead: true,
      }),
    );
    const doc = (out.Item?.doc as { S?: string } | undefined)?.S;
    if (!doc) throw new NotFoundError(what);
    return JSON.parse(doc);
  }

  /** Every item under `pk` whose sort key starts with `prefix` (and sorts after `after`). */
  private async query(pk: string, prefix: string, after?: string): Promise<unknown[]> {
    const docs: unknown[] = [];
    let start: Record<string, never> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: after
            ? 'pk = :pk AND sk BETWEEN :after AND :end'
            : 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: after
            ? { ':pk': s(pk), ':after': s(`${after}~`), ':end': s(`${prefix}~`) }
            : { ':pk': s(pk), ':prefix': s(prefix) },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of out.Items ?? []) docs.push(JSON.parse((item.doc as { S: string }).S));
      start = out.LastEvaluatedKey as Record<string, never> | undefined;
    } while (start);
    return docs;
  }
}
