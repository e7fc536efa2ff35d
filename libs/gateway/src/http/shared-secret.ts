import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** A credential presented as `Authorization: Bearer <secret>`, compared as digests in constant time. */
export class SharedSecret {
  private readonly expected: Buffer;

  constructor(secret: string) {
    this.expected = digest(secret);
  }

  /** No length or prefix of the secret leaks through timing. */
  matches(authorization: string | undefined): boolean {
    const match = /^Bearer\s+(\S{1,500})$/i.exec(authorization ?? '');
    return match !== null && timingSafeEqual(digest(match[1]!), this.expected);
  }
}
