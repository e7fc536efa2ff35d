import { connect, headers as natsHeaders, MsgHdrsImpl, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { rootContext } from '@cleave/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextFieldsOf, contextFromFields, contextToHeaders, parseContextHeaders, rawHeaderBlock } from '../../libs/platform/src/nats/wire-context';
import { NatsServerProcess } from '../support/nats-server';

describe('call context on NATS headers', () => {
  let server: NatsServerProcess;
  let nc: NatsConnection;
  beforeAll(async () => {
    server = await NatsServerProcess.start();
    nc = await connect({ servers: server.url });
  });
  afterAll(async () => {
    await nc?.close();
    await server?.dispose();
  });

  async function roundTrip(publish: (subject: string) => void): Promise<Msg> {
    const subject = `wire.${Math.random().toString(36).slice(2)}`;
    const received = new Promise<Msg>((resolve) => nc.subscribe(subject, { max: 1, callback: (_e, m) => resolve(m) }));
    await nc.flush();
    publish(subject);
    return received;
  }

  it('reads a received block through the fast path, and agrees with nats.js own headers', async () => {
    const principal = { kind: 'user' as const, id: 'user_1', clientId: 'oauth2client_1', scopes: ['a', 'b'] };
    const sent = rootContext({ principal, idempotencyKey: 'key-é-1', requestId: 'req_custom', timeoutMs: 1234 }, 5000);
    const msg = await roundTrip((subject) => nc.publish(subject, 'x', { headers: contextToHeaders(sent, true) }));
    // With the pinned nats.js the internals are there: if an upgrade removes them, this fails rather than slowing down.
    expect(rawHeaderBlock(msg)).toEqual(expect.any(String));
    const fields = contextFieldsOf(msg);
    expect(fields).toEqual({
      traceparent: msg.headers!.get('traceparent'),
      timeoutMs: msg.headers!.get('cleave-timeout-ms'),
      requestId: 'req_custom',
      principal: JSON.stringify(principal),
      idempotencyKey: msg.headers!.get('idempotency-key'),
    });
    const received = contextFromFields(fields, 5000);
    expect(received).toMatchObject({ traceId: sent.traceId, spanId: sent.spanId, requestId: 'req_custom', principal, idempotencyKey: 'key-é-1' });
    expect(received.deadline - Date.now()).toBeLessThanOrEqual(1234);
  });

  it('reads headers other clients set, whatever their case', async () => {
    const h = natsHeaders();
    h.set('Traceparent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    h.set('Cleave-Timeout-Ms', '250');
    h.append('Cleave-Timeout-Ms', '999');
    const msg = await roundTrip((subject) => nc.publish(subject, 'x', { headers: h }));
    expect(contextFieldsOf(msg)).toEqual({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', timeoutMs: '250' });
  });

  it('parses blocks exactly as nats.js does, for the fields it reads', () => {
    const blocks = [
      'NATS/1.0\r\ntraceparent: a\r\ncleave-timeout-ms:  5 \r\n\r\n',
      'NATS/1.0 503\r\n\r\n',
      'NATS/1.0\r\n\r\n',
      'NATS/1.0\r\nX-Other: 1\r\ncleave-request-id: req_1\r\ncleave-request-id: req_2\r\nidempotency-key: k:with:colons\r\n\r\n',
    ];
    for (const block of blocks) {
      const ours = parseContextHeaders(block);
      const theirs = MsgHdrsImpl.decode(new TextEncoder().encode(block));
      for (const [name, field] of [['traceparent', 'traceparent'], ['cleave-timeout-ms', 'timeoutMs'], ['cleave-request-id', 'requestId'], ['idempotency-key', 'idempotencyKey']] as const) {
        expect(ours[field] ?? '').toBe(theirs.get(name));
      }
    }
  });

  it('refuses a line break in a value it forwards', () => {
    const context = rootContext({ idempotencyKey: 'a\r\nInjected: 1' }, 1000);
    expect(() => contextToHeaders(context, true)).toThrow(/must not contain line breaks/);
  });

  it('leaves out a request id that is only the trace id, and derives it back', async () => {
    const sent = rootContext({}, 1000);
    const msg = await roundTrip((subject) => nc.publish(subject, 'x', { headers: contextToHeaders(sent, false) }));
    expect(msg.headers!.has('cleave-request-id')).toBe(false);
    expect(contextFromFields(contextFieldsOf(msg), 1000).requestId).toBe(sent.requestId);
  });
});
