/**
 * What a JSON body says that JSON.parse would hide: a number that is not whole, a key given twice, or a key
 * that reaches an object's prototype.
 */
export interface JsonBodyFault {
  readonly field: string;
  readonly rule: 'isInt' | 'uniqueKey' | 'whitelistValidation';
}

/**
 * The first number written with a fraction or an exponent (`1e2`, `7.0`), the first key an object gives
 * twice, or the first `__proto__` (or `prototype` in a `constructor`), with the field it is in; undefined
 * when there is none. Every number in Cleave's API is a whole number (money in minor units above all), and
 * JSON.parse would turn `1e2` into 100 before any rule could see how it was written; it keeps the last of a
 * repeated key, where a proxy or a client library may read the first (as with a repeated header or form
 * field, both refused). Fastify's parser refuses the prototype keys too, but as "not valid JSON", naming
 * nothing. Reads the text once.
 */
export function jsonBodyFault(text: string): JsonBodyFault | undefined {
  let lastString = '';
  let lastKey: string | undefined;
  // The keys seen in each object the reader is inside (null for an array), and the key each was opened under.
  const keys: Array<Set<string> | null> = [];
  const openedUnder: Array<string | undefined> = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: remember it, in case it is the key of what follows.
      let end = i + 1;
      let escaped = false;
      while (end < text.length && text.charCodeAt(end) !== 0x22) {
        if (text.charCodeAt(end) === 0x5c) {
          escaped = true;
          end += 2;
        } else end++;
      }
      lastString = text.slice(i + 1, end);
      i = end;
      const inObject = keys[keys.length - 1];
      if (inObject && nextSignificant(text, i + 1) === 0x3a) {
        // `"\u0061"` and `"a"` are one key.
        const key = escaped ? unescaped(lastString) : lastString;
        if (inObject.has(key)) return { field: key, rule: 'uniqueKey' };
        if (key === '__proto__') return { field: key, rule: 'whitelistValidation' };
        if (key === 'prototype' && openedUnder[openedUnder.length - 1] === 'constructor') {
          return { field: 'constructor', rule: 'whitelistValidation' };
        }
        inObject.add(key);
        lastKey = key;
      } else lastKey = undefined;
    } else if (c === 0x7b || c === 0x5b) {
      keys.push(c === 0x7b ? new Set() : null);
      openedUnder.push(lastKey);
      lastKey = undefined;
    } else if (c === 0x7d || c === 0x5d) {
      keys.pop();
      openedUnder.pop();
      lastKey = undefined;
    } else if (c === 0x2c) lastKey = undefined;
    else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      let end = i;
      let exact = true;
      while (end < text.length && /[-+0-9.eE]/.test(text[end]!)) {
        if (text[end] === '.' || text[end] === 'e' || text[end] === 'E') exact = false;
        end++;
      }
      if (!exact) return { field: lastString || 'the body', rule: 'isInt' };
      i = end - 1;
      lastKey = undefined;
    }
  }
  return undefined;
}

function nextSignificant(text: string, from: number): number | undefined {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return c;
  }
  return undefined;
}

function unescaped(raw: string): string {
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    // Malformed: JSON.parse refuses the whole body next.
    return raw;
  }
}
