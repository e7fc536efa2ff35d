import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, Max, Min, ValidateIf } from 'class-validator';
import { MAX_AMOUNT } from '@cleave/contracts';

const DIGITS = /^-?\d{1,16}$/;

/**
 * A whole number, as a form field or JSON carries it: digits only. `1e2`, `0x10`, `" 7 "` and `7.0` stay what
 * they are and fail `isInt`, rather than becoming 100, 16 and 7 as `Number()` would make them.
 */
export const WholeNumber = (): PropertyDecorator =>
  applyDecorators(
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' && DIGITS.test(value) ? Number(value) : value)),
    IsInt(),
  );

/** Money: a whole number of minor units (1915 for £19.15), at least `min`. */
export const MinorUnits = (min = 1, description = 'Minor units, e.g. 1915 for £19.15'): PropertyDecorator =>
  applyDecorators(
    ApiProperty({ description, minimum: min, maximum: MAX_AMOUNT, type: 'integer' }),
    WholeNumber(),
    Min(min),
    Max(MAX_AMOUNT),
  );

/** May be left out, but not sent as `null`: a JSON null is not a value of any field. */
export const Optional = (): PropertyDecorator => ValidateIf((_object: object, value: unknown) => value !== undefined);
