import { Matches, ValidateBy, type ValidationArguments, type ValidationOptions } from 'class-validator';

/** Characters as PostgreSQL's `varchar(n)` counts them: code points (an emoji with its variation selector is two). */
export function codePoints(value: string): number {
  let count = 0;
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < value.length) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}

/** Why a string can't be stored as text anywhere Cleave keeps it, or undefined when it can. */
export function textFault(value: string): string | undefined {
  if (value.includes('\u0000')) return 'must not contain NUL characters';
  if (!value.isWellFormed()) return 'must not contain unpaired surrogates';
  return undefined;
}

/**
 * A string of `min` to `max` characters, counted as PostgreSQL counts them, that every database can store:
 * well-formed Unicode without NUL. validator.js's length rules count some emoji as one character where
 * PostgreSQL counts two, so a value could pass here and overflow a column there; this rule and the columns
 * agree.
 */
export function Text(min: number, max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'text',
      constraints: [min, max],
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && textFault(value) === undefined && codePoints(value) >= min && codePoints(value) <= max,
        defaultMessage: (args?: ValidationArguments) => {
          const value = args?.value;
          const field = args?.property ?? 'value';
          if (typeof value !== 'string') return `${field} must be a string`;
          const fault = textFault(value);
          if (fault) return `${field} ${fault}`;
          return min === 0 ? `${field} must be at most ${max} characters` : `${field} must be ${min}-${max} characters`;
        },
      },
    },
    options,
  );
}

/**
 * An id a client chooses that Cleave makes idempotency keys of (a presentment's, a pot move's `dedupe_id`):
 * 1 to 100 printable ASCII characters without spaces, as every transport carries a key, so an id one
 * placement takes is taken by all.
 */
export function ClientKey(): PropertyDecorator {
  return Matches(/^[\x21-\x7e]{1,100}$/, { message: '$property must be 1 to 100 printable ASCII characters, without spaces' });
}
