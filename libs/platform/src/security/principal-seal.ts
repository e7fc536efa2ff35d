import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { isPrincipal, type CallContext, type Principal } from '../context/call-context';
import { CleaveError } from '../errors/cleave-error';
import { PlatformErrors } from '@cleave/contracts';

/**
 * The key pair principals are sealed with. Only processes hosting the gateway need the private key; every
 * process that takes calls over NATS needs the public one.
 */
export interface PrincipalKeys {
  readonly privateKey?: KeyObject;
  readonly publicKey: KeyObject;
  /** True when these are the development keys in the source: fine on a laptop, refused in production. */
  readonly development: boolean;
}

// Development only (a warning is logged when used): anyone with the source can seal principals with it.
const DEVELOPMENT_PRIVATE_KEY = `-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIKjJ0PiHJpWvCGUjoYQSStVRDI869jb3F7XsbePEiW+j
-----END PRIVATE KEY-----`;

/** The development key pair, used when no key is configured. */
export function developmentPrincipalKeys(): PrincipalKeys {
  const privateKey = createPrivateKey(DEVELOPMENT_PRIVATE_KEY);
  return { privateKey, publicKey: createPublicKey(privateKey), development: true };
}

/**
 * Reads configured keys (PEM): a private key alone implies its public key. Throws on keys that are not
 * Ed25519 or do not belong together.
 */
export function principalKeysFrom(privatePem: string | undefined, publicPem: string | undefined): PrincipalKeys {
  const privateKey = privatePem === undefined ? undefined : createPrivateKey(privatePem);
  const publicKey = publicPem === undefined ? createPublicKey(privateKey!) : createPublicKey(publicPem);
  if (publicKey.asymmetricKeyType !== 'ed25519' || (privateKey && privateKey.asymmetricKeyType !== 'ed25519')) {
    throw new Error('principal keys must be Ed25519');
  }
  if (privateKey && !createPublicKey(privateKey).equals(publicKey)) throw new Error('the private and public principal keys are not a pair');
  return { privateKey, publicKey, development: false };
}

/** What a sealed principal binds: who, for which trace, until when. */
interface SealContents {
  readonly principal: Principal;
  readonly traceId: string;
  /** Epoch ms after which the seal is refused. */
  readonly expires: number;
}

/** Slack for clocks that disagree between hosts, added to a seal's lifetime. */
const CLOCK_SKEW_MS = 5_000;
const VERSION = 'v1';
const MAX_TOKEN_LENGTH = 2_048;
const MAX_OPENED = 10_000;

/**
 * Seals principals for the wire and opens them again (Ed25519). A seal is bound to the call's trace and
 * expires with its deadline (plus clock skew), so it can't be lifted onto another call or kept for later;
 * without the private key nobody can make one. A principal that arrives unsealed, sealed by another key,
 * expired or for another trace is refused.
 */
export class PrincipalSeal {
  // A call tree forwards one seal through every hop: seal once per principal and trace, open once per process.
  private readonly sealed = new WeakMap<Principal, { traceId: string; expires: number; token: string }>();
  private readonly opened = new Map<string, SealContents>();
  private sweptAt = 0;

  constructor(private readonly keys: PrincipalKeys) {}

  /** True when this process can vouch for principals (it holds the private key). */
  get canSeal(): boolean {
    return this.keys.privateKey !== undefined;
  }

  /** The seal of a context's principal, to send with a call; the context must have one. */
  seal(context: CallContext): string {
    const principal = context.principal!;
    // A principal that arrived sealed travels on with its own seal: only the gateway's processes can make one.
    const cached = this.sealed.get(principal);
    if (cached && cached.traceId === context.traceId && cached.expires > context.deadline) return cached.token;
    if (!this.keys.privateKey) {
      throw CleaveError.internal('this process has a principal to send but no key to seal it with (CLEAVE_PRINCIPAL_PRIVATE_KEY)');
    }
    const expires = context.deadline + CLOCK_SKEW_MS;
    const body = Buffer.from(
      JSON.stringify({ k: principal.kind, i: principal.id, c: principal.clientId, s: principal.scopes, t: context.traceId, x: expires }),
    ).toString('base64url');
    const signature = sign(null, Buffer.from(`${VERSION}.${body}`), this.keys.privateKey).toString('base64url');
    const token = `${VERSION}.${body}.${signature}`;
    this.sealed.set(principal, { traceId: context.traceId, expires, token });
    this.remember(token, { principal, traceId: context.traceId, expires });
    return token;
  }

  /** The principal a seal vouches for, if it is genuine, current and made for this trace; else `unauthenticated`. */
  open(token: string, traceId: string): Principal {
    const now = Date.now();
    let contents = this.opened.get(token);
    if (contents === undefined) {
      contents = this.verify(token);
      this.remember(token, contents);
    }
    if (contents.expires <= now) throw refused('the principal seal has expired');
    if (contents.traceId !== traceId) throw refused('the principal seal was made for another call');
    this.sealed.set(contents.principal, { traceId, expires: contents.expires, token });
    return contents.principal;
  }

  private verify(token: string): SealContents {
    if (token.length > MAX_TOKEN_LENGTH) throw refused('the principal seal is too long');
    const [version, body, signature, extra] = token.split('.');
    if (version !== VERSION || !body || !signature || extra !== undefined) throw refused('the principal seal is malformed');
    if (!verify(null, Buffer.from(`${version}.${body}`), this.keys.publicKey, Buffer.from(signature, 'base64url'))) {
      throw refused('the principal seal is not genuine');
    }
    let fields: { k?: unknown; i?: unknown; c?: unknown; s?: unknown; t?: unknown; x?: unknown };
    try {
      fields = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as typeof fields;
    } catch {
      throw refused('the principal seal is malformed');
    }
    const principal = { kind: fields.k, id: fields.i, clientId: fields.c, scopes: fields.s };
    if (!isPrincipal(principal) || typeof fields.t !== 'string' || typeof fields.x !== 'number')
      throw refused('the principal seal is malformed');
    return {
      principal: Object.freeze({ ...principal, scopes: Object.freeze([...principal.scopes]) }),
      traceId: fields.t,
      expires: fields.x,
    };
  }

  private remember(token: string, contents: SealContents): void {
    if (this.opened.size >= MAX_OPENED) {
      const now = Date.now();
      // Swept at most once a second: full of live seals, a sweep per call would walk them all each time.
      if (now - this.sweptAt >= 1_000) {
        this.sweptAt = now;
        for (const [key, value] of this.opened) if (value.expires <= now) this.opened.delete(key);
      }
      // Still full of live seals: drop the oldest.
      if (this.opened.size >= MAX_OPENED) this.opened.delete(this.opened.keys().next().value!);
    }
    this.opened.set(token, contents);
  }
}

function refused(message: string): CleaveError {
  return CleaveError.of(PlatformErrors.badPrincipal, message);
}
