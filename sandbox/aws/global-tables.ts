import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';
import {
  reachesStrongMajority,
  STRONG_CONSISTENCY_REGIONS,
} from '../../orchestrator/domain/strong-replicas.ts';
import type { SimClock } from './clock.ts';
import type { FaultSet } from './faults.ts';

export interface GlobalTablesOptions {
  clock: SimClock;
  faults: FaultSet;
  /** The eventually consistent tables' replicas. @default the four US regions */
  regions?: readonly string[];
  /** Tables of the multi-Region strongly consistent (MRSC) set: one order of writes. */
  strongTables?: readonly string[];
  /** Virtual ms before a write reaches the other replicas. @default 1000 */
  replicationDelayMs?: number;
}

type Attributes = Record<string, unknown>;
/** An item's last write: when (virtual ms), then a tie-break in arrival order. */
type Version = readonly [time: number, seq: number];

interface Replication {
  from: string;
  to: string;
  table: string;
  key: Attributes;
  /** The item after the write, undefined when it was deleted. */
  image: Attributes | undefined;
  version: Version;
  dueAt: number;
}

interface Replica {
  region: string;
  server: Server;
  url: string;
  /** Each item's last applied write, by table and key: what last-writer-wins compares. */
  versions: Map<string, Version>;
  /** Writes to this replica, one at a time: a local write and an arriving one never interleave. */
  queue: Promise<unknown>;
}

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);
const READS = new Set(['GetItem', 'Query', 'Scan']);
const TABLE_CHANGES = new Set(['CreateTable', 'DeleteTable', 'UpdateTable']);
const US_REGIONS = ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2'];
const JSON_TYPE = 'application/x-amz-json-1.0';
const SCOPE = /Credential=[^/,\s]+\/\d{8}\/([a-z0-9-]+)\/dynamodb\/aws4_request/;

/**
 * DynamoDB as a global table is, on one machine: one endpoint that tells regions apart by each
 * request's SigV4 scope, as the other simulators do.
 *
 * - **Eventually consistent tables** (multi-Region eventual consistency, the default): one
 *   dynalite per region. A write lands on the caller's replica and reaches each other replica
 *   `replicationDelayMs` later (virtual time), where the item's latest write wins (by time,
 *   then arrival); conditions are checked against the local replica only. A write bound for a
 *   region partitioned from its source (`partition:<a>|<b>`) or down waits, and arrives after.
 * - **Strongly consistent tables** (MRSC, in us-east-1, us-east-2 and us-west-2): one dynalite,
 *   so every conditional write of every region falls in one order. A caller whose region does
 *   not reach a majority of the three (itself included) is refused its writes and strongly
 *   consistent reads with a 500, as a replica that cannot reach a quorum cannot answer them
 *   (eventually consistent reads are still served); a region outside the set has no replica.
 *
 * Time moves only with the clock: due replication is delivered before each request is served.
 */
export class GlobalTables {
  private readonly replicas = new Map<string, Replica>();
  private strong?: Replica;
  private server?: Server;
  private baseUrl = '';
  private pending: Replication[] = [];
  private settling: Promise<unknown> = Promise.resolve();
  private seq = 0;
  /** Each table's key attribute names, from its CreateTable. */
  private readonly keys = new Map<string, string[]>();
  private readonly strongTables: Set<string>;

  constructor(private readonly options: GlobalTablesOptions) {
    this.strongTables = new Set(options.strongTables ?? []);
    const delay = options.replicationDelayMs ?? 1000;
    if (!(delay >= 0))
      throw new RangeError(`replicationDelayMs must be 0 or more, not ${String(delay)}`);
  }

  async start(): Promise<this> {
    for (const region of this.options.regions ?? US_REGIONS)
      this.replicas.set(region, await startReplica(region));
    this.strong = await startReplica('strong');
    this.server = createServer((req, res) => void this.serve(req, res));
    this.server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  get url(): string {
    return this.baseUrl;
  }

  /** Writes not yet delivered, for tests and the control endpoint. */
  get pendingReplication(): number {
    return this.pending.length;
  }

  async stop(): Promise<void> {
    // Writes under way finish first: a replica's database closes under none of them.
    await Promise.all([...this.replicas.values()].map((r) => r.queue));
    const servers = [
      this.server,
      this.strong?.server,
      ...[...this.replicas.values()].map((r) => r.server),
    ];
    for (const server of servers) {
      if (!server) continue;
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  /**
   * Delivers every write that is due and whose way is open; the rest waits. One delivery at a
   * time: a request that comes meanwhile is served after what was due when it came.
   */
  settle(): Promise<void> {
    const next = this.settling.then(() => this.deliverDue());
    this.settling = next.catch(() => undefined);
    return next;
  }

  private async deliverDue(): Promise<void> {
    const now = this.options.clock.now();
    const ready = this.pending.filter((r) => r.dueAt <= now && this.linked(r.from, r.to));
    if (ready.length === 0) return;
    this.pending = this.pending.filter((r) => !ready.includes(r));
    for (const replication of ready) await this.deliver(replication);
  }

  private linked(from: string, to: string): boolean {
    const { faults } = this.options;
    return (
      !faults.isRegionDown(to) && !faults.isRegionDown(from) && !faults.isPartitioned(from, to)
    );
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
    try {
      return await this.answer(req, res);
    } catch (error) {
      if (res.headersSent) return res.end();
      return reply(res, 500, {
        __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
        message: `Local global table bug: ${String(error)}`,
      });
    }
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const region = SCOPE.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    if (this.options.faults.isRegionDown(region)) {
      req.socket.destroy();
      return;
    }
    await this.settle();
    const input = parse(body);
    const table = typeof input.TableName === 'string' ? input.TableName : undefined;
    if (operation === 'ListTables') return this.forward(this.replicaOf(region), req, body, res);
    if (!table || operation === 'BatchWriteItem' || operation.startsWith('Transact'))
      return reply(res, 400, {
        __type: 'com.amazonaws.dynamodb.v20120810#ValidationException',
        message: `The local global table models single-item calls on one table; ${operation || 'this call'} is not one.`,
      });
    if (this.strongTables.has(table)) return this.serveStrong(region, operation, req, body, res);
    const replica = this.replicaOf(region);
    if (!replica)
      return reply(res, 400, resourceNotFound(`Table ${table} has no replica in ${region}.`));
    if (TABLE_CHANGES.has(operation)) return this.changeTables(operation, input, req, body, res);
    if (!WRITES.has(operation)) return this.forward(replica, req, body, res);
    // The write is on its way to the other replicas before its caller hears it landed.
    await this.serial(replica, async () => {
      const answer = await call(replica, operation, body, req);
      if (answer.status === 200) await this.replicate(replica, table, operation, input);
      res.writeHead(answer.status, { 'content-type': JSON_TYPE });
      res.end(answer.body);
    });
  }

  private serveStrong(
    region: string,
    operation: string,
    req: IncomingMessage,
    body: string,
    res: ServerResponse,
  ): Promise<unknown> {
    const strong = this.strong as Replica;
    if (!(STRONG_CONSISTENCY_REGIONS as readonly string[]).includes(region))
      return Promise.resolve(
        reply(
          res,
          400,
          resourceNotFound(
            `The strongly consistent table has replicas in ${STRONG_CONSISTENCY_REGIONS.join(', ')}, not in ${region}.`,
          ),
        ),
      );
    const reachable = (other: string) =>
      !this.options.faults.isRegionDown(other) && !this.options.faults.isPartitioned(region, other);
    // An eventually consistent read is served locally even so (here from the one order, which
    // may be fresher than an isolated replica would be).
    const eventualRead = READS.has(operation) && parse(body).ConsistentRead !== true;
    if (!eventualRead && !reachesStrongMajority(region, reachable))
      return Promise.resolve(
        reply(res, 500, {
          __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
          message: `The replica in ${region} cannot reach a majority of its table's Regions; ${operation} was not served.`,
        }),
      );
    if (operation === 'CreateTable') this.rememberKeys(parse(body));
    return this.forward(strong, req, body, res);
  }

  /** A table change reaches every replica at once (each region's table is created with it). */
  private async changeTables(
    operation: string,
    input: Attributes,
    req: IncomingMessage,
    body: string,
    res: ServerResponse,
  ): Promise<void> {
    if (operation === 'CreateTable') this.rememberKeys(input);
    const answers = await Promise.all(
      [...this.replicas.values()].map((replica) => call(replica, operation, body, req)),
    );
    const first = answers[0] ?? { status: 500, body: '{}' };
    res.writeHead(first.status, { 'content-type': JSON_TYPE });
    res.end(first.body);
  }

  private rememberKeys(input: Attributes): void {
    const schema = input.KeySchema as { AttributeName: string }[] | undefined;
    if (typeof input.TableName === 'string' && schema)
      this.keys.set(
        input.TableName,
        schema.map((k) => k.AttributeName),
      );
  }

  /** Reads the written item back from the replica it landed on, and sends it on its way. */
  private async replicate(
    replica: Replica,
    table: string,
    operation: string,
    input: Attributes,
  ): Promise<void> {
    const names = this.keys.get(table) ?? (await this.describeKeys(replica, table));
    const source = (operation === 'PutItem' ? input.Item : input.Key) as Attributes;
    const key = Object.fromEntries(names.map((name) => [name, source[name]]));
    const read = await call(
      replica,
      'GetItem',
      JSON.stringify({ TableName: table, Key: key, ConsistentRead: true }),
    );
    const image = (parse(read.body).Item as Attributes | undefined) ?? undefined;
    const version: Version = [this.options.clock.now(), ++this.seq];
    replica.versions.set(itemId(table, key), version);
    const dueAt = this.options.clock.now() + (this.options.replicationDelayMs ?? 1000);
    for (const to of this.replicas.keys())
      if (to !== replica.region)
        this.pending.push({ from: replica.region, to, table, key, image, version, dueAt });
  }

  private async describeKeys(replica: Replica, table: string): Promise<string[]> {
    const out = parse(
      (await call(replica, 'DescribeTable', JSON.stringify({ TableName: table }))).body,
    );
    this.rememberKeys({
      TableName: table,
      KeySchema: (out.Table as Attributes | undefined)?.KeySchema,
    });
    return this.keys.get(table) ?? [];
  }

  /** Applies an arriving write unless the replica holds a later one of the item (last writer wins). */
  private deliver(replication: Replication): Promise<void> {
    const replica = this.replicas.get(replication.to) as Replica;
    return this.serial(replica, async () => {
      const id = itemId(replication.table, replication.key);
      const held = replica.versions.get(id);
      if (held && later(held, replication.version)) return;
      replica.versions.set(id, replication.version);
      const { table, key, image } = replication;
      await (image
        ? call(replica, 'PutItem', JSON.stringify({ TableName: table, Item: image }))
        : call(replica, 'DeleteItem', JSON.stringify({ TableName: table, Key: key })));
    });
  }

  private serial(replica: Replica, work: () => Promise<void>): Promise<void> {
    const next = replica.queue.then(work);
    replica.queue = next.catch(() => undefined);
    return next;
  }

  private replicaOf(region: string): Replica | undefined {
    return this.replicas.get(region);
  }

  /** Passes the request to a replica and its answer back; returns the status. */
  private async forward(
    replica: Replica | undefined,
    req: IncomingMessage,
    body: string,
    res: ServerResponse,
  ): Promise<{ status: number }> {
    if (!replica) {
      reply(res, 400, resourceNotFound('No replica in this region.'));
      return { status: 400 };
    }
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    const answer = await call(replica, operation, body, req);
    res.writeHead(answer.status, { 'content-type': JSON_TYPE });
    res.end(answer.body);
    return answer;
  }
}

async function startReplica(region: string): Promise<Replica> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }) as Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { region, server, url, versions: new Map(), queue: Promise.resolve() };
}

/** One call to a replica's dynalite, signed as dynalite checks (it verifies no signature). */
async function call(
  replica: Replica,
  operation: string,
  body: string,
  original?: IncomingMessage,
): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = {
    'content-type': JSON_TYPE,
    'x-amz-target': `DynamoDB_20120810.${operation}`,
    'x-amz-date': '20260101T000000Z',
    authorization:
      'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0',
  };
  if (original?.headers.authorization) headers.authorization = original.headers.authorization;
  if (typeof original?.headers['x-amz-date'] === 'string')
    headers['x-amz-date'] = original.headers['x-amz-date'];
  const response = await fetch(replica.url, { method: 'POST', headers, body });
  return { status: response.status, body: await response.text() };
}

function parse(body: string): Attributes {
  try {
    return JSON.parse(body || '{}') as Attributes;
  } catch {
    return {};
  }
}

function reply(res: ServerResponse, status: number, body: unknown): { status: number } {
  res.writeHead(status, { 'content-type': JSON_TYPE });
  res.end(JSON.stringify(body));
  return { status };
}

function resourceNotFound(message: string) {
  return { __type: 'com.amazonaws.dynamodb.v20120810#ResourceNotFoundException', message };
}

function itemId(table: string, key: Attributes): string {
  return `${table}\u0000${JSON.stringify(Object.entries(key).sort(([a], [b]) => a.localeCompare(b)))}`;
}

function later(a: Version, b: Version): boolean {
  return a[0] !== b[0] ? a[0] > b[0] : a[1] > b[1];
}
