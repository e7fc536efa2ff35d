import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ServiceProcess } from '../../apps/cleave/src/launcher/service-process';
import { TestDatabase } from '../../test/support/postgres';
import type { Seed } from './workload';

/** A way of running the bank (or the floor) that the benchmark compares. */
export interface PlacementSpec {
  readonly id: string;
  readonly description: string;
  /** Process groups: the contexts each process hosts. Empty for the floor. */
  readonly groups: ReadonlyArray<readonly string[]>;
  readonly storage: 'sqlite' | 'postgres';
  readonly replicas?: Readonly<Record<string, number>>;
  /** A hand-written server instead of Cleave: its compiled script (next to this file). */
  readonly floor?: string;
}

const EVERY_CONTEXT = ['gateway', 'identity', 'accounts', 'ledger', 'cards', 'feed', 'webhooks'];

export const PLACEMENTS: readonly PlacementSpec[] = [
  { id: 'floor', description: 'hand-written Fastify + better-sqlite3: the decision alone, in one function', groups: [], storage: 'sqlite', floor: './floor-server.js' },
  {
    id: 'floor-equal-work',
    description: "hand-written Fastify + better-sqlite3 doing Cleave's durable work: the authorisation, daily total, hold, transaction and event rows, then the feed item, day's spend and notification",
    groups: [],
    storage: 'sqlite',
    floor: './equal-work-floor.js',
  },
  { id: 'monolith-sqlite', description: 'one process, in-process bus, SQLite file per context', groups: [['all']], storage: 'sqlite' },
  { id: 'monolith-postgres', description: 'one process, in-process bus, PostgreSQL schema per context', groups: [['all']], storage: 'postgres' },
  { id: 'hybrid-events-postgres', description: 'the money path (gateway, identity, accounts, ledger, cards) in one process; feed and webhooks in another, fed through JetStream', groups: [['gateway', 'identity', 'accounts', 'ledger', 'cards'], ['feed', 'webhooks']], storage: 'postgres' },
  { id: 'hybrid-ledger-postgres', description: 'everything but the ledger in one process; the ledger alone; NATS between', groups: [EVERY_CONTEXT.filter((c) => c !== 'ledger'), ['ledger']], storage: 'postgres' },
  { id: 'split-postgres', description: 'one process per context over NATS, PostgreSQL', groups: EVERY_CONTEXT.map((c) => [c]), storage: 'postgres' },
  { id: 'split-postgres-ledger2', description: 'split, with two ledger replicas', groups: EVERY_CONTEXT.map((c) => [c]), storage: 'postgres', replicas: { ledger: 2 } },
];
export const DEFAULT_PLACEMENTS = ['floor', 'floor-equal-work', 'monolith-sqlite', 'monolith-postgres', 'hybrid-events-postgres', 'split-postgres'];

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const MAIN = here('../../apps/cleave/src/main.js');

/** A placement up and serving. */
export interface RunningPlacement {
  readonly spec: PlacementSpec;
  readonly url: string;
  readonly processes: ReadonlyArray<{ name: string; pid: number }>;
  stop(): Promise<void>;
}

export async function startPlacement(spec: PlacementSpec, natsUrl: string): Promise<RunningPlacement> {
  const dataDir = mkdtempSync(join(tmpdir(), `cleave-bench-${spec.id}-`));
  if (spec.floor) {
    const floor = new ServiceProcess({ label: spec.id, entry: here(spec.floor), env: { FLOOR_DB: join(dataDir, 'floor.sqlite'), PORT: '0' } });
    await floor.start();
    return {
      spec,
      url: floor.readyMessage!.httpUrl!,
      processes: [{ name: spec.id, pid: floor.pid! }],
      stop: async () => {
        await floor.stop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const database = spec.storage === 'postgres' ? await TestDatabase.create() : undefined;
  const prefix = `bench${randomBytes(4).toString('hex')}`;
  const processes = spec.groups.flatMap((group) => {
    const count = group.length === 1 ? (spec.replicas?.[group[0]!] ?? 1) : 1;
    const name = group.length === 1 ? group[0]! : group.length === EVERY_CONTEXT.length - 1 ? 'all-but-ledger' : group.includes('ledger') ? 'money-path' : group.join('-');
    return Array.from({ length: count }, (_, i) =>
      new ServiceProcess({
        label: count > 1 ? `${name}-${i + 1}` : name,
        entry: MAIN,
        env: {
          CLEAVE_SERVICES: group.join(','),
          CLEAVE_INSTANCE_ID: `${spec.id}-${name}-${i + 1}`,
          CLEAVE_NATS_PREFIX: prefix,
          NATS_URL: natsUrl,
          PORT: '0',
          LOG_LEVEL: 'error',
          CLEAVE_DATA_DIR: dataDir,
          // Seeding signs up customers from one address: lift the login limits, and hash passwords cheaply.
          CLEAVE_PASSWORD_HASH_COST: '10',
          CLEAVE_LOGIN_MAX_ATTEMPTS_PER_ADDRESS: '100000',
          ...(database ? { DATABASE_URL: database.url } : {}),
        },
      }),
    );
  });
  const stop = async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    for (const p of processes) await p.start(60_000);
  } catch (error) {
    await stop();
    throw error;
  }
  const url = processes.map((p) => p.readyMessage?.httpUrl).find((u) => u !== undefined)!;
  return { spec, url, processes: processes.map((p) => ({ name: p.spec.label, pid: p.pid! })), stop };
}

/** Customers with a funded account and a card each, and a few cards on empty accounts, through the API. */
export async function seedBank(url: string, customers: number, emptyCards: number): Promise<Seed> {
  const call = async (method: string, path: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${url}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const json = (await response.json()) as Record<string, any>;
    if (!response.ok) throw new Error(`seeding: ${method} ${path} answered ${response.status}: ${JSON.stringify(json)}`);
    return json;
  };
  const one = async (i: number, funded: boolean) => {
    const email = `bench-${i}-${randomBytes(4).toString('hex')}@example.com`;
    const password = `pw-${randomBytes(8).toString('hex')}`;
    await call('POST', '/users', { name: `Customer ${i}`, email, password });
    const { access_token: token } = await call('POST', '/oauth2/token', { grant_type: 'password', client_id: 'oauth2client_00009cleaveQuickStart0', username: email, password });
    const auth = { authorization: `Bearer ${token}` };
    const { id: account } = await call('POST', '/accounts', { currency: 'GBP' }, auth);
    if (funded) await call('POST', `/accounts/${account}/top-ups`, { amount: 100_000_000 }, { ...auth, 'idempotency-key': `seed-${i}-${randomBytes(4).toString('hex')}` });
    const { token: cardToken } = await call('POST', '/cards', { account_id: account }, auth);
    return { token: token as string, account: account as string, cardToken: cardToken as string };
  };
  const all = await inBatches(customers + emptyCards, 8, (i) => one(i, i < customers));
  return { customers: all.slice(0, customers), emptyCards: all.slice(customers).map((c) => c.cardToken) };
}

/** The floor's equivalent: funded and empty cards straight into its database. */
export async function seedFloor(url: string, customers: number, emptyCards: number): Promise<Seed> {
  const cards = Array.from({ length: customers + emptyCards }, (_, i) => ({ token: `cardtok_floor${String(i).padStart(17, '0')}`, balance: i < customers ? 100_000_000 : 0 }));
  const response = await fetch(`${url}/seed`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ cards }) });
  if (!response.ok) throw new Error(`seeding the floor answered ${response.status}`);
  return {
    customers: cards.slice(0, customers).map((c, i) => ({ token: '', account: `acc_${i}`, cardToken: c.token })),
    emptyCards: cards.slice(customers).map((c) => c.token),
  };
}

async function inBatches<T>(count: number, parallel: number, work: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await work(i);
      }
    }),
  );
  return results;
}

/** Runs one load phase in a generator process of its own. */
export function runLoad<T>(spec: unknown): Promise<{ result: T; pid: number }> {
  const child = fork(here('./load-generator.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.send(spec as object);
  return new Promise((resolve, reject) => {
    child.once('message', (message: { result: T }) => resolve({ result: message.result, pid: child.pid! }));
    child.once('exit', (code) => code !== 0 && reject(new Error(`the load generator exited with ${code}`)));
  });
}
