import { createSocket } from 'node:dgram';
import { ChangeResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Plan } from '../../../orchestrator/domain/plan.ts';
import type { LocalAws } from '../../../sandbox/aws/local-aws.ts';
import { samplePlans, startSampleAws } from './harness.ts';
import {
  ORA01,
  PRIMARY_ZONE,
  RECOVERY_ZONE,
  route53As,
  serverIps,
  setControls,
} from './route53-world.ts';

let aws: LocalAws;
let plans: Plan[];
beforeEach(async () => {
  plans = await samplePlans();
  aws = await startSampleAws({ plans, dnsPort: 0 });
});
afterEach(() => aws.stop());

const TYPES = { A: 1, CNAME: 5, AAAA: 28, ANY: 255 } as const;
const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

/** A standard query (RFC 1035 §4.1), recursion desired, built by hand. */
function query(id: number, name: string, type: keyof typeof TYPES): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2);
  header.writeUInt16BE(1, 4);
  const labels = name
    .replace(/\.$/, '')
    .split('.')
    .map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label)]));
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(TYPES[type], 0);
  tail.writeUInt16BE(1, 2);
  return Buffer.concat([header, ...labels, Buffer.from([0]), tail]);
}

/** Sends a packet and waits for the answer, or for nothing (undefined after `waitMs`). */
async function exchange(packet: Buffer, waitMs = 1_000): Promise<Buffer | undefined> {
  const socket = createSocket('udp4');
  const { host, port } = aws.dnsAddress ?? { host: '', port: 0 };
  try {
    return await new Promise<Buffer | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), waitMs);
      socket.once('message', (message) => {
        clearTimeout(timer);
        resolve(message);
      });
      socket.send(packet, port, host);
    });
  } finally {
    socket.close();
  }
}

function readName(packet: Buffer, start: number): { name: string; end: number } {
  const labels: string[] = [];
  let offset = start;
  let end: number | undefined;
  for (let length = packet.readUInt8(offset); length !== 0; length = packet.readUInt8(offset)) {
    if (length >= 0xc0) {
      end ??= offset + 2;
      offset = packet.readUInt16BE(offset) & 0x3fff;
      continue;
    }
    labels.push(packet.toString('latin1', offset + 1, offset + 1 + length));
    offset += 1 + length;
  }
  return { name: `${labels.join('.')}.`, end: end ?? offset + 1 };
}

/** The parts of a response the tests look at. */
function parse(packet: Buffer | undefined) {
  if (!packet) throw new Error('no answer');
  const flags = packet.readUInt16BE(2);
  const answers: { name: string; type: number; ttl: number; data: string }[] = [];
  let offset = 12;
  for (let i = 0; i < packet.readUInt16BE(4); i++) offset = readName(packet, offset).end + 4;
  for (let i = 0; i < packet.readUInt16BE(6); i++) {
    const owner = readName(packet, offset);
    const type = packet.readUInt16BE(owner.end);
    const ttl = packet.readUInt32BE(owner.end + 4);
    const length = packet.readUInt16BE(owner.end + 8);
    const rdata = owner.end + 10;
    const data =
      type === TYPES.A
        ? [...packet.subarray(rdata, rdata + length)].join('.')
        : readName(packet, rdata).name;
    answers.push({ name: owner.name, type, ttl, data });
    offset = rdata + length;
  }
  return {
    id: packet.readUInt16BE(0),
    response: (flags & 0x8000) !== 0,
    authoritative: (flags & 0x0400) !== 0,
    rcode: RCODES[flags & 0xf],
    answers,
  };
}

const ora01 = () => serverIps(plans, 'bcbsaz-ora-01');

describe('the DNS server on loopback', () => {
  it('answers an A query with the PRIMARY, then the SECONDARY once ARC flips', async () => {
    // Act
    const before = parse(await exchange(query(4242, 'ORA01.bcbsaz.hrp.internal', 'A')));
    setControls(aws, { 'us-east-1': 'Off', 'us-east-2': 'On' });
    const after = parse(await exchange(query(4243, ORA01, 'A')));
    // Assess
    expect(before).toEqual({
      id: 4242,
      response: true,
      authoritative: true,
      rcode: 'NOERROR',
      answers: [
        { name: 'ORA01.bcbsaz.hrp.internal.', type: TYPES.A, ttl: 60, data: ora01().primary },
      ],
    });
    expect(after.answers.map((a) => a.data)).toEqual([ora01().recovery]);
  });

  it('answers a CNAME for CNAME, A and ANY queries of a CNAME name, and A for ANY of an A name', async () => {
    // Act
    const [cname, a, any, anyA] = await Promise.all([
      exchange(query(1, 'sqldw.bcbsaz.hrp.internal', 'CNAME')),
      exchange(query(2, 'sqldw.bcbsaz.hrp.internal', 'A')),
      exchange(query(3, 'sqldw.bcbsaz.hrp.internal', 'ANY')),
      exchange(query(4, ORA01, 'ANY')),
    ]);
    // Assess
    const listener = {
      name: 'sqldw.bcbsaz.hrp.internal.',
      type: TYPES.CNAME,
      ttl: 60,
      data: 'bcbsaz-dw-listener.use1.hrp.internal.',
    };
    for (const packet of [cname, a, any]) expect(parse(packet).answers).toEqual([listener]);
    expect(parse(anyA).answers.map((r) => [r.type, r.data])).toEqual([[TYPES.A, ora01().primary]]);
  });

  it('answers NXDOMAIN inside a known zone, NOERROR without answers for another type, REFUSED outside', async () => {
    // Act
    const [missing, aaaa, outside] = await Promise.all([
      exchange(query(7, 'nosuch.bcbsaz.hrp.internal', 'A')),
      exchange(query(8, ORA01, 'AAAA')),
      exchange(query(9, 'example.com', 'A')),
    ]);
    // Assess
    expect([parse(missing).rcode, parse(missing).answers]).toEqual(['NXDOMAIN', []]);
    expect([parse(aaaa).rcode, parse(aaaa).answers]).toEqual(['NOERROR', []]);
    expect([parse(outside).rcode, parse(outside).answers]).toEqual(['REFUSED', []]);
  });

  it('answers from the recovery side’s zone when both zones hold the name', async () => {
    // Prepare
    const route53 = await route53As(aws, plans);
    const upsert = (zoneId: string, name: string) =>
      route53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: zoneId,
          ChangeBatch: {
            Changes: [
              {
                Action: 'UPSERT',
                ResourceRecordSet: {
                  Name: name,
                  Type: 'A',
                  TTL: 15,
                  ResourceRecords: [{ Value: zoneId === PRIMARY_ZONE ? '10.1.0.1' : '10.2.0.1' }],
                },
              },
            ],
          },
        }),
      );
    await upsert(PRIMARY_ZONE, 'only-primary.bcbsaz.hrp.internal');
    await upsert(RECOVERY_ZONE, 'only-recovery.bcbsaz.hrp.internal');
    const pending = parse(await exchange(query(1, 'only-recovery.bcbsaz.hrp.internal', 'A')));
    aws.clock.advance(60_000);
    // Act
    const recovery = parse(await exchange(query(2, 'only-recovery.bcbsaz.hrp.internal', 'A')));
    const primary = parse(await exchange(query(3, 'only-primary.bcbsaz.hrp.internal', 'A')));
    // Assess
    expect(pending.rcode).toBe('NXDOMAIN');
    expect(recovery.answers).toEqual([
      { name: 'only-recovery.bcbsaz.hrp.internal.', type: TYPES.A, ttl: 15, data: '10.2.0.1' },
    ]);
    expect(primary.rcode).toBe('NXDOMAIN');
  });

  it('survives garbage: ignores what has no header, answers FORMERR to a broken question', async () => {
    // Prepare
    const broken = query(77, ORA01, 'A').subarray(0, 20);
    const compressed = Buffer.concat([
      query(78, 'x', 'A').subarray(0, 12),
      Buffer.from([0xc0, 0x0c]),
    ]);
    const twoQuestions = query(79, ORA01, 'A');
    twoQuestions.writeUInt16BE(2, 4);
    // Act
    const tiny = await exchange(Buffer.from([1, 2, 3]), 300);
    const answers = await Promise.all(
      [broken, compressed, twoQuestions, Buffer.alloc(12, 0xff)].map((p) => exchange(p, 300)),
    );
    const still = parse(await exchange(query(80, ORA01, 'A')));
    // Assess
    expect(tiny).toBeUndefined();
    expect(answers.slice(0, 3).map((p) => [parse(p).id, parse(p).rcode])).toEqual([
      [77, 'FORMERR'],
      [78, 'FORMERR'],
      [79, 'FORMERR'],
    ]);
    expect(answers[3]).toBeUndefined();
    expect(still.answers.map((a) => a.data)).toEqual([ora01().primary]);
  });

  it('stops with the local AWS, and is not started without dnsPort', async () => {
    // Prepare
    const address = aws.dnsAddress;
    const bare = await startSampleAws({ plans });
    // Act
    await aws.stop();
    const afterStop = await exchange(query(1, ORA01, 'A'), 300).catch(() => undefined);
    // Assess
    expect(address?.host).toBe('127.0.0.1');
    expect(address?.port).toBeGreaterThan(0);
    expect(bare.dnsAddress).toBeUndefined();
    expect(afterStop).toBeUndefined();
    await bare.stop();
    aws = await startSampleAws({ plans });
  });
});
