import { isUtf8 } from 'node:buffer';

const MAX_DEPTH = 256;

/**
 * Returns what `JSON.parse(JSON.stringify(value))` would, without building the string: the in-process
 * transport uses it so a callee and its caller never share an object, and values arrive in the form they
 * would have off the wire (dates as ISO strings, `undefined` fields dropped, NaN as null).
 * Like JSON it throws a TypeError on bigints and on cycles (reported as too deep).
 */
export function toWire(value: unknown): unknown {
  return copy(value, '', 0, true);
}

/** Marks a field JSON would leave out (undefined, a function, a symbol). */
export const ABSENT: unique symbol = Symbol('absent');

/** One field's value as JSON would carry it, or {@link ABSENT} when JSON would leave the field out. */
export function toWireField(value: unknown, key: string): unknown {
  const out = copy(value, key, 1, false);
  return out === OMIT ? ABSENT : out;
}

function copy(value: unknown, key: string, depth: number, top: boolean): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (value === 0) return 0; // JSON has no -0
      return Number.isFinite(value) ? value : null;
    case 'bigint':
      throw new TypeError('Do not know how to serialize a BigInt');
    case 'undefined':
    case 'function':
    case 'symbol':
      return top ? undefined : OMIT;
    default:
      break;
  }
  if (value === null) return null;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return copy((value as { toJSON(key: string): unknown }).toJSON(key), key, depth, top);
  }
  if (depth >= MAX_DEPTH) throw new TypeError('Converting circular or too deeply nested structure to JSON');
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const item = copy(value[i], String(i), depth + 1, false);
      out[i] = item === OMIT ? null : item;
    }
    return out;
  }
  if (value instanceof Number || value instanceof String || value instanceof Boolean) {
    return copy(value.valueOf(), key, depth, top);
  }
  const out: Record<string, unknown> = {};
  const source = value as Record<string, unknown>;
  for (const k in source) {
    if (!hasOwn.call(source, k)) continue;
    const item = copy(source[k], k, depth + 1, false);
    if (item !== OMIT) out[k] = item;
  }
  return out;
}

const hasOwn = Object.prototype.hasOwnProperty;
const OMIT: unique symbol = Symbol('omit');

// Buffer's UTF-8 paths beat TextEncoder/TextDecoder several times over on payloads this small.

/** Encodes a value for a NATS payload; `undefined` becomes an empty payload. */
export function encodeJson(value: unknown): Uint8Array {
  if (value === undefined) return EMPTY;
  return Buffer.from(JSON.stringify(value));
}

/**
 * Decodes a NATS payload; an empty payload is `undefined`. Throws on bytes that aren't UTF-8, which JSON
 * must be between systems (RFC 8259 §8.1) and which Buffer would otherwise turn into U+FFFD unseen.
 */
export function decodeJson(data: Uint8Array): unknown {
  if (data.length === 0) return undefined;
  if (!isUtf8(data)) throw new SyntaxError('the payload is not UTF-8');
  return JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
}

const EMPTY = new Uint8Array(0);
