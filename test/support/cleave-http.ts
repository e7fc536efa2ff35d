import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ServiceProcess } from '../../apps/cleave/src/launcher/service-process';
import { cleaveNatsAuthorization, roleFor } from '../../apps/cleave/src/nats-authorization';
import { passwordVariable } from '@cleave/platform';
import { NatsServerProcess } from './nats-server';
import { TestDatabase } from './postgres';

/** How Cleave's processes are laid out: one; one per context; or a mix. */
export type Layout = 'monolith' | 'split' | 'hybrid';
export type Storage = 'sqlite' | 'postgres';

const LAYOUTS: Record<Layout, string[][]> = {
  monolith: [['all']],
  split: [['gateway'], ['identity'], ['accounts'], ['ledger'], ['cards'], ['feed'], ['webhooks']],
  hybrid: [
    ['gateway', 'identity', 'accounts', 'cards', 'feed'],
    ['ledger', 'webhooks'],
  ],
};

const MAIN = fileURLToPath(new URL('../../dist/apps/cleave/src/main.js', import.meta.url));

/** Cleave running as real processes (the same `main` as `npm start`), reached over HTTP. */
export interface RunningBank {
  /** The HTTP API's address, as the gateway serving it now reports it. */
  readonly url: string;
  /** The NATS server of a split or hybrid bank, and the credentials and keys its processes use. */
  readonly nats?: NatsServerProcess;
  readonly security?: BankSecurity;
  readonly layout: Layout;
  readonly storage: Storage;
  /** The PostgreSQL database the contexts keep their schemas in, when on PostgreSQL. */
  readonly databaseUrl?: string;
  readonly processes: readonly ServiceProcess[];
  /** Everything the processes wrote. */
  output(): string;
  /** The running process(es) hosting exactly these contexts (`'ledger'`, `'gateway,identity'`). */
  hosting(services: string): ServiceProcess[];
  /**
   * Stops a process (SIGTERM, or already dead) and starts a new one in its place: the same contexts and
   * databases, with `env` changed (a value of undefined removes a variable).
   */
  restart(process: ServiceProcess, env?: Record<string, string | undefined>): Promise<ServiceProcess>;
  stop(): Promise<void>;
}

/**
 * How a split bank's processes prove who they are, as production would have it: a NATS user per process
 * role with the generated permissions, and a fresh principal key pair whose private half only the
 * gateway's process holds.
 */
export interface BankSecurity {
  readonly prefix: string;
  readonly authorization: string;
  /** Role → its NATS password. */
  readonly passwords: Readonly<Record<string, string>>;
  readonly privateKey: string;
  readonly publicKey: string;
  /** The environment a process hosting `services` (comma-separated) runs with. */
  envFor(services: string): Record<string, string>;
}

/** A user that may read every subject, for tests that watch the wire (never in a real deployment). */
export const TAP_USER = 'tap';

export function bankSecurity(prefix: string, processGroups: readonly string[][], options: BankOptions = {}): BankSecurity {
  const roles = processGroups.map((services) => roleFor(services));
  const extraUsers = options.tap
    ? [{ role: TAP_USER, publish: ['$JS.API.INFO', '$JS.API.CONSUMER.LIST.>'], subscribe: ['>'], allowResponses: false }]
    : [];
  // nats-server reads each password as a config value: a letter first keeps it a plain string.
  const passwords = Object.fromEntries(
    [...roles.map((r) => r.name), 'observer', ...extraUsers.map((u) => u.role)].map((name) => [
      name,
      `p${randomBytes(12).toString('hex')}`,
    ]),
  );
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  return {
    prefix,
    authorization: cleaveNatsAuthorization(prefix, roles, extraUsers),
    passwords,
    privateKey: privatePem,
    publicKey: publicPem,
    envFor(services) {
      const role = roleFor(services.split(','));
      return {
        NATS_USER: role.name,
        NATS_PASSWORD: passwords[role.name]!,
        CLEAVE_PRINCIPAL_PUBLIC_KEY: publicPem,
        ...(role.contexts.includes('gateway') ? { CLEAVE_PRINCIPAL_PRIVATE_KEY: privatePem } : {}),
      };
    },
  };
}

export interface BankOptions {
  /** Add {@link TAP_USER}, who may subscribe to everything. */
  readonly tap?: boolean;
}

export async function startBank(
  layout: Layout,
  storage: Storage,
  env: Record<string, string> = {},
  replicas: Record<string, number> = {},
  options: BankOptions = {},
): Promise<RunningBank> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cleave-bank-'));
  const database = storage === 'postgres' ? await TestDatabase.create() : undefined;
  const prefix = `t${randomBytes(6).toString('hex')}`;
  const security = layout === 'monolith' ? undefined : bankSecurity(prefix, LAYOUTS[layout], options);
  const nats =
    security === undefined
      ? undefined
      : await NatsServerProcess.start({
          authorization: {
            block: security.authorization,
            env: Object.fromEntries(Object.entries(security.passwords).map(([role, password]) => [passwordVariable(role), password])),
          },
        });
  const groups = LAYOUTS[layout].flatMap((services) => {
    const count = services.length === 1 ? (replicas[services[0]!] ?? 1) : 1;
    return Array.from({ length: count }, (_, i) => ({ services: services.join(','), instance: `${services.join('_')}-${i + 1}` }));
  });
  const processes = groups.map(
    ({ services, instance }) =>
      new ServiceProcess({
        label: instance,
        entry: MAIN,
        keepLines: 100_000,
        env: {
          CLEAVE_SERVICES: services,
          CLEAVE_INSTANCE_ID: instance,
          CLEAVE_NATS_PREFIX: prefix,
          NATS_URL: nats?.url,
          PORT: '0',
          LOG_LEVEL: process.env.CLEAVE_TEST_LOG_LEVEL ?? 'warn',
          CLEAVE_PASSWORD_HASH_COST: '10',
          CLEAVE_DATA_DIR: dataDir,
          ...(database ? { DATABASE_URL: database.url } : {}),
          ...security?.envFor(services),
          ...env,
        },
      }),
  );
  const cleanup = async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await nats?.dispose();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    // Each process migrates its own database; starting them one after another keeps start-up logs readable.
    for (const p of processes) await p.start(60_000);
  } catch (error) {
    await cleanup();
    throw error;
  }
  const url = processes.map((p) => p.readyMessage?.httpUrl).find((u) => u !== undefined);
  if (!url) {
    await cleanup();
    throw new Error('no process serves HTTP');
  }
  const restart = async (old: ServiceProcess, env: Record<string, string | undefined> = {}) => {
    await old.stop();
    const fresh = new ServiceProcess({ ...old.spec, env: { ...old.spec.env, ...env } });
    processes[processes.indexOf(old)] = fresh;
    await fresh.start(60_000);
    return fresh;
  };
  const hosting = (services: string) => processes.filter((p) => p.spec.env.CLEAVE_SERVICES === services);
  return {
    // Where HTTP is served now: a restarted gateway listens on a port of its own.
    get url() {
      return processes.map((p) => p.readyMessage?.httpUrl).find((u) => u !== undefined) ?? url;
    },
    nats,
    security,
    layout,
    storage,
    databaseUrl: database?.url,
    processes,
    output: () => processes.map((p) => p.recentOutput()).join('\n'),
    hosting,
    restart,
    stop: cleanup,
  };
}

/** One HTTP exchange's outcome. */
export interface Reply<T = any> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

export interface CallOptions {
  readonly token?: string;
  readonly idempotencyKey?: string;
  /** Send the body as JSON instead of form-encoded. */
  readonly json?: boolean;
  readonly headers?: Record<string, string>;
}

/** A small client for Cleave's HTTP API: form-encoded bodies by default, as Monzo's API takes them. */
export class Api {
  constructor(readonly base: string) {}

  get<T = any>(path: string, options: CallOptions = {}): Promise<Reply<T>> {
    return this.call('GET', path, undefined, options);
  }

  post<T = any>(path: string, body?: Record<string, unknown>, options: CallOptions = {}): Promise<Reply<T>> {
    return this.call('POST', path, body, options);
  }

  put<T = any>(path: string, body?: Record<string, unknown>, options: CallOptions = {}): Promise<Reply<T>> {
    return this.call('PUT', path, body, options);
  }

  patch<T = any>(path: string, body?: Record<string, unknown>, options: CallOptions = {}): Promise<Reply<T>> {
    return this.call('PATCH', path, body, options);
  }

  delete<T = any>(path: string, options: CallOptions = {}): Promise<Reply<T>> {
    return this.call('DELETE', path, undefined, options);
  }

  async call<T>(method: string, path: string, body: Record<string, unknown> | undefined, options: CallOptions): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
    let payload: string | undefined;
    if (body !== undefined) {
      if (options.json) {
        headers['content-type'] = 'application/json';
        payload = JSON.stringify(body);
      } else {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        payload = formEncode(body);
      }
    }
    const response = await fetch(`${this.base}${path}`, { method, headers, body: payload });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T, headers: response.headers };
  }
}

/** Form-encodes a body, nested objects as Monzo's bracketed keys (`metadata[trip]=Lisbon`). */
export function formEncode(body: Record<string, unknown>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(body)) {
    if (value === undefined) continue;
    if (value !== null && typeof value === 'object') {
      for (const [inner, v] of Object.entries(value as Record<string, unknown>)) params.append(`${key}[${inner}]`, String(v));
    } else {
      params.append(key, String(value));
    }
  }
  return params.toString();
}
