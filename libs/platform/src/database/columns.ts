import type { ValueTransformer } from 'typeorm';

/**
 * Money and counters are `bigint` columns; PostgreSQL hands them back as strings, SQLite as numbers.
 * Both become numbers, which hold every amount up to 2^53 minor units exactly.
 */
export const bigintAsNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value === null ? null : Number(value)),
};
