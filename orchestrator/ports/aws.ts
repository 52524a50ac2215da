import type { DrsSelector } from '../domain/plan.ts';

/**
 * What the step executors need from AWS, in the domain's words. One adapter per service
 * implements each, built for one account and region; adapters map SDK errors to domain errors.
 */

export interface SourceServerView {
  sourceServerId: string;
  name: string;
  /** `CONTINUOUS`, `STALLED`, `DISCONNECTED`, `INITIAL_SYNC`, `STOPPED`… as DRS says it. */
  replicationState: string;
  lagSeconds?: number;
  originInstanceId?: string;
  originRegion?: string;
  recoveryInstanceId?: string;
  direction: 'FAILOVER' | 'FAILBACK';
  arn?: string;
  tags?: Record<string, string>;
}

export interface SnapshotView {
  snapshotId: string;
  /** When the data in the snapshot was current (ms since the epoch). */
  dataAt: number;
}

export interface JobServerView {
  sourceServerId: string;
  status: 'PENDING' | 'IN_PROGRESS' | 'LAUNCHED' | 'FAILED' | 'TERMINATED';
  recoveryInstanceId?: string;
}

export interface JobView {
  jobId: string;
  status: 'PENDING' | 'STARTED' | 'COMPLETED';
  servers: JobServerView[];
  endedAt?: number;
  /** The tags it was started with (`StartRecovery`'s). */
  tags?: Record<string, string>;
}

export interface JobEvent {
  at: number;
  event: string;
  sourceServerId?: string;
  detail?: string;
}

export interface RecoveryInstanceView {
  recoveryInstanceId: string;
  sourceServerId: string;
  ec2State: string;
  /** The moment of the data it was launched from (ms). */
  pointInTime?: number;
  isDrill: boolean;
  /** Replication from it back to its origin has been started (`ReverseReplication`). */
  reversed?: boolean;
}

export interface DrsPort {
  findSourceServers(
    selectors: { name: string; drs: DrsSelector; originInstanceId?: string }[],
  ): Promise<Map<string, SourceServerView>>;
  listSourceServers(): Promise<SourceServerView[]>;
  latestSnapshot(sourceServerId: string): Promise<SnapshotView | undefined>;
  prepareLaunch(
    sourceServerId: string,
    options: { launchIntoInstanceId?: string; postLaunch: boolean; copyPrivateIp: boolean },
  ): Promise<void>;
  startRecovery(
    sourceServerIds: string[],
    isDrill: boolean,
    tags: Record<string, string>,
  ): Promise<string>;
  describeJob(jobId: string): Promise<JobView>;
  /** The jobs created at or after `since` (ms): what a task run again asks before starting one. */
  jobsSince(since: number): Promise<JobView[]>;
  jobEvents(jobId: string): Promise<JobEvent[]>;
  recoveryInstances(sourceServerIds: string[]): Promise<RecoveryInstanceView[]>;
  reverseReplication(recoveryInstanceId: string): Promise<string>;
  terminateRecoveryInstances(recoveryInstanceIds: string[]): Promise<string>;
  activeJobCount(): Promise<{ jobs: number; servers: number }>;
}

export interface InstanceView {
  instanceId: string;
  state: string;
  privateIp?: string;
  statusOk: boolean;
  tags: Record<string, string>;
  /** When it last started (EC2 LaunchTime), ms. */
  launchedAt?: number;
  /** The EC2 instance type (`r6i.4xlarge`). */
  instanceType?: string;
}

export interface Ec2Port {
  describe(instanceIds: string[]): Promise<InstanceView[]>;
  /** Those of the instances that exist in this region (`describe` fails on any that does not). */
  findInstances(instanceIds: string[]): Promise<InstanceView[]>;
  stop(instanceIds: string[]): Promise<void>;
  /** Changes a stopped instance's type (EC2 refuses it on a running one: IncorrectInstanceState). */
  setInstanceType(instanceId: string, instanceType: string): Promise<void>;
  /** Which of a subnet and security groups do not exist (the bubble network of an isolated drill). */
  missingNetwork(subnetId: string, securityGroupIds: string[]): Promise<string[]>;
}

export interface DnsChangeRequest {
  zoneId: string;
  name: string;
  type: 'A' | 'CNAME';
  ttl: number;
  value: string;
}

export interface DnsPort {
  upsert(zoneId: string, changes: DnsChangeRequest[]): Promise<string>;
  /** `INSYNC` once the change has propagated; the time it did, when known. */
  changeStatus(changeId: string): Promise<{ status: 'PENDING' | 'INSYNC'; at?: number }>;
  zoneExists(zoneId: string): Promise<boolean>;
  /** The failover roles (PRIMARY, SECONDARY) of the record sets with exactly this name. */
  failoverSets(zoneId: string, name: string): Promise<('PRIMARY' | 'SECONDARY')[]>;
}

export type ControlState = 'On' | 'Off';

export interface RoutingControlView {
  arn: string;
  name: string;
  controlPanelArn: string;
  state: ControlState;
}

export interface EndpointProbe {
  region: string;
  ok: boolean;
  detail?: string;
}

/**
 * ARC's routing controls on the cluster's data plane (the tooling account's cluster, shared with
 * the workload accounts): what moves failover records' answers without Route 53's control plane.
 */
export interface RoutingPort {
  listControls(): Promise<RoutingControlView[]>;
  stateOf(arn: string): Promise<ControlState>;
  /** Sets the states together (ARC's safety rules apply to the whole change); the endpoint that took it. */
  update(states: { arn: string; state: ControlState }[]): Promise<{ endpoint: string }>;
  /** Which of the cluster's endpoints answer now. */
  probeEndpoints(): Promise<EndpointProbe[]>;
}

export interface CommandResult {
  instanceId: string;
  status:
    | 'Pending'
    | 'InProgress'
    | 'Success'
    | 'Failed'
    | 'TimedOut'
    | 'Cancelled'
    | 'Undeliverable';
  output?: string;
  endedAt?: number;
}

export interface SsmPort {
  onlineInstances(instanceIds: string[]): Promise<Set<string>>;
  sendCommand(
    document: string,
    instanceIds: string[],
    parameters: Record<string, string[]>,
    timeoutSeconds: number,
    /** Written on the command (at most 100 characters), to find it again with `findCommand`. */
    comment?: string,
  ): Promise<string>;
  /** The id of the command of this document and comment sent at or after `since` (ms), if any. */
  findCommand(document: string, comment: string, since: number): Promise<string | undefined>;
  commandResults(commandId: string, instanceIds: string[]): Promise<CommandResult[]>;
}

export interface HookPort {
  invokeLambda(
    functionName: string,
    payload: Record<string, unknown>,
  ): Promise<{ ok: boolean; detail: string }>;
  deployStack(
    stackName: string,
    templateUrl: string | undefined,
    parameters: Record<string, string>,
    /** CloudFormation's ClientRequestToken: the same token again is the same request, not a second. */
    requestToken?: string,
  ): Promise<void>;
  deleteStack(stackName: string): Promise<void>;
  stackStatus(stackName: string): Promise<{ done: boolean; ok: boolean; detail: string }>;
}

/** The services of one account in one region. */
export interface RegionServices {
  drs: DrsPort;
  ec2: Ec2Port;
  dns: DnsPort;
  ssm: SsmPort;
  hooks: HookPort;
}

/** Clients for a customer's workload account, per region, through its assumed role. */
export type ServicesFor = (region: string) => RegionServices;
