import 'reflect-metadata';
import { Expose, plainToInstance, Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsEmail,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsPositive,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
  validateSync,
} from 'class-validator';
import { describe, expect, it } from 'vitest';
import { CleaveError } from '../errors/cleave-error';
import { toWire } from './wire';
import { decoderFor, VALIDATOR_OPTIONS } from './dto-decoder';

class Merchant {
  @IsString() @Length(1, 40) name!: string;
  @Matches(/^\d{4}$/) mcc!: string;
  @IsOptional() @IsString() @Length(2, 2) country?: string;
}

class Line {
  @IsInt() @IsPositive() amount!: number;
  @IsOptional() @IsString() memo?: string;
}

class Payment {
  @IsInt() @Min(1) @Max(1_000_000) amount!: number;
  @IsIn(['GBP', 'EUR']) currency!: string;
  @ValidateNested() @Type(() => Merchant) merchant!: Merchant;
  @IsOptional() @IsArray() @ArrayMaxSize(3) @ValidateNested({ each: true }) @Type(() => Line) lines?: Line[];
  @IsOptional() @IsArray() @IsString({ each: true }) @MaxLength(5, { each: true }) tags?: string[];
  @IsOptional() @IsBoolean() instant?: boolean;
  @IsOptional() @IsISO8601() at?: string;
  @IsOptional() @IsEmail() email?: string;
  @IsDefined() @IsString() reference!: string;
  @ValidateIf((o: Payment) => o.instant === true) @IsString() approval?: string;
  @IsOptional() @Type(() => Date) when?: Date;
  @IsInt() limit = 50;
  @IsOptional() @IsInt() @Min(1) declare max?: number;
}

class Shaped {
  @IsOptional() @Transform(({ value }) => String(value).trim()) @IsString() name?: string;
}

class Exposed {
  @Expose({ name: 'full_name' }) @IsString() name!: string;
}

class UndecoratedDefault {
  @IsString() name!: string;
  page = 1;
}

class Untyped {
  @ValidateNested() inner!: Merchant;
}

function reference(plain: unknown): { ok: boolean; instance?: object; fields: string[] } {
  if (plain === null || typeof plain !== 'object' || Array.isArray(plain)) return { ok: false, fields: [''] };
  // Refused before any rule, where class-validator's whitelist, looking names up on a plain object, lets them by.
  const inherited = Object.keys(plain).find((key) => key in Object.prototype && (plain as Record<string, unknown>)[key] !== undefined);
  if (inherited !== undefined) return { ok: false, fields: [inherited] };
  const instance = plainToInstance(Payment, plain);
  const errors = validateSync(instance, VALIDATOR_OPTIONS);
  return { ok: errors.length === 0, instance, fields: errors.map((e) => e.property).sort() };
}

function random(seed: number) {
  return () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
}

function makeInput(rnd: () => number): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const junk = [undefined, null, 0, -1, 1.5, '', 'x', 'GBP', true, [], {}, [1], ['a'], '2026-01-01T00:00:00Z'];
  // A valid payment, then a few changes, each of which may or may not break it.
  const input: Record<string, unknown> = {
    amount: pick([1, 100, 1_000_000]),
    currency: pick(['GBP', 'EUR']),
    merchant: pick([
      { name: 'Brightbird Espresso', mcc: '5814' },
      { name: 'Brightbird', mcc: '5814', country: 'GB' },
    ]),
    reference: 'ref-1',
  };
  const changes: Array<() => void> = [
    () => (input.amount = pick([1_000_001, 0, -5, 2.5, '100', null, 42])),
    () => (input.currency = pick(['USD', 1, 'EUR'])),
    () =>
      (input.merchant = pick([
        { name: '', mcc: '5814' },
        { name: 'X', mcc: '58' },
        { name: 'X', mcc: '5814', extra: 1 },
        'str',
        [{ name: 'X', mcc: '5814' }],
        null,
        { name: 'Y', mcc: '1234' },
      ])),
    () => (input.reference = pick([7, undefined, 'ref-2'])),
    () =>
      (input.lines = pick([
        [],
        [{ amount: 1 }],
        [{ amount: 0 }],
        [{ amount: 1, memo: 'm' }, { amount: 2 }],
        [1],
        [{ amount: 1 }, { amount: 1 }, { amount: 1 }, { amount: 1 }],
        'x',
        null,
      ])),
    () => (input.tags = pick([[], ['a', 'bb'], ['toolong'], [1], 'a'])),
    () => (input.instant = pick([true, false, 'yes'])),
    () => (input.approval = pick(['ok', 1, undefined])),
    () => (input.at = pick(['2026-11-22T10:00:00Z', 'yesterday', 5])),
    () => (input.email = pick(['a@b.co', 'nope'])),
    () => (input.when = pick(['2026-11-22T10:00:00Z', 1_700_000_000_000, null])),
    () => (input.max = pick([1, 0, 'x'])),
    () => (input.limit = pick([5, 'x'])),
    () => (input[pick(['unknown', 'amount2', 'constructor'])] = pick(junk)),
    () => delete input[pick(['amount', 'currency', 'merchant', 'reference'])],
  ];
  const count = Math.floor(rnd() * 4);
  for (let i = 0; i < count; i++) pick(changes)();
  if (rnd() < 0.03) return pick([null, 'string', 42, [input]]);
  return input;
}

const valid = { amount: 100, currency: 'GBP', merchant: { name: 'Brightbird', mcc: '5814' }, reference: 'ref-1' };

describe('decoderFor', () => {
  it('compiles the DTOs the fast path covers', () => {
    expect(decoderFor(Payment).fast).toBe(true);
    expect(decoderFor(Shaped).fast).toBe(true);
    expect(decoderFor(Exposed).fast).toBe(false);
    expect(decoderFor(Untyped).fast).toBe(true);
  });

  it('accepts and rejects exactly what class-validator does, on 5000 random inputs', () => {
    const rnd = random(7);
    const decoder = decoderFor(Payment);
    let accepted = 0;
    for (let i = 0; i < 5000; i++) {
      const input = makeInput(rnd);
      const expected = reference(structuredClone(input));
      let actual: { ok: boolean; instance?: object; fields: string[] };
      try {
        actual = { ok: true, instance: decoder.decode(structuredClone(input)), fields: [] };
      } catch (error) {
        expect(error).toBeInstanceOf(CleaveError);
        const fields = ((error as CleaveError).details?.fields ?? []).map((f) => f.field.split('.')[0]!);
        actual = { ok: false, fields: [...new Set(fields)].sort() };
      }
      expect({ input, ok: actual.ok, fields: actual.fields }).toEqual({ input, ok: expected.ok, fields: expected.fields });
      if (expected.ok) {
        accepted++;
        expect(actual.instance).toStrictEqual(expected.instance);
      } else {
        expect(actual.fields).toEqual([...new Set(expected.fields)].sort());
      }
    }
    // The generator must exercise both outcomes for the comparison to mean anything.
    expect(accepted).toBeGreaterThan(200);
    expect(accepted).toBeLessThan(4800);
  });

  it('decodes an in-process value exactly as it would decode its JSON round trip', () => {
    const rnd = random(11);
    const decoder = decoderFor(Payment);
    const outcome = (fn: () => object) => {
      try {
        return { ok: true, value: fn() };
      } catch (error) {
        return { ok: false, fields: (error as CleaveError).details?.fields };
      }
    };
    const oddities = [undefined, NaN, Infinity, -0, () => 1, new Date(1_700_000_000_000), new Date(NaN), Symbol('s')];
    for (let i = 0; i < 3000; i++) {
      const input = makeInput(rnd) as Record<string, unknown>;
      if (input && typeof input === 'object' && !Array.isArray(input) && rnd() < 0.5) {
        const key = ['amount', 'reference', 'extra', 'when', 'at', 'tags'][Math.floor(rnd() * 6)]!;
        input[key] = oddities[Math.floor(rnd() * oddities.length)];
      }
      const viaWire = outcome(() => decoder.decode(toWire(input)));
      const local = outcome(() => decoder.decodeLocal(input));
      expect(local).toStrictEqual(viaWire);
    }
  });

  it('shares nothing with the value it decoded in-process', () => {
    const value = { amount: 5, currency: 'GBP', merchant: { name: 'M', mcc: '5814' }, reference: 'r', tags: ['a'] };
    const decoded = decoderFor(Payment).decodeLocal(value);
    expect(decoded.merchant).not.toBe(value.merchant);
    expect(decoded.tags).not.toBe(value.tags);
    expect(decoded.tags).toEqual(['a']);
  });

  it('names each failing field and rule, nested ones by path', () => {
    const decode = () =>
      decoderFor(Payment).decode({ amount: 2.5, currency: 'GBP', merchant: { name: 'X', mcc: 'abc' }, reference: 'r', bogus: 1 });
    expect(decode).toThrow(CleaveError);
    try {
      decode();
    } catch (error) {
      const e = error as CleaveError;
      expect(e.code).toBe('bad_request');
      expect(e.details?.fields).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ field: 'bogus', rule: 'whitelistValidation' }),
          expect.objectContaining({ field: 'amount', rule: 'isInt' }),
          expect.objectContaining({ field: 'merchant.mcc', rule: 'matches' }),
        ]),
      );
    }
  });

  it('refuses a huge array over its maximum for its length, without a violation per element', () => {
    const lines = Array.from({ length: 5_000 }, () => ({ amount: 0 }));
    for (const decode of [
      () => decoderFor(Payment).decode({ ...valid, lines }),
      () => decoderFor(Payment).decodeLocal({ ...valid, lines }),
    ]) {
      try {
        decode();
        expect.unreachable();
      } catch (error) {
        expect((error as CleaveError).details?.fields).toEqual([
          { field: 'lines', rule: 'arrayMaxSize', message: 'lines must contain no more than 3 elements' },
        ]);
      }
    }
    // Nested, by path.
    class Batch {
      @IsArray() @ArrayMaxSize(2) @ValidateNested({ each: true }) @Type(() => Payment) payments!: Payment[];
    }
    expect(() => decoderFor(Batch).decode({ payments: [{ ...valid, lines }] })).toThrow(
      'payments.0.lines must contain no more than 3 elements',
    );
  });

  it('refuses an object of more than 1,000 fields and a list of more than 10,000 elements before any rule', () => {
    const wide = Object.fromEntries(Array.from({ length: 80_000 }, (_, i) => [`f${i}`, 1]));
    expect(() => decoderFor(Payment).decode({ ...valid, merchant: { ...valid.merchant, ...wide } })).toThrow(
      'merchant has more than 1000 fields',
    );
    expect(() => decoderFor(Payment).decode({ ...valid, tags: new Array(10_001).fill('a') })).toThrow('tags has more than 10000 elements');
    expect(() => decoderFor(Payment).decode({ ...valid, lines: new Array(10_000).fill({ amount: 1 }) })).toThrow(
      'lines must contain no more than 3 elements',
    );
  });

  it('names at most 20 violations, and says how many more there were', () => {
    const unknown = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`field${i}`, 1]));
    try {
      decoderFor(Payment).decode({ ...valid, ...unknown });
      expect.unreachable();
    } catch (error) {
      const e = error as CleaveError;
      expect(e.details?.fields).toHaveLength(20);
      expect(e.message).toMatch(/; and 480 more$/);
    }
  });

  it('reports a missing field as missing_param', () => {
    try {
      decoderFor(Merchant).decode({ mcc: '5814' });
      expect.unreachable();
    } catch (error) {
      expect((error as CleaveError).reason).toBe('missing_param');
      expect((error as CleaveError).details?.fields?.[0]?.field).toBe('name');
    }
  });

  it('rejects an undecorated field with a default, as class-validator does', () => {
    expect(validateSync(plainToInstance(UndecoratedDefault, { name: 'x' }), VALIDATOR_OPTIONS)).toHaveLength(1);
    expect(() => decoderFor(UndecoratedDefault).decode({ name: 'x' })).toThrow(/property page should not exist/);
  });

  it("runs a property's @Transform as class-transformer does, and class-transformer itself for classes the fast path skips", () => {
    for (const name of ['  padded ', 42, null, undefined])
      expect(decoderFor(Shaped).decode({ name })).toStrictEqual(plainToInstance(Shaped, { name }));
    expect(decoderFor(Exposed).decode({ full_name: 'Ada' })).toStrictEqual(plainToInstance(Exposed, { full_name: 'Ada' }));
  });

  it('returns a new instance of the class, keeping field defaults', () => {
    const plain = { amount: 5, currency: 'GBP', merchant: { name: 'M', mcc: '5814' }, reference: 'r' };
    const decoded = decoderFor(Payment).decode(plain);
    expect(decoded).toBeInstanceOf(Payment);
    expect(decoded.merchant).toBeInstanceOf(Merchant);
    expect(decoded.merchant).not.toBe(plain.merchant);
    expect(decoded.limit).toBe(50);
  });
});
