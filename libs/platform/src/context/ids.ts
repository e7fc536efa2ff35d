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

const TIME_CHARS = 8;
const ID_CHARS = 22;

/**
 * An entity id in Monzo's style: a type prefix and 22 base-62 characters, e.g. `tx_0Pq3Xk2a7Hc9...`. The
 * first 8 are the time in milliseconds, so ids sort by when they were made and a table's new rows land
 * at the end of its index instead of on a random page (on SQLite, a random page is one more page written
 * per insert, per commit); the other 14 are random (≈83 bits), so ids still can't be guessed. Credentials
 * and anything that must not show when it was made use {@link newOpaqueId}.
 */
export function newEntityId(prefix: string): string {
  let time = Date.now();
  let stamp = '';
  for (let i = 0; i < TIME_CHARS; i++) {
    stamp = BASE62[time % 62] + stamp;
    time = Math.floor(time / 62);
  }
  return randomBase62(`${prefix}_${stamp}`, ID_CHARS - TIME_CHARS);
}

/** An id of a type prefix and 22 random base-62 characters (≈131 bits), that says nothing of when it was made. */
export function newOpaqueId(prefix: string): string {
  return randomBase62(`${prefix}_`, ID_CHARS);
}

function randomBase62(head: string, chars: number): string {
  let id = head;
  const length = head.length + chars;
  // 248 = 4 × 62: rejecting bytes above it keeps the characters uniform.
  while (id.length < length) {
    if (offset >= POOL_BYTES) {
      randomFillSync(pool);
      offset = 0;
    }
    const byte = pool[offset++]!;
    if (byte < 248) id += BASE62[byte % 62];
  }
  return id;
}
