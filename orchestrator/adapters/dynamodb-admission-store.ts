import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  type AdmissionDecision,
  type AdmissionRequest,
  type BudgetKey,
  type BudgetLimits,
  type BudgetState,
  BudgetStateSchema,
  decideAdmission,
  emptyBudget,
  type LeaseChange,
  releaseLease,
  renewLease,
} from '../domain/admission.ts';
import { ConcurrentUpdateError } from '../domain/errors.ts';
import type { AdmissionStore } from '../ports/admission.ts';

/** How often a write that lost a race is tried again before giving up. */
const MAX_ATTEMPTS = 25;

const budgetKey = (key: BudgetKey) => ({
  pk: `ADMISSION#${key.account}#${key.region}`,
  sk: 'BUDGET',
});

/**
 * DRS budgets in the state table: one item per account and region (`ADMISSION#<account>#<region>`)
 * holding its leases, its queue and its last fencing token in `doc`, beside a `version` that
 * every write compares and increments (optimistic concurrency: dynalite, and DynamoDB's
 * multi-Region strong consistency, have no transactions). A write that lost the race reads the
 * budget again and decides again.
 */
export class DynamoDbAdmissionStore implements AdmissionStore {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly table: string,
    private readonly pause: (attempt: number) => Promise<void> = jitter,
  ) {
    this.documents = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  acquire(
    request: AdmissionRequest,
    limits: BudgetLimits,
    now: number,
  ): Promise<AdmissionDecision> {
    // The limits come from the runbook settings, the same for every run: the latest asker's hold.
    return this.change(request, (state) => {
      const decision = decideAdmission({ ...(state ?? emptyBudget(limits)), limits }, request, now);
      return { result: decision, next: decision.state };
    });
  }

  renew(key: BudgetKey, token: number, now: number): Promise<LeaseChange> {
    return this.change(key, (state) => {
      const change = renewLease(state ?? emptyBudget({ jobs: 1, servers: 1 }), token, now);
      return { result: change, ...(change.kind === 'applied' ? { next: change.state } : {}) };
    });
  }

  release(key: BudgetKey, token: number, now: number): Promise<LeaseChange> {
    return this.change(key, (state) => {
      const change = releaseLease(state ?? emptyBudget({ jobs: 1, servers: 1 }), token, now);
      return { result: change, ...(change.kind === 'applied' ? { next: change.state } : {}) };
    });
  }

  async budget(key: BudgetKey): Promise<BudgetState | undefined> {
    return (await this.read(key)).state;
  }

  /**
   * Reads the budget, applies `decide`, and writes what it returns only if the version is still
   * the one read; a lost race starts over from a fresh read.
   */
  private async change<T>(
    key: BudgetKey,
    decide: (state: BudgetState | undefined) => { result: T; next?: BudgetState },
  ): Promise<T> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      const { state, version } = await this.read(key);
      const { result, next } = decide(state);
      if (!next) return result;
      try {
        await this.documents.send(
          new PutCommand({
            TableName: this.table,
            Item: { ...budgetKey(key), doc: BudgetStateSchema.parse(next), version: version + 1 },
            ...(version === 0
              ? { ConditionExpression: 'attribute_not_exists(pk)' }
              : {
                  ConditionExpression: 'version = :v',
                  ExpressionAttributeValues: { ':v': version },
                }),
          }),
        );
        return result;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        await this.pause(attempt);
      }
    }
    throw new ConcurrentUpdateError(`The DRS budget of account ${key.account} in ${key.region}`);
  }

  private async read(key: BudgetKey): Promise<{ state?: BudgetState; version: number }> {
    const out = await this.documents.send(
      new GetCommand({
        TableName: this.table,
        Key: budgetKey({ account: key.account, region: key.region }),
        ConsistentRead: true,
      }),
    );
    if (!out.Item) return { version: 0 };
    return { state: BudgetStateSchema.parse(out.Item.doc), version: Number(out.Item.version) };
  }
}

/** A short random wait, so racing writers do not collide again in step. */
function jitter(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(200, 10 * attempt);
  return new Promise((resolve) => setTimeout(resolve, ms));
}
