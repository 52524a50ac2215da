import { z } from 'zod';
import { AwsError } from '../errors.ts';
import { describeProblems, type InputProblem, parseInput } from '../input.ts';
import type { SimRequest, SimResponse, XmlValue } from '../protocol.ts';
import type { HealthCheck } from './route53-health.ts';
import type { Route53State } from './route53-state.ts';
import { readXml, xmlResponse } from './route53-xml.ts';

/** Route 53's health-check operations (REST-XML), as the SDK calls them. */
export const HEALTH_ROUTES: readonly { method: string; path: RegExp; operation: string }[] = [
  { method: 'POST', path: /^\/2013-04-01\/healthcheck\/?$/, operation: 'CreateHealthCheck' },
  { method: 'GET', path: /^\/2013-04-01\/healthcheck\/?$/, operation: 'ListHealthChecks' },
  {
    method: 'GET',
    path: /^\/2013-04-01\/healthcheck\/([^/]+)\/status\/?$/,
    operation: 'GetHealthCheckStatus',
  },
  { method: 'GET', path: /^\/2013-04-01\/healthcheck\/([^/]+)\/?$/, operation: 'GetHealthCheck' },
  {
    method: 'DELETE',
    path: /^\/2013-04-01\/healthcheck\/([^/]+)\/?$/,
    operation: 'DeleteHealthCheck',
  },
];

const HEALTH_CHECK_TYPES = [
  'HTTP',
  'HTTPS',
  'HTTP_STR_MATCH',
  'HTTPS_STR_MATCH',
  'TCP',
  'CALCULATED',
  'CLOUDWATCH_METRIC',
  'RECOVERY_CONTROL',
] as const;

/** Route 53's limit on `maxitems` for health checks, which is also its default. */
const MAX_HEALTH_CHECKS = 1000;

const CreateHealthCheckXmlSchema = z.object({
  CreateHealthCheckRequest: z.object({
    CallerReference: z.string().min(1).max(64),
    // Other types carry other settings; they are refused as not simulated, after the type is read.
    HealthCheckConfig: z.looseObject({
      Type: z.enum(HEALTH_CHECK_TYPES),
      RoutingControlArn: z.string().min(1).max(255).optional(),
    }),
  }),
});

const HealthCheckId = z.string().min(1).max(64);
const ListHealthChecksInput = z.object({
  marker: z.string().max(64).optional(),
  maxitems: z
    .string()
    .regex(/^[1-9]\d*$/)
    .transform(Number)
    .optional(),
});

function invalid(problems: InputProblem[]): AwsError {
  return new AwsError('InvalidInput', describeProblems(problems));
}

/** Answers one health-check operation; `id` is the path's health check id, when it has one. */
export function handleHealthCheck(
  state: Route53State,
  req: SimRequest,
  operation: string,
  id: string,
): SimResponse {
  switch (operation) {
    case 'CreateHealthCheck': {
      const body = parseInput(CreateHealthCheckXmlSchema, readXml(req.body), invalid);
      const { CallerReference, HealthCheckConfig: config } = body.CreateHealthCheckRequest;
      if (config.Type !== 'RECOVERY_CONTROL')
        throw new AwsError(
          'NotImplemented',
          `The local Route 53 simulates RECOVERY_CONTROL health checks only, not ${config.Type}.`,
          501,
        );
      if (config.RoutingControlArn === undefined)
        throw new AwsError(
          'InvalidInput',
          'Invalid request: a RECOVERY_CONTROL health check needs a RoutingControlArn.',
        );
      const { check, created } = state.health.create(req.account, CallerReference, {
        type: 'RECOVERY_CONTROL',
        routingControlArn: config.RoutingControlArn,
      });
      return xmlResponse(
        'CreateHealthCheckResponse',
        { HealthCheck: healthCheckXml(check) },
        created ? 201 : 200,
        { location: `https://route53.amazonaws.com/2013-04-01/healthcheck/${check.id}` },
      );
    }
    case 'GetHealthCheck': {
      const check = state.health.get(req.account, parseInput(HealthCheckId, id, invalid));
      return xmlResponse('GetHealthCheckResponse', { HealthCheck: healthCheckXml(check) });
    }
    case 'ListHealthChecks': {
      const input = parseInput(ListHealthChecksInput, Object.fromEntries(req.query), invalid);
      const maxItems = Math.min(input.maxitems ?? MAX_HEALTH_CHECKS, MAX_HEALTH_CHECKS);
      const checks = state.health.list(req.account);
      const { marker } = input;
      const start = marker === undefined ? 0 : checks.filter((c) => c.id < marker).length;
      const next = checks[start + maxItems];
      return xmlResponse('ListHealthChecksResponse', {
        HealthChecks: checks.slice(start, start + maxItems).map(healthCheckXml),
        Marker: marker ?? '',
        IsTruncated: next !== undefined,
        NextMarker: next?.id,
        MaxItems: maxItems,
      });
    }
    case 'GetHealthCheckStatus': {
      const observations = state.health.observations(
        req.account,
        parseInput(HealthCheckId, id, invalid),
      );
      return xmlResponse('GetHealthCheckStatusResponse', {
        HealthCheckObservations: observations.map((o) => ({
          Region: o.region,
          StatusReport: { Status: o.status, CheckedTime: new Date(o.checkedAt).toISOString() },
        })),
      });
    }
    case 'DeleteHealthCheck':
      state.deleteHealthCheck(req.account, parseInput(HealthCheckId, id, invalid));
      return xmlResponse('DeleteHealthCheckResponse', {});
    default:
      throw new Error(`not a health-check operation: ${operation}`);
  }
}

/** A health check in Route 53's element order. */
function healthCheckXml(check: HealthCheck): XmlValue {
  return {
    Id: check.id,
    CallerReference: check.callerReference,
    HealthCheckConfig: {
      Type: check.config.type,
      RoutingControlArn: check.config.routingControlArn,
    },
    HealthCheckVersion: check.version,
  };
}
