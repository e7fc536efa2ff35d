import { CleaveError } from '@cleave/platform';
import { GatewayErrors, PlatformErrors } from '@cleave/contracts';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * A body's bytes as text, or the refusal to send when they aren't UTF-8 or are declared in another charset.
 * Node's decoder puts U+FFFD for bytes that aren't UTF-8, and a description or a merchant's name was kept so;
 * a body declared UTF-16 was read as UTF-8 all the same.
 */
export function bodyText(body: Buffer, contentType: string | undefined): string | CleaveError {
  const charset = charsetOf(contentType);
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8' && charset !== 'us-ascii') {
    const message = `send the body in UTF-8 (charset=${charset.slice(0, 40)} is not read)`;
    return CleaveError.ofField(GatewayErrors.unsupportedMediaType, { field: 'content-type', rule: 'charset', message });
  }
  try {
    return utf8.decode(body);
  } catch {
    const message = 'the body must be UTF-8 text';
    return CleaveError.ofField(GatewayErrors.badBody, { field: 'body', rule: 'utf8', message });
  }
}

function charsetOf(contentType: string | undefined): string | undefined {
  const match = contentType === undefined ? null : /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(contentType);
  return match?.[1]?.toLowerCase();
}

/**
 * What qs would read past without a word in a form or a query string from `start`: a key or value whose
 * percent-encoding is broken or isn't UTF-8 (qs keeps it as it came, so `%ff` became a description), or a
 * key with a part named as a plain object's own properties are (`metadata[toString]`, `__proto__`), which qs
 * drops without a word. Undefined when there is neither.
 */
export function formFault(text: string, start: number): CleaveError | undefined {
  let from = start;
  while (from <= text.length) {
    let end = text.indexOf('&', from);
    if (end < 0) end = text.length;
    // Where qs splits a part: at `]=` if there is one, else at the first `=`.
    const part = text.slice(from, end);
    const bracketEquals = part.indexOf(']=');
    const equals = bracketEquals >= 0 ? bracketEquals + 1 : part.indexOf('=');
    const keyEnd = equals >= 0 ? from + equals : end;
    const key = decoded(text.slice(from, keyEnd));
    const value = keyEnd < end ? decoded(text.slice(keyEnd + 1, end)) : '';
    if (key === undefined || value === undefined) {
      const field = key ?? text.slice(from, keyEnd);
      const message = `${field} is not percent-encoded UTF-8`;
      return CleaveError.ofField(PlatformErrors.badParam, { field, rule: 'percentEncoding', message });
    }
    if (key.split(/[[\]]+/).some((part) => part !== '' && part in Object.prototype)) {
      const message = `property ${key} should not exist`;
      return CleaveError.ofField(PlatformErrors.badParam, { field: key, rule: 'whitelistValidation', message });
    }
    from = end + 1;
  }
  return undefined;
}

function decoded(part: string): string | undefined {
  if (!part.includes('%')) return part.includes('+') ? part.replace(/\+/g, ' ') : part;
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}
