import type { IncomingHttpHeaders } from 'node:http';
import type { AwsError } from './errors.ts';

/** A signed request, with what its SigV4 credential scope says about it. */
export interface SimRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body as sent, for services that store bytes (S3). */
  bytes: Buffer;
  /** From the credential scope: `.../<region>/<service>/aws4_request`. */
  region: string;
  service: string;
  accessKeyId: string;
  /** The account the credentials act in (from STS-issued keys), or the tooling account. */
  account: string;
}

export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  body: string | Buffer;
}

/** One simulated service: its signing name, how to name an operation, answer it, and render errors. */
export interface SimService {
  readonly signingName: string;
  operationOf(req: SimRequest): string;
  handle(req: SimRequest, operation: string): SimResponse | Promise<SimResponse>;
  renderError(error: AwsError, req: SimRequest): SimResponse;
  /** The service's own throttling error (codes differ: ThrottlingException, RequestLimitExceeded…). */
  throttlingError(): AwsError;
}

export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): SimResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

const XML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c] ?? c);
}

export type XmlValue =
  | string
  | number
  | boolean
  | undefined
  | null
  | XmlValue[]
  | { [k: string]: XmlValue };

/**
 * Renders a value as XML elements: objects as nested elements, arrays as repeated `itemTag`
 * children (EC2 says `item`, Route 53 names each list's member), undefined skipped.
 */
export function toXml(
  value: XmlValue,
  itemTag: (parent: string) => string = () => 'item',
  parent = '',
): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) {
    const tag = itemTag(parent);
    return value.map((v) => `<${tag}>${toXml(v, itemTag, tag)}</${tag}>`).join('');
  }
  if (typeof value === 'object') {
    return Object.entries(value)
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => `<${k}>${toXml(v, itemTag, k)}</${k}>`)
      .join('');
  }
  return escapeXml(String(value));
}

export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** ISO-8601 duration as DRS writes lag: `PT0S`, `PT2M5S`. */
export function isoDuration(ms: number): string {
  let s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `PT${h ? `${h}H` : ''}${m ? `${m}M` : ''}${s || (!h && !m) ? `${s}S` : ''}`;
}

export function requestId(): string {
  return crypto.randomUUID();
}

/** The operation an AWS JSON request names in `X-Amz-Target: <prefix><Operation>`. */
export function targetOperation(req: SimRequest, prefix: string): string {
  const target = String(req.headers['x-amz-target'] ?? '');
  return target.startsWith(prefix) ? target.slice(prefix.length) : target;
}

/** The `Action` of an AWS query-protocol request (EC2, STS): a form-encoded body. */
export function queryAction(req: SimRequest): string {
  return new URLSearchParams(req.body).get('Action') ?? '';
}

const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * A query-protocol request's parameters as one object, for a schema to parse: `InstanceId.2`
 * becomes `InstanceId[1]`, `Filter.1.Value.1` becomes `Filter[0].Value[0]`,
 * `Parameters.member.1.ParameterKey` becomes `Parameters.member[0].ParameterKey`.
 */
export function decodeQuery(params: URLSearchParams): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [name, value] of params) {
    const parts = name.split('.');
    // Not a parameter of any operation, and would write through to Object's prototype.
    if (parts.some((part) => UNSAFE_KEYS.has(part))) continue;
    let node: Record<string, unknown> | unknown[] = root;
    parts.forEach((part, i) => {
      const index = /^[1-9]\d*$/.test(part) ? Number(part) - 1 : undefined;
      const key = index ?? part;
      const last = i === parts.length - 1;
      const nextIsIndex = !last && /^[1-9]\d*$/.test(parts[i + 1] ?? '');
      const slot = node as Record<string | number, unknown>;
      if (last) slot[key] = value;
      else {
        slot[key] ??= nextIsIndex ? [] : {};
        node = slot[key] as Record<string, unknown> | unknown[];
      }
    });
  }
  return root;
}
