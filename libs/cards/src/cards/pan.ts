import { createHmac, randomInt } from 'node:crypto';

/** The Luhn check digit of a card number's other digits. */
export function luhnCheckDigit(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/** A new 16-digit card number under a BIN: random account digits and a Luhn check digit. */
export function newPan(bin: string): string {
  let body = bin;
  while (body.length < 15) body += String(randomInt(10));
  return body + String(luhnCheckDigit(body));
}

/** How a card number is stored: keyed, so a database dump can't be brute-forced back to numbers. */
export function panHash(pan: string, key: string): string {
  return createHmac('sha256', key).update(pan).digest('hex');
}
