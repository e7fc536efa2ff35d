import { describe, expect, it } from 'vitest';
import { decodeJson, toWire } from './wire';

const viaJson = (value: unknown): unknown => {
  const text = JSON.stringify(value);
  return text === undefined ? undefined : JSON.parse(text);
};

class WithToJson {
  toJSON(key: string) {
    return { key, kind: 'custom' };
  }
}

describe('toWire', () => {
  const samples: Array<[string, unknown]> = [
    ['primitives', { a: 1, b: 'x', c: true, d: null }],
    ['undefined fields are dropped', { a: undefined, b: 1 }],
    ['undefined in arrays becomes null', [1, undefined, () => 1, Symbol('s')]],
    ['non-finite numbers become null', { a: NaN, b: Infinity, c: -Infinity, d: -0 }],
    ['dates become ISO strings', { at: new Date('2026-01-02T03:04:05.006Z'), bad: new Date(NaN) }],
    ['toJSON is called with the key', { inner: new WithToJson(), list: [new WithToJson()] }],
    ['boxed primitives unbox', { n: new Number(3), s: new String('s'), b: new Boolean(false) }],
    ['maps and sets become empty objects', { m: new Map([[1, 2]]), s: new Set([1]) }],
    [
      'class instances lose their prototype',
      {
        v: new (class {
          x = 1;
          y = [2, { z: 3 }];
        })(),
      },
    ],
    ['top-level undefined', undefined],
    ['top-level function', () => 1],
    ['deep nesting', { a: { b: { c: { d: [{ e: [1, 2, { f: 'g' }] }] } } } }],
    // eslint-disable-next-line no-sparse-arrays -- the hole is the case under test
    ['sparse arrays', [1, , 3]],
  ];

  it.each(samples)('matches JSON round trip: %s', (_name, value) => {
    expect(toWire(value)).toStrictEqual(viaJson(value));
  });

  it('matches JSON round trip on random values', () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const gen = (depth: number): unknown => {
      const r = random();
      if (depth > 4 || r < 0.3) {
        const choices = [1.5, -2, 'str', '', true, false, null, undefined, NaN, new Date(1_700_000_000_000)];
        return choices[Math.floor(random() * choices.length)];
      }
      if (r < 0.6) return Array.from({ length: Math.floor(random() * 4) }, () => gen(depth + 1));
      const o: Record<string, unknown> = {};
      for (let i = 0; i < Math.floor(random() * 5); i++) o[`k${i}`] = gen(depth + 1);
      return o;
    };
    for (let i = 0; i < 2000; i++) {
      const value = gen(0);
      expect(toWire(value)).toStrictEqual(viaJson(value));
    }
  });

  it('never returns the object it was given', () => {
    const inner = { n: 1 };
    const outer = { inner, list: [inner] };
    const copy = toWire(outer) as typeof outer;
    copy.inner.n = 2;
    copy.list[0]!.n = 3;
    expect(outer).toStrictEqual({ inner: { n: 1 }, list: [{ n: 1 }] });
  });

  it('throws on bigints and cycles as JSON does', () => {
    expect(() => toWire({ a: 1n })).toThrow(TypeError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => toWire(cyclic)).toThrow(TypeError);
  });
});

describe('decodeJson', () => {
  // Buffer turned the bytes into U+FFFD, so a peer's garbage reached a handler as a plausible string.
  it("refuses a payload that isn't UTF-8, and reads one that is", () => {
    const latin1 = Buffer.from('{"description":"caf\xe9"}', 'latin1');
    expect(() => decodeJson(latin1)).toThrow(SyntaxError);
    expect(decodeJson(Buffer.from('{"description":"café ☕"}'))).toEqual({ description: 'café ☕' });
    expect(decodeJson(new Uint8Array(0))).toBeUndefined();
  });
});
