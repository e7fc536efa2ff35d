import type { Msg, MsgHdrs } from '@nats-io/transport-node';
import {
  formatTraceparent,
  IDEMPOTENCY_KEY,
  parseTraceparent,
  REQUEST_ID,
  type CallContext,
  type Principal,
} from '../context/call-context';
import { newSpanId, newTraceId } from '../context/ids';
import { CleaveError } from '../errors/cleave-error';
import type { PrincipalSeal } from '../security/principal-seal';
import { Headers } from './subjects';
import { PlatformErrors } from '@cleave/contracts';

/**
 * Headers encoded once, when built. nats.js asks outgoing headers for nothing but `encode()` (see
 * wire-context.spec.ts, which fails if that changes); its own MsgHdrsImpl allocates a Map and validates and
 * re-scans every key on each `set`, which cost more than the rest of a request.
 */
class EncodedHeaders {
  constructor(private readonly block: Uint8Array) {}

  encode(): Uint8Array {
    return this.block;
  }
}

const UNSAFE_VALUE = /[\r\n]/;

function safe(name: string, value: string): string {
  if (UNSAFE_VALUE.test(value)) throw CleaveError.of(PlatformErrors.badHeader, `the ${name} must not contain line breaks`);
  return value;
}

/**
 * Writes a request's call context as NATS headers, with its remaining budget and its principal sealed. A
 * request id that is just the trace id's default is left for the receiver to derive.
 */
export function contextToHeaders(context: CallContext, seal: PrincipalSeal): MsgHdrs {
  let block = `NATS/1.0\r\n${Headers.Traceparent}: ${formatTraceparent(context)}\r\n`;
  block += `${Headers.TimeoutMs}: ${Math.max(0, context.deadline - Date.now())}\r\n`;
  if (context.requestId !== `req_${context.traceId}`) block += `${Headers.RequestId}: ${safe('request id', context.requestId)}\r\n`;
  if (context.principal !== undefined) block += `${Headers.Principal}: ${seal.seal(context)}\r\n`;
  if (context.idempotencyKey !== undefined) block += `${Headers.IdempotencyKey}: ${safe('idempotency key', context.idempotencyKey)}\r\n`;
  return new EncodedHeaders(Buffer.from(`${block}\r\n`)) as unknown as MsgHdrs;
}

/** The context fields a message's headers carry, by lower-cased name. */
export interface WireContextFields {
  traceparent?: string;
  timeoutMs?: string;
  requestId?: string;
  principal?: string;
  idempotencyKey?: string;
}

const FIELD_BY_HEADER: Record<string, keyof WireContextFields> = {
  [Headers.Traceparent]: 'traceparent',
  [Headers.TimeoutMs]: 'timeoutMs',
  [Headers.RequestId]: 'requestId',
  [Headers.Principal]: 'principal',
  [Headers.IdempotencyKey.toLowerCase()]: 'idempotencyKey',
};

/**
 * Parses a NATS header block (`NATS/1.0[ status]\r\nKey: Value\r\n...\r\n\r\n`) for the context fields only.
 * Names match case-insensitively, as other clients may canonicalise them (`Traceparent`); the first
 * value of a repeated name wins.
 */
export function parseContextHeaders(block: string): WireContextFields {
  const fields: WireContextFields = {};
  let line = block.indexOf('\r\n') + 2;
  while (line > 1 && line < block.length) {
    const end = block.indexOf('\r\n', line);
    if (end === -1 || end === line) break;
    const colon = block.indexOf(':', line);
    if (colon !== -1 && colon < end) {
      const field = FIELD_BY_HEADER[block.slice(line, colon).trim().toLowerCase()];
      if (field !== undefined && fields[field] === undefined) fields[field] = block.slice(colon + 1, end).trim();
    }
    line = end + 2;
  }
  return fields;
}

interface MsgInternals {
  _rdata?: Uint8Array;
  _msg?: { hdr?: number };
}

/**
 * The raw header block of a received message, read from nats.js's message internals to skip its header
 * decoding (a Map of arrays, re-scanned on every `get`); undefined when the message has no headers, and
 * null when those internals are not there, so the caller falls back to the public API.
 */
export function rawHeaderBlock(msg: Msg): string | undefined | null {
  const internals = msg as unknown as MsgInternals;
  const hdr = internals._msg?.hdr;
  if (internals._rdata === undefined || typeof hdr !== 'number') return null;
  if (hdr <= 0) return undefined;
  const data = internals._rdata;
  return Buffer.from(data.buffer, data.byteOffset, hdr).toString('utf8');
}

/** The context fields of a received message, by the fast path when it can. */
export function contextFieldsOf(msg: Msg): WireContextFields {
  const block = rawHeaderBlock(msg);
  if (block === undefined) return {};
  if (block !== null) return parseContextHeaders(block);
  const fields: WireContextFields = {};
  for (const [name, values] of msg.headers ?? []) {
    const field = FIELD_BY_HEADER[name.toLowerCase()];
    if (field !== undefined && fields[field] === undefined && values[0] !== undefined) fields[field] = values[0];
  }
  return fields;
}

const BUDGET = /^\d{1,9}$/;
/**
 * The longest budget a call can arrive with: the longest any setting gives (CLEAVE_EVENT_TIMEOUT_MS). A
 * peer asking for days would switch off what deadlines bound here (the handler's timeout, a statement's
 * cancellation, the slots held while it waits downstream).
 */
const MAX_RECEIVED_BUDGET_MS = 3_600_000;

/**
 * Kept back from a received request's budget (at most a tenth of it) for the answer's way home: the
 * deadline timers' sweeps on both sides, NATS, a busy event loop. A callee that runs out of time answers
 * `timeout` while its caller still listens, and so shows itself alive.
 */
const REPLY_ALLOWANCE_MS = 50;

/**
 * Builds the call context of a received request. A message without Cleave headers (say, from `nats req`)
 * starts a new trace with the default budget and acts for no one; a principal counts only when its seal
 * is genuine and made for this very trace, and a malformed header is refused rather than ignored.
 */
export function contextFromFields(fields: WireContextFields, defaultTimeoutMs: number, seal: PrincipalSeal): CallContext {
  const parent = fields.traceparent === undefined ? undefined : parseTraceparent(fields.traceparent);
  if (fields.timeoutMs !== undefined && !BUDGET.test(fields.timeoutMs)) throw badHeader(Headers.TimeoutMs, 'must be whole milliseconds');
  if (fields.requestId !== undefined && !REQUEST_ID.test(fields.requestId))
    throw badHeader(Headers.RequestId, 'must be 1-128 printable ASCII characters');
  if (fields.idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(fields.idempotencyKey)) {
    throw badHeader(Headers.IdempotencyKey, 'must be 1-255 printable ASCII characters');
  }
  const timeoutMs = fields.timeoutMs === undefined ? defaultTimeoutMs : Math.min(Number(fields.timeoutMs), MAX_RECEIVED_BUDGET_MS);
  const traceId = parent?.traceId ?? newTraceId();
  let principal: Principal | undefined;
  if (fields.principal !== undefined) {
    if (parent === undefined) throw CleaveError.of(PlatformErrors.badPrincipal, 'a principal needs the traceparent it was sealed for');
    principal = seal.open(fields.principal, traceId);
  }
  return {
    traceId,
    spanId: parent?.spanId ?? newSpanId(),
    sampled: parent?.sampled ?? true,
    deadline: Date.now() + timeoutMs - Math.min(REPLY_ALLOWANCE_MS, Math.floor(timeoutMs / 10)),
    requestId: fields.requestId ?? `req_${traceId}`,
    principal,
    idempotencyKey: fields.idempotencyKey,
    eventId: undefined,
    eventTime: undefined,
  };
}

function badHeader(name: string, rule: string): CleaveError {
  return CleaveError.of(PlatformErrors.badHeader, `the ${name} header ${rule}`);
}
