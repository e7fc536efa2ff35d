import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';

/** A nameserver for tests, on a UDP port of 127.0.0.1: answers the A records it is given, ignores some names. */
export interface FakeDns {
  /** `127.0.0.1:<port>`, as a resolver's server. */
  readonly server: string;
  /** Queries heard, by name. */
  readonly heard: Map<string, number>;
  close(): Promise<void>;
}

/**
 * `answer(name)` gives a name's IPv4 address, `'ignore'` to never answer (a black-holed nameserver), or
 * undefined for NXDOMAIN. AAAA queries get an empty answer.
 */
export async function startFakeDns(answer: (name: string, queriesSoFar: number) => string | 'ignore' | undefined): Promise<FakeDns> {
  const socket: Socket = createSocket('udp4');
  const heard = new Map<string, number>();
  socket.on('message', (query, from) => {
    // Header (12 bytes), then the question: labels, a zero byte, its type and class.
    let at = 12;
    const labels: string[] = [];
    while (at < query.length && query[at] !== 0) {
      labels.push(query.subarray(at + 1, at + 1 + query[at]!).toString('ascii'));
      at += query[at]! + 1;
    }
    const questionEnd = at + 5;
    if (questionEnd > query.length) return;
    const name = labels.join('.').toLowerCase();
    const type = query.readUInt16BE(at + 1);
    const count = (heard.get(name) ?? 0) + 1;
    heard.set(name, count);
    const address = answer(name, count);
    if (address === 'ignore') return;
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2);
    header.writeUInt16BE(address === undefined ? 0x8183 : 0x8180, 2); // a response, recursion available; NXDOMAIN or not
    header.writeUInt16BE(1, 4);
    const answers = address !== undefined && type === 1 ? 1 : 0;
    header.writeUInt16BE(answers, 6);
    const record = Buffer.alloc(16);
    record.writeUInt16BE(0xc00c, 0); // the question's name
    record.writeUInt16BE(1, 2); // A
    record.writeUInt16BE(1, 4); // IN
    record.writeUInt32BE(60, 6);
    record.writeUInt16BE(4, 10);
    if (answers) address!.split('.').forEach((octet, i) => record.writeUInt8(Number(octet), 12 + i));
    socket.send(Buffer.concat([header, query.subarray(12, questionEnd), answers ? record : Buffer.alloc(0)]), from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    server: `127.0.0.1:${(socket.address() as AddressInfo).port}`,
    heard,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}
