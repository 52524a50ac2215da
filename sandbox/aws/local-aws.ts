import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';
import type { Plan } from '../../orchestrator/domain/plan.ts';
import { ARC_ENDPOINT_REGIONS, type ClusterEndpoint } from '../../orchestrator/domain/routing.ts';
import { TOOLING_ACCOUNT } from './accounts.ts';
import { VirtualClock } from './clock.ts';
import { type DnsAddress, DnsServer } from './dns-server.ts';
import { AwsError } from './errors.ts';
import { Estate } from './estate.ts';
import {
  type CrashKind,
  type Fault,
  FaultSet,
  FaultSyntaxError,
  formatFault,
  parseFault,
} from './faults.ts';
import { GlobalTables, type GlobalTablesOptions } from './global-tables.ts';
import { localWorkloadIam, type WorkloadIam } from './iam.ts';
import { json, type SimRequest, type SimResponse, type SimService } from './protocol.ts';
import { SeededRandom } from './random.ts';
import { ArcService } from './services/arc.ts';
import { CloudFormationService } from './services/cloudformation.ts';
import { DrsService } from './services/drs.ts';
import { Ec2Service } from './services/ec2.ts';
import { LambdaService } from './services/lambda.ts';
import { Route53Service } from './services/route53.ts';
import { S3Service } from './services/s3.ts';
import { SsmService } from './services/ssm.ts';
import { StsService } from './services/sts.ts';

export { TOOLING_ACCOUNT };

export interface LocalAwsOptions {
  plans: readonly Plan[];
  /** Virtual seconds per real second. @default 1 */
  speed?: number;
  seed?: number;
  faults?: readonly (Fault | string)[];
  /** Virtual time at start. @default real now */
  start?: number;
  /** @default 0, any free port */
  port?: number;
  /** Also start dynalite for DynamoDB. @default true */
  dynamodb?: boolean;
  /**
   * DynamoDB as global tables: a replica per region with replication delay, and the named
   * strongly consistent tables (see `GlobalTables`). @default undefined: one dynalite, every
   * region seeing the same table at once
   */
  globalTables?: Pick<GlobalTablesOptions, 'strongTables' | 'replicationDelayMs' | 'regions'>;
  /** Evaluate every call made with a workload role's credentials against the role's synthesized policies. @default true */
  iam?: boolean;
  /** A DNS server on loopback (UDP) answering from Route 53's resolver. @default undefined, none; 0 for any free port */
  dnsPort?: number;
}

export interface Endpoints {
  drs: string;
  ec2: string;
  route53: string;
  ssm: string;
  sts: string;
  lambda: string;
  cloudformation: string;
  s3: string;
  dynamodb: string;
}

const SCOPE = /Credential=([^/,\s]+)\/\d{8}\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request/;
/** Global services (by signing name) and the region their control plane runs in. */
const GLOBAL_HOMES: Readonly<Record<string, string>> = { route53: 'us-east-1', iam: 'us-east-1' };
/** The same scope in a presigned URL's `X-Amz-Credential` (S3's shareable links). */
const PRESIGNED_SCOPE = /^([^/,\s]+)\/\d{8}\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request$/;

/** A task that died at a crash fault: where, and which call. */
export interface TaskCrash {
  kind: CrashKind;
  service: string;
  operation: string;
  region: string;
}

/**
 * The local AWS: one loopback HTTP server that answers every simulated service, told apart by
 * the SigV4 credential scope of each request (which also gives the region), plus dynalite.
 */
export class LocalAws {
  readonly clock: VirtualClock;
  readonly faults: FaultSet;
  readonly random: SeededRandom;
  readonly estate: Estate;
  readonly services = new Map<string, SimService>();
  /** ARC's cluster data plane, for tests to read and arrange routing controls and safety rules. */
  readonly arc: ArcService;
  /** IAM for the workload roles' calls (undefined with `iam: false`). */
  readonly iam?: WorkloadIam;
  private readonly sts: StsService;
  private server?: Server;
  private dynamo?: Server;
  /** The global tables, when asked for (`globalTables`). */
  private global?: GlobalTables;
  private dns?: DnsServer;
  private dnsBound?: DnsAddress;
  private baseUrl = '';
  private dynamoUrl = '';
  /** Draws for throttling and 5xx: their own stream, so they do not shift the estate's draws. */
  private readonly chaos: SeededRandom;
  /** Who kills the calling task at a crash fault (the local Step Functions runner). */
  private readonly crashListeners = new Set<(crash: TaskCrash) => void>();
  /** The answers of crashed calls, kept from ending until the local AWS stops. */
  private readonly held = new Set<NodeJS.Timeout>();

  constructor(private readonly options: LocalAwsOptions) {
    this.clock = new VirtualClock({
      speed: options.speed ?? 1,
      ...(options.start === undefined ? {} : { start: options.start }),
    });
    this.random = new SeededRandom(options.seed ?? 1);
    this.chaos = new SeededRandom((options.seed ?? 1) + 1);
    this.faults = new FaultSet([], () => this.clock.now());
    this.estate = new Estate({ clock: this.clock, random: this.random, faults: this.faults });
    this.estate.seed(options.plans);
    for (const fault of options.faults ?? []) this.addFault(fault);
    // First: Route 53's health checks read the routing controls.
    const arc = new ArcService(this.estate);
    this.arc = arc;
    const drs = new DrsService(this.estate);
    const cloudformation = new CloudFormationService(this.estate);
    if (options.iam !== false) this.iam = localWorkloadIam(this.estate, drs, cloudformation);
    this.sts = new StsService(this.estate, this.iam);
    const services: SimService[] = [
      arc,
      this.sts,
      drs,
      new Ec2Service(this.estate),
      new Route53Service(this.estate, arc.state),
      new SsmService(this.estate),
      new LambdaService(this.estate),
      cloudformation,
      new S3Service(this.estate),
    ];
    for (const service of services) {
      this.services.set(service.signingName, service);
    }
  }

  /** Adds a fault, refusing one that names a server no plan has (a typo would test nothing). */
  addFault(fault: Fault | string): Fault {
    const parsed = typeof fault === 'string' ? parseFault(fault) : fault;
    if (
      (parsed.kind === 'launch-fail' || parsed.kind === 'stall') &&
      !this.estate.serverNamed(parsed.server)
    ) {
      const known = [...this.estate.servers.keys()].slice(0, 3).join(', ');
      throw new FaultSyntaxError(
        formatFault(parsed),
        `no plan has a server "${parsed.server}" (servers are named like ${known})`,
      );
    }
    return this.faults.add(parsed);
  }

  /**
   * Subscribes to crash faults: the listener kills the task that made the call. The crashed call
   * is never answered (a dead Lambda reads no answer) until the local AWS stops. Without a
   * listener the connection is dropped instead. Returns the unsubscribe.
   */
  onCrash(listener: (crash: TaskCrash) => void): () => void {
    this.crashListeners.add(listener);
    return () => this.crashListeners.delete(listener);
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.serve(req, res));
    // Past undici's 1 s margin: at 1 s, fetch (the handlers' clock reads) opened a connection per call.
    this.server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve) =>
      this.server?.listen(this.options.port ?? 0, '127.0.0.1', resolve),
    );
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    if (this.options.globalTables) {
      this.global = await new GlobalTables({
        ...this.options.globalTables,
        clock: this.clock,
        faults: this.faults,
      }).start();
      this.dynamoUrl = this.global.url;
    } else if (this.options.dynamodb !== false) {
      this.dynamo = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }) as Server;
      await new Promise<void>((resolve) => this.dynamo?.listen(0, '127.0.0.1', resolve));
      this.dynamoUrl = `http://127.0.0.1:${(this.dynamo.address() as AddressInfo).port}`;
    }
    const route53 = this.services.get('route53');
    if (this.options.dnsPort !== undefined && route53 instanceof Route53Service) {
      this.dns = new DnsServer(route53.state);
      this.dnsBound = await this.dns.start(this.options.dnsPort);
    }
    return this;
  }

  /** Where the DNS server listens, once started with `dnsPort`. */
  get dnsAddress(): DnsAddress | undefined {
    return this.dnsBound;
  }

  get endpoints(): Endpoints {
    const url = this.baseUrl;
    return {
      drs: url,
      ec2: url,
      route53: url,
      ssm: url,
      sts: url,
      lambda: url,
      cloudformation: url,
      s3: url,
      dynamodb: this.dynamoUrl,
    };
  }

  /** The global tables (with `globalTables`): replication can be settled and counted. */
  get globalTables(): GlobalTables | undefined {
    return this.global;
  }

  get controlUrl(): string {
    return `${this.baseUrl}/_lifeboat`;
  }

  /** The standard variables that point the SDK's clients here. */
  environment(): Record<string, string> {
    const e = this.endpoints;
    return {
      AWS_ENDPOINT_URL_DRS: e.drs,
      AWS_ENDPOINT_URL_EC2: e.ec2,
      AWS_ENDPOINT_URL_ROUTE_53: e.route53,
      AWS_ENDPOINT_URL_SSM: e.ssm,
      AWS_ENDPOINT_URL_STS: e.sts,
      AWS_ENDPOINT_URL_LAMBDA: e.lambda,
      AWS_ENDPOINT_URL_CLOUDFORMATION: e.cloudformation,
      AWS_ENDPOINT_URL_S3: e.s3,
      AWS_ENDPOINT_URL_DYNAMODB: e.dynamodb,
      LIFEBOAT_ARC_ENDPOINTS: JSON.stringify(this.arcEndpoints()),
    };
  }

  /** The ARC cluster's five endpoints: one server, told apart by the region a call is signed for. */
  arcEndpoints(): ClusterEndpoint[] {
    return ARC_ENDPOINT_REGIONS.map((region) => ({ region, url: this.baseUrl }));
  }

  /**
   * Calls `listener` with the operation of every DynamoDB request this local AWS receives
   * (`PutItem`, `Query`, ...), until the returned function is called: what a command costs in
   * calls, for the benchmarks. Only the single local DynamoDB (not the global tables).
   */
  onDynamoDbCall(listener: (operation: string) => void): () => void {
    const dynamo = this.dynamo;
    if (!dynamo) throw new Error('This local AWS has no single local DynamoDB to listen to.');
    const onRequest = (request: IncomingMessage) =>
      listener(String(request.headers['x-amz-target'] ?? '').split('.')[1] ?? '');
    dynamo.on('request', onRequest);
    return () => void dynamo.off('request', onRequest);
  }

  async stop(): Promise<void> {
    for (const trickle of this.held) clearInterval(trickle);
    this.held.clear();
    await this.dns?.stop();
    await this.global?.stop();
    for (const server of [this.server, this.dynamo]) {
      if (!server) continue;
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    const body = bytes.toString('utf8');
    const url = new URL(req.url ?? '/', 'http://local');
    if (url.pathname.startsWith('/_lifeboat'))
      return send(res, this.control(req.method ?? 'GET', url, body));

    const scope =
      SCOPE.exec(req.headers.authorization ?? '') ??
      PRESIGNED_SCOPE.exec(url.searchParams.get('X-Amz-Credential') ?? '');
    if (scope && this.isUnreachable(scope[2] ?? '', scope[3] ?? '')) {
      // A region that is gone does not answer: the connection drops, as with an unreachable endpoint.
      req.socket.destroy();
      return;
    }
    const service = scope ? this.services.get(scope[3] ?? '') : undefined;
    if (!scope || !service) {
      return send(
        res,
        json(400, {
          message: `Unsigned request, or a service the local AWS does not simulate (${scope?.[3] ?? 'none'}).`,
        }),
      );
    }
    const [, accessKeyId = '', region = '', signingName = ''] = scope;
    const request: SimRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
      bytes,
      region,
      service: signingName,
      accessKeyId,
      account: /(\d{12})/.exec(accessKeyId)?.[1] ?? TOOLING_ACCOUNT,
    };
    const operation = service.operationOf(request);
    const crash = this.faults.crashOn(signingName, operation);
    if (crash?.kind === 'crash-before') return this.crash(req, res, { ...crash, region });
    let response: SimResponse;
    try {
      // The world moves with the clock: whatever came due since the last call happens first.
      this.estate.settleAll();
      const session = this.sts.sessionOf(accessKeyId);
      if (session && this.iam) await this.iam.authorize(request, operation, session);
      if (this.chaos.next() < this.faults.throttleRate(signingName, operation))
        throw service.throttlingError();
      if (this.chaos.next() < this.faults.serverErrorRate(signingName)) {
        this.estate.record('server-error', { service: signingName, operation, region });
        throw new AwsError('InternalServerError', 'Simulated internal error; retry.', 500);
      }
      response = await service.handle(request, operation);
    } catch (error) {
      response = service.renderError(
        error instanceof AwsError
          ? error
          : new AwsError('InternalServerError', `Simulator bug: ${String(error)}`, 500),
        request,
      );
    }
    if (crash) return this.crash(req, res, { ...crash, region });
    send(res, response);
  }

  /** A crash fault fired: the truth records it, the caller dies, the call stays unanswered. */
  private crash(req: IncomingMessage, res: ServerResponse, crash: TaskCrash): void {
    const { kind, service, operation, region } = crash;
    this.estate.record('task-crash', { kind, service, operation, region });
    if (this.crashListeners.size === 0) {
      req.socket.destroy();
      return;
    }
    // An answer that never ends, kept alive past the SDK's request timeout: the dead task's code
    // after the call never runs (it would write a stale state over the task run again).
    res.writeHead(200, { 'content-type': 'application/json' });
    const trickle = setInterval(() => res.write(' '), 10_000);
    trickle.unref();
    this.held.add(trickle);
    for (const listener of this.crashListeners) listener({ kind, service, operation, region });
  }

  /** What a resolver in the zone's VPC gets now (Route 53's data plane, up whatever is down). */
  private dnsAnswer(params: URLSearchParams): SimResponse {
    const [zone, name, type] = [params.get('zone'), params.get('name'), params.get('type') ?? 'A'];
    if (!zone || !name) return json(400, { message: 'Give zone and name (and type, default A).' });
    const route53 = this.services.get('route53');
    const answer = route53 instanceof Route53Service && route53.state.resolve(zone, name, type);
    if (!answer)
      return json(404, { message: `Zone ${zone} has no ${type} record set named ${name}.` });
    return json(200, { values: answer.values, since: new Date(answer.since).toISOString() });
  }

  /**
   * Whether a call signed for this region and service finds no one to answer. A global service's
   * control plane lives in its home region whatever region the call is signed with (with a custom
   * endpoint the SDK signs Route 53 with the client's own region): it goes with that region,
   * unless the fault says keep-global.
   */
  private isUnreachable(region: string, signingName: string): boolean {
    const home = GLOBAL_HOMES[signingName];
    return home ? this.faults.isGlobalDown(home) : this.faults.isRegionDown(region);
  }

  /** The control endpoint: faults, clock and ground truth. */
  private control(method: string, url: URL, body: string): SimResponse {
    const path = url.pathname.replace(/^\/_lifeboat\/?/, '');
    try {
      if (path === 'faults' && method === 'POST') {
        const change = JSON.parse(body || '{}') as {
          add?: string[];
          remove?: string[];
          clear?: boolean;
        };
        if (change.clear) this.faults.clear();
        for (const f of change.remove ?? []) this.faults.remove(f);
        for (const f of change.add ?? []) this.addFault(f);
        this.estate.record('faults', { faults: this.faults.list() });
        return json(200, { faults: this.faults.list() });
      }
      if (path === 'faults') return json(200, { faults: this.faults.list() });
      if (path === 'clock' && method === 'POST') {
        const change = JSON.parse(body || '{}') as { advanceMs?: number; speed?: number };
        if (change.advanceMs) this.clock.advance(change.advanceMs);
        if (change.speed !== undefined) this.clock.setSpeed(change.speed);
      }
      if (path === 'clock')
        return json(200, {
          now: new Date(this.clock.now()).toISOString(),
          speed: this.clock.speed,
        });
      if (path === 'truth') {
        this.estate.settleAll();
        const type = url.searchParams.get('type');
        return json(200, { events: this.estate.truth.filter((e) => !type || e.type === type) });
      }
      if (path === 'dns') return this.dnsAnswer(url.searchParams);
      if (path === '' || path === 'health')
        return json(200, { ok: true, services: [...this.services.keys()] });
      return json(404, {
        message: `No control resource "${path}"; use faults, clock, truth, dns or health.`,
      });
    } catch (error) {
      const status = error instanceof FaultSyntaxError || error instanceof SyntaxError ? 400 : 500;
      return json(status, { message: (error as Error).message });
    }
  }
}

function send(res: ServerResponse, response: SimResponse): void {
  res.writeHead(response.status, { 'x-amzn-requestid': crypto.randomUUID(), ...response.headers });
  res.end(response.body);
}

export async function startLocalAws(options: LocalAwsOptions): Promise<LocalAws> {
  return new LocalAws(options).start();
}
