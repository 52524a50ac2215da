import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import type { HostedZone, Route53State } from './services/route53-state.ts';

/** The DNS types and codes the server speaks (RFC 1035). */
const TYPE = { A: 1, CNAME: 5, ANY: 255 } as const;
const CLASS_IN = 1;
const RCODE = { NOERROR: 0, FORMERR: 1, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const HEADER_BYTES = 12;

export interface DnsAddress {
  host: string;
  port: number;
}

interface Question {
  name: string;
  type: number;
  klass: number;
  /** The question section as received, echoed in the answer. */
  bytes: Buffer;
}

interface Resource {
  type: number;
  ttl: number;
  rdata: Buffer;
}

class MalformedQueryError extends Error {
  constructor(why: string) {
    super(why);
    this.name = 'MalformedQueryError';
  }
}

/**
 * A DNS server on loopback (UDP) that answers as a resolver in the plans' VPCs would: A and
 * CNAME (and ANY as both) for names in the plans' private zones, from Route 53's resolver, with
 * each record's TTL; NXDOMAIN for a name a known zone does not hold, REFUSED for a name outside
 * every zone. Both zones of a plan hold the same names; a name found in several zones is answered
 * from the zone of a plan's recovery side, where Lifeboat's own functions run after a failover.
 * A malformed query is answered FORMERR when its header can be read, and ignored otherwise.
 */
export class DnsServer {
  private socket?: Socket;

  constructor(private readonly route53: Route53State) {}

  async start(port = 0, host = '127.0.0.1'): Promise<DnsAddress> {
    const socket = createSocket('udp4');
    this.socket = socket;
    socket.on('message', (message: Buffer, peer: RemoteInfo) => {
      const reply = this.answer(message);
      if (reply) socket.send(reply, peer.port, peer.address);
    });
    socket.on('error', () => {
      // A send to a peer that went away must not bring the server down.
    });
    await new Promise<void>((resolve) => socket.bind(port, host, resolve));
    const address = socket.address() as AddressInfo;
    return { host: address.address, port: address.port };
  }

  async stop(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  /** The response to one query packet, or undefined when there is nothing to answer. */
  answer(query: Buffer): Buffer | undefined {
    if (query.length < HEADER_BYTES) return undefined;
    const id = query.readUInt16BE(0);
    const flags = query.readUInt16BE(2);
    if (flags & 0x8000) return undefined; // a response, not a query
    const recursionDesired = (flags & 0x0100) !== 0;
    try {
      if (((flags >> 11) & 0xf) !== 0) return reply(id, recursionDesired, RCODE.NOTIMP);
      if (query.readUInt16BE(4) !== 1) throw new MalformedQueryError('one question per query');
      const question = readQuestion(query);
      const { rcode, answers } = this.resolve(question);
      return reply(id, recursionDesired, rcode, question, answers);
    } catch (error) {
      if (error instanceof MalformedQueryError || error instanceof RangeError)
        return reply(id, recursionDesired, RCODE.FORMERR);
      throw error;
    }
  }

  private resolve(question: Question): { rcode: number; answers: Resource[] } {
    if (question.klass !== CLASS_IN) return { rcode: RCODE.REFUSED, answers: [] };
    const zone = this.zoneOf(question.name);
    if (!zone) return { rcode: RCODE.REFUSED, answers: [] };
    const types = this.route53.resolver.typesAt(zone, question.name);
    if (types.length === 0) {
      const deeper = [...zone.served.values()].some((set) =>
        set.name.endsWith(`.${question.name}`),
      );
      return { rcode: deeper ? RCODE.NOERROR : RCODE.NXDOMAIN, answers: [] };
    }
    // A CNAME stands for every type at its name: an A query gets the CNAME.
    const wanted =
      question.type === TYPE.ANY
        ? ['A', 'CNAME']
        : question.type === TYPE.A || question.type === TYPE.CNAME
          ? ['CNAME', ...(question.type === TYPE.A ? ['A'] : [])]
          : [];
    const answers = wanted.flatMap((type) => {
      const answer = this.route53.resolve(zone.id, question.name, type);
      if (!answer) return [];
      return answer.values.map((value) => ({
        type: TYPE[type as 'A' | 'CNAME'],
        ttl: answer.ttl,
        rdata: type === 'A' ? ipv4(value) : encodeName(value),
      }));
    });
    return { rcode: RCODE.NOERROR, answers };
  }

  /** The deepest zone holding the name; of equals, one of a plan's recovery side. */
  private zoneOf(name: string): HostedZone | undefined {
    const holding = this.route53
      .allZones()
      .filter((zone) => name === zone.name || name.endsWith(`.${zone.name}`));
    holding.sort(
      (a, b) =>
        b.name.length - a.name.length ||
        Number(b.side === 'recovery') - Number(a.side === 'recovery'),
    );
    return holding[0];
  }
}

/** The question section: the name (lower case, with the trailing dot), its type and class. */
function readQuestion(packet: Buffer): Question {
  const labels: string[] = [];
  let offset = HEADER_BYTES;
  for (;;) {
    const length = packet.readUInt8(offset);
    if (length === 0) break;
    if (length > 63) throw new MalformedQueryError('a label longer than 63 bytes, or compressed');
    labels.push(packet.toString('latin1', offset + 1, offset + 1 + length));
    offset += 1 + length;
    if (offset >= packet.length) throw new MalformedQueryError('the name runs past the packet');
  }
  const end = offset + 5;
  const type = packet.readUInt16BE(offset + 1);
  const klass = packet.readUInt16BE(offset + 3);
  return {
    name: `${labels.join('.').toLowerCase()}.`,
    type,
    klass,
    bytes: packet.subarray(HEADER_BYTES, end),
  };
}

/** A response: the header (authoritative, recursion available), the question, the answers. */
function reply(
  id: number,
  recursionDesired: boolean,
  rcode: number,
  question?: Question,
  answers: Resource[] = [],
): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x8000 | 0x0400 | (recursionDesired ? 0x0100 : 0) | 0x0080 | rcode, 2);
  header.writeUInt16BE(question ? 1 : 0, 4);
  header.writeUInt16BE(answers.length, 6);
  const records = answers.map((answer) => {
    const fixed = Buffer.alloc(12);
    fixed.writeUInt16BE(0xc000 | HEADER_BYTES, 0); // the owner is the question's name
    fixed.writeUInt16BE(answer.type, 2);
    fixed.writeUInt16BE(CLASS_IN, 4);
    fixed.writeUInt32BE(answer.ttl, 6);
    fixed.writeUInt16BE(answer.rdata.length, 10);
    return Buffer.concat([fixed, answer.rdata]);
  });
  return Buffer.concat([header, question?.bytes ?? Buffer.alloc(0), ...records]);
}

/** A domain name as length-prefixed labels, uncompressed. */
function encodeName(name: string): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter(Boolean);
  return Buffer.concat([
    ...labels.map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label)])),
    Buffer.from([0]),
  ]);
}

function ipv4(address: string): Buffer {
  return Buffer.from(address.split('.').map(Number));
}
