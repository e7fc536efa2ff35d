import { Inject, Injectable } from '@nestjs/common';
import type { AuthenticatedUser } from '@cleave/contracts';
import { GatewaySettings } from '../gateway.settings';

const MAX_ENTRIES = 10_000;

/**
 * Recently resolved access tokens, by their SHA-256, for a short while: most requests then skip the hop to
 * identity. Revocation (logout, refresh) drops an entry at once here and, through identity's event, in
 * every other gateway replica.
 */
@Injectable()
export class TokenCache {
  private readonly entries = new Map<string, { user: AuthenticatedUser; until: number }>();
  private readonly revocationListeners: Array<(hash: string) => void> = [];

  constructor(@Inject(GatewaySettings) private readonly settings: GatewaySettings) {}

  get(hash: string): AuthenticatedUser | undefined {
    const entry = this.entries.get(hash);
    if (entry === undefined) return undefined;
    const now = Date.now();
    if (entry.until <= now || Date.parse(entry.user.expiresAt) <= now) {
      this.entries.delete(hash);
      return undefined;
    }
    return entry.user;
  }

  set(hash: string, user: AuthenticatedUser): void {
    if (this.settings.CLEAVE_TOKEN_CACHE_MS === 0) return;
    // A Map keeps insertion order: when full, drop the oldest.
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(hash, { user, until: Date.now() + this.settings.CLEAVE_TOKEN_CACHE_MS });
  }

  /** Forgets a token that was revoked (logout, refresh, identity's event), and tells who holds it open. */
  invalidate(hash: string): void {
    this.entries.delete(hash);
    for (const listener of this.revocationListeners) listener(hash);
  }

  /** Called with each revoked token's hash: what it keeps open (a notification stream) must end. */
  onRevoked(listener: (hash: string) => void): void {
    this.revocationListeners.push(listener);
  }
}
