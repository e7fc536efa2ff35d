/**
 * The field of the first JSON number written with a fraction or an exponent (`1e2`, `7.0`), or undefined.
 * Every number in Cleave's API is a whole number (money in minor units above all), and JSON.parse would
 * turn `1e2` into 100 before any rule could see how it was written. Reads the text once, skipping strings.
 */
export function inexactNumberField(text: string): string | undefined {
  let lastString = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: remember it, in case it is the key of the number that follows.
      let end = i + 1;
      while (end < text.length && text.charCodeAt(end) !== 0x22) end += text.charCodeAt(end) === 0x5c ? 2 : 1;
      lastString = text.slice(i + 1, end);
      i = end;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      let end = i;
      let exact = true;
      while (end < text.length && /[-+0-9.eE]/.test(text[end]!)) {
        if (text[end] === '.' || text[end] === 'e' || text[end] === 'E') exact = false;
        end++;
      }
      if (!exact) return lastString || 'the body';
      i = end - 1;
    }
  }
  return undefined;
}
