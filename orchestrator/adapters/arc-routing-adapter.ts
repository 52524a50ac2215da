import {
  GetRoutingControlStateCommand,
  ListRoutingControlsCommand,
  Route53RecoveryClusterClient,
  UpdateRoutingControlStatesCommand,
} from '@aws-sdk/client-route53-recovery-cluster';
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { AwsCallError, ClusterUnreachableError } from '../domain/errors.ts';
import { ARC_MAX_STATES_PER_UPDATE, type ClusterEndpoint } from '../domain/routing.ts';
import type { ControlState, EndpointProbe, RoutingControlView, RoutingPort } from '../ports/aws.ts';
import { awsCaller } from './map-aws-error.ts';

export interface ArcRoutingOptions {
  endpoints: readonly ClusterEndpoint[];
  /** @default the Node provider chain (the Lambda's role: the cluster is in the tooling account) */
  credentials?: AwsCredentialIdentityProvider;
  /** Attempts per call on one endpoint before the next is tried. @default 1 */
  maxAttempts?: number;
  /**
   * An endpoint that does not accept a connection within this is passed over.
   * @default `LIFEBOAT_CONNECT_TIMEOUT_MS` (as the account's clients), else 3 s
   */
  connectionTimeoutMs?: number;
}

/** A call that one endpoint could not serve but another may: try the next. */
const ENDPOINT_CODES = new Set([
  'EndpointTemporarilyUnavailableException',
  'InternalServerException',
  'ThrottlingException',
]);

interface Endpoint {
  region: string;
  client: Route53RecoveryClusterClient;
}

/**
 * ARC's routing controls through the cluster's data plane: five regional endpoints, each called
 * with its own region, tried in turn from the one that last answered until one does (ARC keeps
 * at least three of them up; a lost region takes its own endpoint with it). Nothing here touches
 * a control plane, so a flip works while us-east-1 is gone.
 */
export class ArcRoutingAdapter implements RoutingPort {
  private readonly endpoints: Endpoint[];
  /** Where the next call starts: the endpoint that last answered. */
  private next = 0;

  constructor(options: ArcRoutingOptions) {
    this.endpoints = options.endpoints.map(({ region, url }) => ({
      region,
      client: new Route53RecoveryClusterClient({
        region,
        endpoint: url,
        maxAttempts: options.maxAttempts ?? 1,
        requestHandler: {
          connectionTimeout:
            options.connectionTimeoutMs ?? Number(process.env.LIFEBOAT_CONNECT_TIMEOUT_MS ?? 3_000),
          requestTimeout: 10_000,
        },
        ...(options.credentials ? { credentials: options.credentials } : {}),
      }),
    }));
  }

  async listControls(): Promise<RoutingControlView[]> {
    return this.onAnyEndpoint('ListRoutingControls', async (client) => {
      const controls: RoutingControlView[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListRoutingControlsCommand({
            MaxResults: 500,
            ...(token ? { NextToken: token } : {}),
          }),
        );
        for (const control of page.RoutingControls ?? []) {
          if (!control.RoutingControlArn || !control.RoutingControlName) continue;
          controls.push({
            arn: control.RoutingControlArn,
            name: control.RoutingControlName,
            controlPanelArn: control.ControlPanelArn ?? '',
            state: control.RoutingControlState === 'On' ? 'On' : 'Off',
          });
        }
        token = page.NextToken;
      } while (token);
      return controls;
    });
  }

  async stateOf(arn: string): Promise<ControlState> {
    return this.onAnyEndpoint('GetRoutingControlState', async (client) => {
      const answer = await client.send(
        new GetRoutingControlStateCommand({ RoutingControlArn: arn }),
      );
      return answer.RoutingControlState === 'On' ? 'On' : 'Off';
    });
  }

  /** All the states in one call (ARC applies them together, under its safety rules), or none. */
  async update(states: { arn: string; state: ControlState }[]): Promise<{ endpoint: string }> {
    if (states.length === 0 || states.length > ARC_MAX_STATES_PER_UPDATE)
      throw new RangeError(
        `A routing update takes 1 to ${ARC_MAX_STATES_PER_UPDATE} states, not ${states.length}.`,
      );
    return this.onAnyEndpoint('UpdateRoutingControlStates', async (client, endpoint) => {
      await client.send(
        new UpdateRoutingControlStatesCommand({
          UpdateRoutingControlStateEntries: states.map((s) => ({
            RoutingControlArn: s.arn,
            RoutingControlState: s.state,
          })),
        }),
      );
      return { endpoint };
    });
  }

  async probeEndpoints(): Promise<EndpointProbe[]> {
    return Promise.all(
      this.endpoints.map(async ({ region, client }) => {
        try {
          await awsCaller({ service: 'route53-recovery-cluster', region })(
            'ListRoutingControls',
            () => client.send(new ListRoutingControlsCommand({ MaxResults: 1 })),
          );
          return { region, ok: true };
        } catch (error) {
          return { region, ok: false, detail: (error as Error).message };
        }
      }),
    );
  }

  /**
   * The call on each endpoint in turn, from the last that answered. An endpoint that does not
   * answer, is unavailable, failing or throttling passes the call on; any other answer (a safety
   * rule's ConflictException, an unknown control) is the cluster's and is thrown as it is.
   */
  private async onAnyEndpoint<T>(
    operation: string,
    call: (client: Route53RecoveryClusterClient, region: string) => Promise<T>,
  ): Promise<T> {
    const failures: { region: string; detail: string }[] = [];
    for (let i = 0; i < this.endpoints.length; i++) {
      const index = (this.next + i) % this.endpoints.length;
      const endpoint = this.endpoints[index] as Endpoint;
      const caller = awsCaller({ service: 'route53-recovery-cluster', region: endpoint.region });
      try {
        const result = await caller(operation, () => call(endpoint.client, endpoint.region));
        this.next = index;
        return result;
      } catch (error) {
        if (!(error instanceof AwsCallError) || !passesOn(error)) throw error;
        failures.push({ region: endpoint.region, detail: `${error.code}: ${error.detail}` });
      }
    }
    throw new ClusterUnreachableError(operation, failures);
  }
}

/** Unreachable, unavailable, failing or throttling: another endpoint may serve it. */
function passesOn(error: AwsCallError): boolean {
  return error.retryable || ENDPOINT_CODES.has(error.code);
}
