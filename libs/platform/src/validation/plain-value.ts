import { PlatformErrors, textFault } from '@cleave/contracts';
import { CleaveError } from '../errors/cleave-error';

/** Deeper than any message of Cleave's; class-transformer walks input recursively, so depth is bounded first. */
const MAX_NESTING = 32;
/**
 * Far more fields than any object of Cleave's has (metadata keeps 50), and elements than any list (100). The
 * bound is class-transformer's: it de-duplicates an object's keys pairwise, so 80,000 of them in a 1 MB body
 * held the event loop for five seconds before any rule could refuse them.
 */
const MAX_FIELDS = 1_000;
const MAX_ELEMENTS = 10_000;

/** What is wrong with a received value before any DTO rule looks at it, and where. */
export interface PlainValueFault {
  /** Dotted path of the offending field (`merchant.name`); for the value itself, its `root` name or empty. */
  readonly field: string;
  readonly rule: 'maxNesting' | 'maxSize' | 'text' | 'whitelistValidation';
  readonly message: string;
}

/**
 * The first thing in a received value (a request body, a query, a message) that no rule should ever see:
 * nesting deeper than 32 levels, an object of more than 1,000 fields or a list of more than 10,000 elements,
 * a field named as a plain object's own properties are (`constructor`, `toString`), or a string no
 * database stores alike (a NUL, an unpaired surrogate). Walked
 * without recursion, so no input can exhaust the stack here either.
 */
export function plainValueFault(
  plain: unknown,
  /** What the value itself is called, where a fault is in it rather than in one of its fields (`body`). */
  root = '',
): PlainValueFault | undefined {
  const the = (path: string) => path || (root === '' ? 'the value' : `the ${root}`);
  const stack: Array<[unknown, string, number]> = [[plain, '', 0]];
  while (stack.length > 0) {
    const [value, path, depth] = stack.pop()!;
    if (typeof value === 'string') {
      const fault = textFault(value);
      if (fault !== undefined) return { field: path || root, rule: 'text', message: `${the(path)} ${fault}` };
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_NESTING)
      return { field: path || root, rule: 'maxNesting', message: `${the(path)} is nested more than ${MAX_NESTING} levels deep` };
    if (Array.isArray(value) && value.length > MAX_ELEMENTS)
      return { field: path || root, rule: 'maxSize', message: `${the(path)} has more than ${MAX_ELEMENTS} elements` };
    const keys = Object.keys(value);
    if (!Array.isArray(value) && keys.length > MAX_FIELDS)
      return { field: path || root, rule: 'maxSize', message: `${the(path)} has more than ${MAX_FIELDS} fields` };
    for (const key of keys) {
      const fault = textFault(key);
      if (fault !== undefined) return { field: path || root, rule: 'text', message: `a field name in ${the(path)} ${fault}` };
      // No field of Cleave's is named as a plain object's own properties are, and class-validator's
      // whitelist, looking names up on a plain object, would let `toString` or `constructor` through.
      const carried = (value as Record<string, unknown>)[key];
      // (A value JSON can't carry makes no field: an in-process message is judged as its JSON would be.)
      if (
        !Array.isArray(value) &&
        key in Object.prototype &&
        carried !== undefined &&
        typeof carried !== 'function' &&
        typeof carried !== 'symbol'
      ) {
        const field = path ? `${path}.${key}` : key;
        return { field, rule: 'whitelistValidation', message: `property ${field} should not exist` };
      }
      stack.push([(value as Record<string, unknown>)[key], path ? `${path}.${key}` : key, depth + 1]);
    }
  }
  return undefined;
}

/** Throws `bad_request` naming the field when {@link plainValueFault} finds something. */
export function assertStorable(plain: unknown): void {
  const fault = plainValueFault(plain);
  if (fault !== undefined) throw CleaveError.ofField(PlatformErrors.badParam, fault);
}
