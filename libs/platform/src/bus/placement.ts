import { ConfigurationError, type TransportMode } from '../config/cleave-config';

/** Which contexts this process hosts, and whether it needs NATS for the rest. */
export interface Placement {
  /** Every context the deployment has. */
  readonly known: readonly string[];
  /** The contexts (and `gateway`) this process hosts. */
  readonly hosted: ReadonlySet<string>;
  /** True when this process connects to NATS: to reach what it does not host, or to serve others. */
  readonly nats: boolean;
}

/**
 * Resolves `CLEAVE_SERVICES` against the deployment's contexts. `all` hosts every one, `none` hosts nothing
 * (a pure client), otherwise a comma-separated list. Unknown names stop start-up.
 */
export function resolvePlacement(services: string, known: readonly string[], transport: TransportMode): Placement {
  const setting = services.trim().toLowerCase();
  let hosted: Set<string>;
  if (setting === 'all') hosted = new Set(known);
  else if (setting === 'none') hosted = new Set();
  else {
    const names = setting
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    if (names.length === 0) {
      throw new ConfigurationError(`CLEAVE_SERVICES is empty: use 'all', 'none' or a list of ${known.join(', ')}`);
    }
    const unknown = names.filter((n) => !known.includes(n));
    if (unknown.length > 0) {
      throw new ConfigurationError(
        `CLEAVE_SERVICES names unknown context${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `'${u}'`).join(', ')} (known: ${known.join(', ')})`,
      );
    }
    hosted = new Set(names);
  }
  const missing = known.filter((k) => !hosted.has(k));
  if (transport === 'in-process' && missing.length > 0) {
    throw new ConfigurationError(
      `CLEAVE_TRANSPORT=in-process but CLEAVE_SERVICES leaves ${missing.join(', ')} unhosted; they could only be reached over NATS`,
    );
  }
  const nats = transport === 'nats' || (transport === 'auto' && missing.length > 0);
  return { known: [...known], hosted, nats };
}

/**
 * The name a process goes by on NATS: the context it hosts, `all`, `client` (hosting nothing), or the
 * contexts it hosts joined by `-` in the deployment's order (`gateway-identity-accounts`). Its replies
 * arrive under its own inbox prefix, and the generated NATS permissions have one user per role.
 */
export function natsRole(placement: Placement): string {
  const hosted = placement.known.filter((c) => placement.hosted.has(c));
  if (hosted.length === 0) return 'client';
  if (hosted.length === placement.known.length) return 'all';
  return hosted.join('-');
}
