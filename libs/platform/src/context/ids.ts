import { randomFillSync } from 'node:crypto';

// Span ids are needed on every call; slicing a pooled random buffer avoids a crypto call per id.
const POOL_BYTES = 8 * 1024;
const pool = Buffer.alloc(POOL_BYTES);
let offset = POOL_BYTES;

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function randomHex(bytes: number): string {
  if (offset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  // A table walk beats Buffer#toString('hex') for ids this short: no native call.
  let hex = '';
  for (let i = 0; i < bytes; i++) hex += HEX[pool[offset + i]!];
  offset += bytes;
  return hex;
}

const ALL_ZERO_SPAN = '0000000000000000';
const ALL_ZERO_TRACE = '00000000000000000000000000000000';

/** A W3C trace id: 16 random bytes as 32 lower-case hex digits, never all zero. */
export function newTraceId(): string {
  const id = randomHex(16);
  return id === ALL_ZERO_TRACE ? newTraceId() : id;
}

/** A W3C span id: 8 random bytes as 16 lower-case hex digits, never all zero. */
export function newSpanId(): string {
  const id = randomHex(8);
  return id === ALL_ZERO_SPAN ? newSpanId() : id;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * An entity id in Monzo's style: a type prefix and 22 random base-62 characters (≈131 bits),
 * e.g. `acc_4Kq7...`. Unguessable, so ids don't leak what exists.
 */
export function newEntityId(prefix: string): string {
  if (offset + 22 > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  let id = `${prefix}_`;
  // 248 = 4 × 62: rejecting bytes above it keeps the characters uniform.
  while (id.length < prefix.length + 23) {
    if (offset >= POOL_BYTES) {
      randomFillSync(pool);
      offset = 0;
    }
    const byte = pool[offset++]!;
    if (byte < 248) id += BASE62[byte % 62];
  }
  return id;
}
