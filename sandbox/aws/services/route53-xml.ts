import { XMLParser } from 'fast-xml-parser';
import { AwsError } from '../errors.ts';
import { type SimResponse, toXml, type XmlValue } from '../protocol.ts';

export const NS = 'https://route53.amazonaws.com/doc/2013-04-01/';

/** The element each of Route 53's lists names its members with. */
const MEMBERS: Record<string, string> = {
  HostedZones: 'HostedZone',
  ResourceRecordSets: 'ResourceRecordSet',
  ResourceRecords: 'ResourceRecord',
  VPCs: 'VPC',
  HealthChecks: 'HealthCheck',
  HealthCheckObservations: 'HealthCheckObservation',
};

/** Single-element lists of a request must stay lists. */
const parser = new XMLParser({
  parseTagValue: false,
  isArray: (tag) => tag === 'Change' || tag === 'ResourceRecord',
});

/** The request's XML as an object, or InvalidInput when it is not XML. */
export function readXml(body: string): unknown {
  try {
    return parser.parse(body, true);
  } catch (error) {
    throw new AwsError('InvalidInput', `The request body is not well-formed XML: ${String(error)}`);
  }
}

export function xmlResponse(
  root: string,
  content: { [k: string]: XmlValue },
  status = 200,
  headers: Record<string, string> = {},
): SimResponse {
  const body = toXml(content, (parent) => MEMBERS[parent] ?? 'member');
  return {
    status,
    headers: { 'content-type': 'text/xml', ...headers },
    body: `<?xml version="1.0"?>\n<${root} xmlns="${NS}">${body}</${root}>`,
  };
}
