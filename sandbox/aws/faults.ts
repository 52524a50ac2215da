/**
 * One fault syntax everywhere (the CLI's `--fault`, the control endpoint, tests):
 *
 *   region-down:<region>[:keep-global]   every service of the region refuses connections; for
 *                                        us-east-1 that includes the global control planes homed
 *                                        there (Route 53, IAM), unless keep-global keeps them up
 *   throttle:<rate>[:<service>[:<op>]]   a share of calls answers the service's throttling error
 *   5xx:<rate>[:<service>]               a share of calls answers 500 InternalServerError
 *   launch-fail:<server>                 recovering that server (plan name or s- id) fails at launch
 *   stall:<server>                       that server's replication stalls: its lag grows
 *   dns-slow:<duration>                  Route 53 changes stay PENDING this long (default 10s)
 *   validation-fail[:<document>]         SSM commands (of that document) end Failed
 *   route53-down                         Route 53's control plane (in us-east-1) refuses calls
 *   capacity:<instance-type>[:<region>]  EC2 has no capacity of that type (in that region, or in
 *                                        any): starting or launching into it answers
 *                                        InsufficientInstanceCapacity
 *   partition:<region>|<region>          the two regions cannot reach each other: a global table's
 *                                        writes between them wait until it heals, and each counts
 *                                        the other out of its strongly consistent majority
 *   crash-before:<service>:<op>[:<n>]    the task Lambda making the n-th such call (default the 1st)
 *                                        dies before the call leaves it: the simulator never sees it
 *   crash-after:<service>:<op>[:<n>]     the call takes effect, then its caller dies before the answer
 *                                        reaches it; both fire once, and the dead task fails as Lambda
 *                                        reports a crash (Lambda.Unknown), for the state machine to retry
 *                                        (service is the signing name: drs, ec2, ssm, route53, lambda,
 *                                        cloudformation, s3, route53-recovery-cluster)
 */
export type Fault =
  | { kind: 'region-down'; region: string; keepGlobal?: true }
  | { kind: 'throttle'; rate: number; service?: string; operation?: string }
  | { kind: '5xx'; rate: number; service?: string }
  | { kind: 'launch-fail'; server: string }
  | { kind: 'stall'; server: string }
  | { kind: 'dns-slow'; seconds: number }
  | { kind: 'validation-fail'; document?: string }
  | { kind: 'route53-down' }
  | { kind: 'capacity'; instanceType: string; region?: string }
  | { kind: 'partition'; regions: readonly [string, string] }
  | CrashFault<'crash-before'>
  | CrashFault<'crash-after'>;

export type CrashKind = 'crash-before' | 'crash-after';
/** A crash fault: the n-th call of the operation (counted from 1) is where its task dies. */
export interface CrashFault<K extends CrashKind = CrashKind> {
  kind: K;
  service: string;
  operation: string;
  nth: number;
}

export const FAULT_SYNTAX =
  'region-down:<region>[:keep-global], throttle:<rate>[:<service>[:<operation>]], 5xx:<rate>[:<service>], launch-fail:<server>, stall:<server>, dns-slow:<seconds>, validation-fail[:<document>], route53-down, capacity:<instance-type>[:<region>], partition:<region>|<region>, crash-before:<service>:<operation>[:<n>], crash-after:<service>:<operation>[:<n>]';

export class FaultSyntaxError extends Error {
  constructor(text: string, why: string) {
    super(`"${text}" is not a fault: ${why}. Faults are ${FAULT_SYNTAX}.`);
    this.name = 'FaultSyntaxError';
  }
}

function rate(text: string, value: string | undefined): number {
  const n = Number(value);
  if (value === undefined || value === '' || !(n >= 0 && n <= 1))
    throw new FaultSyntaxError(text, 'the rate must be a number from 0 to 1, like 0.3');
  return n;
}

/** A region's name: us-east-1, eu-central-1, us-gov-west-1. */
const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;

/** EC2's instance type names: family (with generation and options), a dot, a size. */
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/;

function name(text: string, value: string | undefined, what: string): string {
  if (!value) throw new FaultSyntaxError(text, `it needs a ${what}`);
  return value;
}

export function parseFault(text: string): Fault {
  const [kind, ...args] = text.trim().split(':');
  switch (kind) {
    case 'region-down': {
      const region = name(text, args[0], 'region, like region-down:us-east-1');
      if (args[1] === undefined) return { kind, region };
      if (args[1] === 'keep-global' && args.length === 2) return { kind, region, keepGlobal: true };
      throw new FaultSyntaxError(
        text,
        'the only option of region-down is keep-global, like region-down:us-east-1:keep-global',
      );
    }
    case 'throttle':
      return {
        kind,
        rate: rate(text, args[0]),
        ...(args[1] ? { service: args[1] } : {}),
        ...(args[2] ? { operation: args[2] } : {}),
      };
    case '5xx':
      return { kind, rate: rate(text, args[0]), ...(args[1] ? { service: args[1] } : {}) };
    case 'launch-fail':
    case 'stall':
      return { kind, server: name(text, args[0], 'server name, like launch-fail:bcbsaz-web-03') };
    case 'dns-slow': {
      const seconds = args[0] === undefined ? 10 : Number(args[0].replace(/s$/, ''));
      if (!(seconds >= 0))
        throw new FaultSyntaxError(text, 'the delay must be seconds, like dns-slow:120');
      return { kind, seconds };
    }
    case 'validation-fail':
      return { kind, ...(args[0] ? { document: args[0] } : {}) };
    case 'route53-down':
      return { kind };
    case 'capacity': {
      const instanceType = args[0];
      if (!instanceType || !INSTANCE_TYPE.test(instanceType) || args.length > 2)
        throw new FaultSyntaxError(
          text,
          'it takes an instance type and optionally a region, like capacity:r6i.4xlarge:us-west-1',
        );
      return { kind, instanceType, ...(args[1] ? { region: args[1] } : {}) };
    }
    case 'partition': {
      const regions = (args[0] ?? '').split('|');
      const [a, b] = regions;
      if (
        args.length !== 1 ||
        regions.length !== 2 ||
        !a ||
        !b ||
        ![a, b].every((r) => REGION.test(r))
      )
        throw new FaultSyntaxError(
          text,
          'it takes two regions joined by |, like partition:us-east-1|us-west-2',
        );
      if (a === b) throw new FaultSyntaxError(text, 'a region is never cut off from itself');
      return { kind, regions: a < b ? [a, b] : [b, a] };
    }
    case 'crash-before':
    case 'crash-after': {
      const [service, operation, nth = '1', ...rest] = args;
      if (!service || !operation || !/^[1-9]\d*$/.test(nth) || rest.length > 0)
        throw new FaultSyntaxError(
          text,
          `it takes a service, an operation and optionally which call (from 1), like ${kind}:drs:StartRecovery:2`,
        );
      return { kind, service, operation, nth: Number(nth) };
    }
    default:
      throw new FaultSyntaxError(text, `"${kind}" is not a kind of fault`);
  }
}

export function formatFault(fault: Fault): string {
  switch (fault.kind) {
    case 'region-down':
      return `region-down:${fault.region}${fault.keepGlobal ? ':keep-global' : ''}`;
    case 'throttle':
      return ['throttle', fault.rate, fault.service, fault.operation]
        .filter((p) => p !== undefined)
        .join(':');
    case '5xx':
      return ['5xx', fault.rate, fault.service].filter((p) => p !== undefined).join(':');
    case 'launch-fail':
    case 'stall':
      return `${fault.kind}:${fault.server}`;
    case 'dns-slow':
      return `dns-slow:${fault.seconds}`;
    case 'validation-fail':
      return fault.document ? `validation-fail:${fault.document}` : 'validation-fail';
    case 'route53-down':
      return 'route53-down';
    case 'capacity':
      return ['capacity', fault.instanceType, fault.region].filter(Boolean).join(':');
    case 'partition':
      return `partition:${fault.regions[0]}|${fault.regions[1]}`;
    case 'crash-before':
    case 'crash-after':
      return `${fault.kind}:${fault.service}:${fault.operation}${fault.nth === 1 ? '' : `:${fault.nth}`}`;
  }
}

/** The faults in force; switchable at run time. Each remembers when it came into force. */
export class FaultSet {
  private faults: Fault[] = [];
  /** When each fault in force was added, by its text: what a stall's or an outage's lag grows from. */
  private readonly added = new Map<string, number>();
  /** Calls seen so far by each crash fault in force, by its text. */
  private readonly crashCalls = new Map<string, number>();

  /** @param now the simulators' clock. @default real time */
  constructor(
    initial: readonly (Fault | string)[] = [],
    private readonly now: () => number = Date.now,
  ) {
    for (const f of initial) this.add(f);
  }

  /** Adds a fault; one already in force is replaced and keeps the time it came into force. */
  add(fault: Fault | string): Fault {
    const parsed = typeof fault === 'string' ? parseFault(fault) : fault;
    const key = formatFault(parsed);
    this.faults = this.faults.filter((f) => formatFault(f) !== key);
    this.faults.push(parsed);
    if (!this.added.has(key)) this.added.set(key, this.now());
    return parsed;
  }

  remove(fault: Fault | string): boolean {
    const key = formatFault(typeof fault === 'string' ? parseFault(fault) : fault);
    const before = this.faults.length;
    this.faults = this.faults.filter((f) => formatFault(f) !== key);
    this.added.delete(key);
    this.crashCalls.delete(key);
    return this.faults.length < before;
  }

  clear(): void {
    this.faults = [];
    this.added.clear();
    this.crashCalls.clear();
  }

  /** Since when the region has been down, if it is. */
  regionDownSince(region: string): number | undefined {
    return this.earliest(this.of('region-down').filter((f) => f.region === region));
  }

  /** Since when a server (by any of its names) has been stalled, if it is. */
  stalledSince(...names: string[]): number | undefined {
    return this.earliest(this.of('stall').filter((f) => names.includes(f.server)));
  }

  private earliest(faults: Fault[]): number | undefined {
    const times = faults.flatMap((f) => this.added.get(formatFault(f)) ?? []);
    return times.length > 0 ? Math.min(...times) : undefined;
  }

  list(): string[] {
    return this.faults.map(formatFault);
  }

  of<K extends Fault['kind']>(kind: K): Extract<Fault, { kind: K }>[] {
    return this.faults.filter((f): f is Extract<Fault, { kind: K }> => f.kind === kind);
  }

  /** The region's own services are down (with or without keep-global). */
  isRegionDown(region: string): boolean {
    return this.of('region-down').some((f) => f.region === region);
  }

  /** The global control planes homed in the region (Route 53 and IAM in us-east-1) are down too. */
  isGlobalDown(homeRegion: string): boolean {
    return this.of('region-down').some((f) => f.region === homeRegion && !f.keepGlobal);
  }

  /** The two regions cannot reach each other. */
  isPartitioned(a: string, b: string): boolean {
    return this.of('partition').some(
      ({ regions }) =>
        (regions[0] === a && regions[1] === b) || (regions[0] === b && regions[1] === a),
    );
  }

  /** The highest throttling rate that applies to this call. */
  throttleRate(service: string, operation: string): number {
    return Math.max(
      0,
      ...this.of('throttle')
        .filter(
          (f) =>
            (f.service === undefined || f.service === service) &&
            (f.operation === undefined || f.operation === operation),
        )
        .map((f) => f.rate),
    );
  }

  serverErrorRate(service: string): number {
    return Math.max(
      0,
      ...this.of('5xx')
        .filter((f) => f.service === undefined || f.service === service)
        .map((f) => f.rate),
    );
  }

  /** EC2 has no capacity of this instance type in this region. */
  noCapacity(instanceType: string, region: string): boolean {
    return this.of('capacity').some(
      (f) => f.instanceType === instanceType && (f.region === undefined || f.region === region),
    );
  }

  /**
   * Counts this call against the crash faults that name it; the one whose call it is (its n-th)
   * comes out of force and is returned: a crash happens once, and the retried task goes on.
   */
  crashOn(service: string, operation: string): CrashFault | undefined {
    for (const fault of [...this.of('crash-before'), ...this.of('crash-after')]) {
      if (fault.service !== service || fault.operation !== operation) continue;
      const key = formatFault(fault);
      const seen = (this.crashCalls.get(key) ?? 0) + 1;
      this.crashCalls.set(key, seen);
      if (seen < fault.nth) continue;
      this.remove(fault);
      return fault;
    }
    return undefined;
  }

  names(kind: 'launch-fail' | 'stall'): Set<string> {
    return new Set(this.of(kind).map((f) => f.server));
  }
}
