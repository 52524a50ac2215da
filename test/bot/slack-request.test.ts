import { describe, expect, it } from 'vitest';
import { checkSlackRequest } from '../../bot/slack-request.ts';
import { signSlackRequest } from '../../sandbox/slack/signer.ts';

const SECRET = 'test-signing-secret';
const NOW = 1_767_582_300;
const FORM = 'application/x-www-form-urlencoded';

/** The request as Slack would sign it at `NOW`, with headers changed as given. */
function request(body: string | Buffer, headers: Record<string, string | undefined> = {}) {
  const signed = signSlackRequest({ signingSecret: SECRET, body: String(body), timestamp: NOW });
  return { rawBody: body, headers: { ...signed, ...headers } };
}

describe('checkSlackRequest', () => {
  it.each([
    ['no signature', { 'x-slack-signature': undefined }],
    ['no timestamp', { 'x-slack-request-timestamp': undefined }],
    ['a timestamp six minutes old', { 'x-slack-request-timestamp': String(NOW - 360) }],
    ['a timestamp six minutes ahead', { 'x-slack-request-timestamp': String(NOW + 360) }],
    ['a signature of another version', { 'x-slack-signature': `v1=${'0'.repeat(64)}` }],
    ['a signature that is not hex', { 'x-slack-signature': 'v0=zz' }],
    ['a forged signature', { 'x-slack-signature': `v0=${'a'.repeat(64)}` }],
  ])('answers 401 to a request with %s, whatever its body', (_, headers) => {
    // Prepare
    const bodies = ['payload=%7B', 'payload=null', '{"type":', '', 'text=drill'];
    // Act
    const checks = bodies.map((body) => checkSlackRequest(request(body, headers), SECRET, NOW));
    // Assess
    for (const check of checks)
      expect(check).toMatchObject({ ok: false, statusCode: 401, message: /not signed by Slack/ });
  });

  it('answers 401 when the body was changed after signing', () => {
    // Prepare
    const signed = request('text=status');
    // Act
    const check = checkSlackRequest({ ...signed, rawBody: 'text=drill' }, SECRET, NOW);
    // Assess
    expect(check).toMatchObject({ ok: false, statusCode: 401 });
  });

  it.each([
    ['a form', 'text=drill%20dmnt', FORM, FORM],
    ['a form whose content type names its charset', 'text=drill', `${FORM}; charset=utf-8`, FORM],
    [
      'an interaction',
      `payload=${encodeURIComponent('{"type":"block_actions","user":{"id":"U02BOB"}}')}`,
      FORM,
      FORM,
    ],
    ['JSON', '{"type":"event_callback"}', 'Application/JSON; charset=utf-8', 'application/json'],
  ])('passes on %s signed by Slack, with its bare media type', (_, body, type, bare) => {
    // Act
    const check = checkSlackRequest(request(body, { 'content-type': type }), SECRET, NOW);
    // Assess
    expect(check).toEqual({ ok: true, body, contentType: bare });
  });

  it.each([
    [
      'an interaction that names no user',
      'payload=%7B%22type%22%3A%22block_actions%22%7D',
      FORM,
      /names no user/,
    ],
    [
      'a modal submission without its view',
      `payload=${encodeURIComponent('{"type":"view_submission","user":{"id":"U02BOB"}}')}`,
      FORM,
      /view_submission payload without its view/,
    ],
    [
      'an interaction sent as JSON',
      '{"type":"block_actions","actions":[{"action_id":"gate_approve"}]}',
      'application/json',
      /no Events API envelope/,
    ],
  ])('answers 400 for %s, which Bolt would throw on before any listener', (_, body, type, why) => {
    const check = checkSlackRequest(request(body, { 'content-type': type }), SECRET, NOW);
    expect(check).toMatchObject({ ok: false, statusCode: 400, message: why });
  });

  it('checks the signature over the bytes as sent', () => {
    // Prepare
    const body = 'text=drill%20dmnt%20%E2%80%94%20%D7%A9%D7%9C%D7%95%D7%9D';
    // Act
    const check = checkSlackRequest(request(Buffer.from(body, 'utf8')), SECRET, NOW);
    // Assess
    expect(check).toMatchObject({ ok: true, body });
  });

  it.each([
    ['a payload that is not JSON', 'payload=%7B', FORM, /`payload` is not a JSON object/],
    ['a null payload', 'payload=null', FORM, /`payload` is not a JSON object/],
    ['a payload that is a list', 'payload=%5B1%5D', FORM, /`payload` is not a JSON object/],
    ['two payloads', 'payload=%7B%7D&payload=%7B%7D', FORM, /more than one payload/],
    ['JSON that does not parse', '{"type":', 'application/json', /not a JSON object/],
    ['a text body', 'drill dmnt', 'text/plain', /content type "text\/plain" is none Slack sends/],
    ['no content type', 'text=drill', undefined, /content type "" is none Slack sends/],
  ])('answers 400 to a signed request with %s, saying why', (_, body, type, why) => {
    // Act
    const check = checkSlackRequest(request(body, { 'content-type': type }), SECRET, NOW);
    // Assess
    expect(check).toMatchObject({ ok: false, statusCode: 400, message: why });
  });
});
