import { connect, headers as natsHeaders, MsgHdrsImpl, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { generateKeyPairSync } from 'node:crypto';
import { rootContext } from '@cleave/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  contextFieldsOf,
  contextFromFields,
  contextToHeaders,
  parseContextHeaders,
  rawHeaderBlock,
} from '../../libs/platform/src/nats/wire-context';
import { PrincipalSeal, principalKeysFrom } from '../../libs/platform/src/security/principal-seal';
import { NatsServerProcess } from '../support/nats-server';

function keyPair(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
}

describe('call context on NATS headers', () => {
  const keys = keyPair();
  // The gateway's process seals; a context's process holds only the public key.
  const gatewaySeal = new PrincipalSeal(principalKeysFrom(keys.privatePem, undefined));
  const contextSeal = new PrincipalSeal(principalKeysFrom(undefined, keys.publicPem));
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
    const sent = rootContext({ principal, idempotencyKey: 'key-1', requestId: 'req_custom', timeoutMs: 1234 }, 5000);
    const msg = await roundTrip((subject) => nc.publish(subject, 'x', { headers: contextToHeaders(sent, gatewaySeal) }));
    // With the pinned nats.js the internals are there: if an upgrade removes them, this fails rather than slowing down.
    expect(rawHeaderBlock(msg)).toEqual(expect.any(String));
    const fields = contextFieldsOf(msg);
    expect(fields).toEqual({
      traceparent: msg.headers!.get('traceparent'),
      timeoutMs: msg.headers!.get('cleave-timeout-ms'),
      requestId: 'req_custom',
      principal: msg.headers!.get('cleave-principal'),
      idempotencyKey: msg.headers!.get('idempotency-key'),
    });
    const received = contextFromFields(fields, 5000, contextSeal);
    expect(received).toMatchObject({
      traceId: sent.traceId,
      spanId: sent.spanId,
      requestId: 'req_custom',
      principal,
      idempotencyKey: 'key-1',
    });
    // Less the 50 ms kept back for the answer's way home: out of time, the receiver says so in time.
    const left = received.deadline - Date.now();
    expect(left).toBeLessThanOrEqual(1234 - 50);
    expect(left).toBeGreaterThan(1000);
    // A context forwards the seal it was given: it can't make one of its own.
    expect(contextToHeaders(received, contextSeal)).toBeDefined();
  });

  it('refuses a principal that is not sealed by the gateway, or sealed for another call', async () => {
    const principal = { kind: 'user' as const, id: 'user_1', scopes: ['customer'] };
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const sealed = contextFieldsOf(
      await roundTrip((s) => nc.publish(s, 'x', { headers: contextToHeaders(rootContext({ principal, traceparent }, 5000), gatewaySeal) })),
    );
    expect(contextFromFields(sealed, 5000, contextSeal).principal).toEqual(principal);
    const refusal = (fields: Record<string, string | undefined>) => {
      try {
        contextFromFields(fields, 5000, contextSeal);
        return 'accepted';
      } catch (error) {
        return `${(error as { code: string }).code}: ${(error as Error).message}`;
      }
    };
    // The JSON the bus used to trust.
    expect(refusal({ traceparent, principal: JSON.stringify(principal) })).toMatch(/^unauthenticated: .*malformed/);
    // Sealed with another key: a context that is not the gateway trying to vouch.
    const impostor = new PrincipalSeal(principalKeysFrom(keyPair().privatePem, undefined)).seal(
      rootContext({ principal, traceparent }, 5000),
    );
    expect(refusal({ traceparent, principal: impostor })).toMatch(/^unauthenticated: .*not genuine/);
    // A genuine seal lifted onto another call.
    expect(refusal({ traceparent: '00-11111111111111111111111111111111-00f067aa0ba902b7-01', principal: sealed.principal })).toMatch(
      /another call/,
    );
    expect(refusal({ principal: sealed.principal })).toMatch(/traceparent/);
    // One replayed after its call's deadline.
    const expired = gatewaySeal.seal(rootContext({ principal: { ...principal }, traceparent, deadline: Date.now() - 10_000 }, 5000));
    expect(refusal({ traceparent, principal: expired })).toMatch(/expired/);
    // A tampered body.
    const [v, body, signature] = sealed.principal!.split('.');
    const promoted = Buffer.from(Buffer.from(body!, 'base64url').toString().replace('customer', 'admin')).toString('base64url');
    expect(refusal({ traceparent, principal: `${v}.${promoted}.${signature}` })).toMatch(/not genuine/);
  });

  it('refuses headers out of bounds before they reach a handler', () => {
    const bad = (fields: Record<string, string>) => {
      try {
        contextFromFields(fields, 5000, contextSeal);
        return 'accepted';
      } catch (error) {
        return (error as { code: string }).code;
      }
    };
    expect(bad({ requestId: 'x'.repeat(129) })).toBe('bad_request');
    expect(bad({ idempotencyKey: 'k'.repeat(256) })).toBe('bad_request');
    expect(bad({ idempotencyKey: 'clé' })).toBe('bad_request');
    expect(bad({ timeoutMs: '1e9' })).toBe('bad_request');
    expect(bad({ timeoutMs: '-5' })).toBe('bad_request');
    expect(bad({ principal: 'garbage', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' })).toBe('unauthenticated');
    expect(bad({ requestId: 'req_1', idempotencyKey: 'k:1', timeoutMs: '250' })).toBe('accepted');
  });

  it('holds a call that asks for days to the longest budget any setting gives', () => {
    const received = contextFromFields({ timeoutMs: '999999999' }, 5000, contextSeal);
    const budget = received.deadline - Date.now();
    expect(budget).toBeGreaterThan(3_500_000);
    expect(budget).toBeLessThanOrEqual(3_600_000);
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
      for (const [name, field] of [
        ['traceparent', 'traceparent'],
        ['cleave-timeout-ms', 'timeoutMs'],
        ['cleave-request-id', 'requestId'],
        ['idempotency-key', 'idempotencyKey'],
      ] as const) {
        expect(ours[field] ?? '').toBe(theirs.get(name));
      }
    }
  });

  it('refuses a line break in a value it forwards', () => {
    const context = rootContext({ idempotencyKey: 'a\r\nInjected: 1' }, 1000);
    expect(() => contextToHeaders(context, gatewaySeal)).toThrow(/must not contain line breaks/);
  });

  it('leaves out a request id that is only the trace id, and derives it back', async () => {
    const sent = rootContext({}, 1000);
    const msg = await roundTrip((subject) => nc.publish(subject, 'x', { headers: contextToHeaders(sent, gatewaySeal) }));
    expect(msg.headers!.has('cleave-request-id')).toBe(false);
    expect(contextFromFields(contextFieldsOf(msg), 1000, contextSeal).requestId).toBe(sent.requestId);
  });
});
