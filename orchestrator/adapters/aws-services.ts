import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DrsClient } from '@aws-sdk/client-drs';
import { EC2Client } from '@aws-sdk/client-ec2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { Route53Client } from '@aws-sdk/client-route-53';
import { SSMClient } from '@aws-sdk/client-ssm';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import type { RegionServices, ServicesFor } from '../ports/aws.ts';
import { DrsAdapter } from './drs-adapter.ts';
import { Ec2Adapter } from './ec2-adapter.ts';
import { HooksAdapter } from './hooks-adapter.ts';
import { Route53Adapter } from './route53-adapter.ts';
import { SsmAdapter } from './ssm-adapter.ts';

export interface AccountServicesOptions {
  /** The customer's workload account. */
  account: string;
  /** The role Lifeboat assumes in it. */
  roleName: string;
  externalId: string;
  /**
   * Who acts, as the customer's CloudTrail shows it: the session's name (a run's own, see
   * `runSession`), and the person who asked for the run as the session's source identity
   * (which the role's trust policy must allow with `sts:SetSourceIdentity`). A function is
   * asked at each AssumeRole, so the requester can be read when the credentials are needed.
   */
  session: RoleSession | (() => Promise<RoleSession>);
  /**
   * Session tags (not transitive): a run's session carries its plan (`lifeboat:plan`), and the
   * recovery role acts only on resources tagged for that plan. @default no tags (the read-only role)
   */
  tags?: Readonly<Record<string, string>>;
  /**
   * Told when the role refused the session's source identity and was assumed without it (its
   * trust policy lacks `sts:SetSourceIdentity`). @default nothing is told
   */
  onSourceIdentityRefused?: (error: Error) => void;
  /** Lifeboat's own credentials. @default the Node provider chain (the Lambda's role) */
  toolingCredentials?: AwsCredentialIdentityProvider;
  /** One endpoint for every service. @default the SDK's, or `AWS_ENDPOINT_URL_<SERVICE>` */
  endpoint?: string;
  /** Attempts per call, standard retry mode. @default `AWS_MAX_ATTEMPTS`, else the SDK's 3 */
  maxAttempts?: number;
}

export interface RoleSession {
  /** `RoleSessionName`: 2 to 64 of `[\w+=,.@-]`. */
  name: string;
  /** `SourceIdentity`: 2 to 64 of `[\w+=,.@-]`, kept through role chaining, unchangeable. */
  sourceIdentity?: string;
}

/** What STS accepts in a session name or a source identity. */
const STS_NAME_MAX = 64;
const STS_NAME_CHARACTERS = /[^\w+=,.@-]/g;

/**
 * The session of a run: named `lifeboat-<execution id>` (cut to STS's 64 characters with a
 * hash of the whole id, so two long ids stay apart), the requester as its source identity.
 */
export function runSession(executionId: string, requestedBy?: string): RoleSession {
  const name = stsName(`lifeboat-${executionId}`);
  const sourceIdentity = requestedBy ? stsName(requestedBy) : '';
  return { name, ...(sourceIdentity.length >= 2 ? { sourceIdentity } : {}) };
}

function stsName(text: string): string {
  const clean = text.replace(STS_NAME_CHARACTERS, '-');
  if (clean.length <= STS_NAME_MAX) return clean;
  const hash = fnv1a(text).toString(16).padStart(8, '0');
  return `${clean.slice(0, STS_NAME_MAX - hash.length - 1)}-${hash}`;
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** Renew credentials this long before they expire, as the SDK does. */
const REFRESH_MS = 5 * 60_000;
/**
 * A region that does not accept a connection within this is treated as gone.
 * `LIFEBOAT_CONNECT_TIMEOUT_MS` lengthens it where the far end shares a busy CPU (the sandbox).
 */
const connectionTimeout = () => Number(process.env.LIFEBOAT_CONNECT_TIMEOUT_MS ?? 3_000);
const REQUEST_TIMEOUT_MS = 60_000;
/** Lambda hooks run synchronously, for up to Lambda's 15 minutes. */
const INVOKE_TIMEOUT_MS = 15 * 60_000 + 30_000;

/**
 * The adapters for a customer's account, per region, through its role (assumed with its external
 * id, with STS in that region so a lost region does not take the others with it). Clients and
 * credentials are built once per region.
 */
export function servicesForAccount(options: AccountServicesOptions): ServicesFor {
  const built = new Map<string, RegionServices>();
  return (region) => {
    const known = built.get(region);
    if (known) return known;
    const services = buildServices(options, region);
    built.set(region, services);
    return services;
  };
}

function buildServices(options: AccountServicesOptions, region: string): RegionServices {
  const base = clientConfig(options, region, REQUEST_TIMEOUT_MS);
  const config = { ...base, credentials: assumeRole(options, region, base) };
  const invoking = { ...config, requestHandler: requestHandlerOptions(INVOKE_TIMEOUT_MS) };
  return {
    drs: new DrsAdapter(new DrsClient(config), region),
    ec2: new Ec2Adapter(new EC2Client(config), region),
    dns: new Route53Adapter(new Route53Client(config), region),
    ssm: new SsmAdapter(new SSMClient(config), region),
    hooks: new HooksAdapter(new LambdaClient(invoking), new CloudFormationClient(config), region),
  };
}

function clientConfig(options: AccountServicesOptions, region: string, requestTimeout: number) {
  return {
    region,
    // Unset, the SDK reads AWS_MAX_ATTEMPTS itself (the local sandbox sets 1: its state machine retries).
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    retryMode: 'standard',
    requestHandler: requestHandlerOptions(requestTimeout),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  };
}

function requestHandlerOptions(requestTimeout: number) {
  return { connectionTimeout: connectionTimeout(), requestTimeout };
}

function assumeRole(
  options: AccountServicesOptions,
  region: string,
  stsConfig: ReturnType<typeof clientConfig>,
): AwsCredentialIdentityProvider {
  const assume = (session: RoleSession) =>
    fromTemporaryCredentials({
      params: {
        RoleArn: `arn:aws:iam::${options.account}:role/${options.roleName}`,
        RoleSessionName: session.name,
        ...(session.sourceIdentity ? { SourceIdentity: session.sourceIdentity } : {}),
        ExternalId: options.externalId,
        ...(options.tags
          ? { Tags: Object.entries(options.tags).map(([Key, Value]) => ({ Key, Value })) }
          : {}),
      },
      ...(options.toolingCredentials ? { masterCredentials: options.toolingCredentials } : {}),
      clientConfig: { ...stsConfig, region },
    })();
  return shareCredentials(async () => {
    const session =
      typeof options.session === 'function' ? await options.session() : options.session;
    try {
      return await assume(session);
    } catch (error) {
      // A role deployed before its trust policy allowed sts:SetSourceIdentity refuses the
      // source identity: the run still goes on (a DR tool stays available), under its own
      // session name, and the refusal is reported so the customer's role gets updated.
      if (!session.sourceIdentity || (error as { name?: string }).name !== 'AccessDenied')
        throw error;
      const assumed = await assume({ name: session.name });
      options.onSourceIdentityRefused?.(error as Error);
      return assumed;
    }
  });
}

/** One AssumeRole for all the region's clients (each would otherwise assume the role itself). */
function shareCredentials(provider: AwsCredentialIdentityProvider): AwsCredentialIdentityProvider {
  let held: AwsCredentialIdentity | undefined;
  let pending: Promise<AwsCredentialIdentity> | undefined;
  return async () => {
    if (held && !expiresSoon(held)) return held;
    pending ??= provider()
      .then((identity) => {
        held = identity;
        return identity;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
}

function expiresSoon(identity: AwsCredentialIdentity): boolean {
  return (
    identity.expiration !== undefined && identity.expiration.getTime() - Date.now() < REFRESH_MS
  );
}
