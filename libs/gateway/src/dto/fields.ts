import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, Max, Min, ValidateBy, ValidateIf } from 'class-validator';
import { codePoints, IsCurrency, MAX_AMOUNT, Text, textFault } from '@cleave/contracts';

const DIGITS = /^-?(0|[1-9]\d{0,15})$/;

/**
 * A whole number, as a form field or JSON carries it: digits only, without leading zeros. `1e2`, `0x10`,
 * `" 7 "`, `7.0` and `0100` stay what they are and fail `isInt`, rather than becoming 100, 16, 7 and 100 as
 * `Number()` would make them (and 0100 is 64 to whoever reads it as octal).
 */
export const WholeNumber = (): PropertyDecorator =>
  applyDecorators(
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' && DIGITS.test(value) ? Number(value) : value)),
    IsInt(),
  );

/**
 * A {@link WholeNumber} from `min` to `max`. Its rules are registered in this order, so `abc` is told it must
 * be a whole number, not that it "must not be greater than" the maximum: written as three decorators, they
 * register bottom-up and the last is reported first.
 */
export const WholeNumberIn = (min: number, max: number): PropertyDecorator => applyDecorators(WholeNumber(), Min(min), Max(max));

/** Money: a whole number of minor units (1915 for £19.15), at least `min`. */
export const MinorUnits = (min = 1, description = 'Minor units, e.g. 1915 for £19.15'): PropertyDecorator =>
  applyDecorators(ApiProperty({ description, minimum: min, maximum: MAX_AMOUNT, type: 'integer' }), WholeNumberIn(min, MAX_AMOUNT));

/** May be left out, but not sent as `null`: a JSON null is not a value of any field. */
export const Optional = (): PropertyDecorator => ValidateIf((_object: object, value: unknown) => value !== undefined);

/**
 * Key-value text (`metadata[key]=value`): an object of at most `maxKeys` keys of 1 to `keyMax` characters, each
 * value text of at most `valueMax`. Without it a string passed, and each of its characters became a key.
 */
export const TextRecord = (maxKeys: number, keyMax: number, valueMax: number): PropertyDecorator =>
  ValidateBy({
    name: 'textRecord',
    constraints: [maxKeys, keyMax, valueMax],
    validator: {
      validate: (value: unknown) => textRecordFault(value, maxKeys, keyMax, valueMax) === undefined,
      defaultMessage: (args) => `${args?.property ?? 'value'}${textRecordFault(args?.value, maxKeys, keyMax, valueMax) ?? ' is invalid'}`,
    },
  });

/** Why `value` is not a {@link TextRecord}, worded to follow the field's name, or undefined when it is one. */
function textRecordFault(value: unknown, maxKeys: number, keyMax: number, valueMax: number): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return ' must be an object of key-value pairs';
  let keys = 0;
  for (const key in value) if (Object.hasOwn(value, key) && ++keys > maxKeys) return ` must have at most ${maxKeys} keys`;
  for (const [key, entry] of Object.entries(value)) {
    const name = key.length > keyMax ? `${key.slice(0, keyMax)}…` : key;
    if (textFault(key) !== undefined || codePoints(key) < 1 || codePoints(key) > keyMax)
      return ` keys must be 1-${keyMax} characters of text (${JSON.stringify(name)})`;
    if (typeof entry !== 'string') return `[${name}] must be a string`;
    const fault = textFault(entry);
    if (fault !== undefined) return `[${name}] ${fault}`;
    if (codePoints(entry) > valueMax) return `[${name}] must be at most ${valueMax} characters`;
  }
  return undefined;
}

/**
 * An ISO 4217 currency code, taken in either case and kept in upper case: the ledger compares codes as they
 * are, so `gbp` let through would open a `gbp` account that no `GBP` payment matches.
 */
export const CurrencyCode = (): PropertyDecorator =>
  applyDecorators(
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^[a-z]{3}$/i.test(value) ? value.toUpperCase() : value)),
    IsCurrency(),
  );

// Embeddings, overrides and isolates: `Refund \u202e00.0001£` reads as "Refund £1000.00" to whoever sees it.
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/;

/**
 * Text that is shown to a person, another customer perhaps (a transfer's description, a merchant's name):
 * {@link Text}, and no invisible controls that change the direction it reads in.
 */
export const ShownText = (min: number, max: number): PropertyDecorator =>
  applyDecorators(
    Text(min, max),
    ValidateBy({
      name: 'noBidiControls',
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || !BIDI_CONTROLS.test(value),
        defaultMessage: (args) =>
          `${args?.property ?? 'value'} must not contain characters that change its reading direction (U+202A-202E, U+2066-2069)`,
      },
    }),
  );
