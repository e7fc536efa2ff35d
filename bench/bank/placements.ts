import { setTimeout as sleep } from 'node:timers/promises';
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ServiceProcess } from '../../apps/cleave/src/launcher/service-process';
import { TestDatabase } from '../../test/support/postgres';
import { performance } from 'node:perf_hooks';
import type { ReportRequest, SubscriberMessage, SubscriberSpec } from './notification-subscriber';
import { privateMiB, rssMiB } from './process-metrics';
import { NETWORK_AUTH, type Seed } from './workload';

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
  {
    id: 'floor',
    description: 'hand-written Fastify + better-sqlite3: the decision alone, in one function',
    groups: [],
    storage: 'sqlite',
    floor: './floor-server.js',
  },
  {
    id: 'floor-equal-work',
    description:
      "hand-written Fastify + better-sqlite3 doing Cleave's durable work: the authorisation, daily total, hold, transaction and event rows, then the feed item, day's spend and notification",
    groups: [],
    storage: 'sqlite',
    floor: './equal-work-floor.js',
  },
  { id: 'monolith-sqlite', description: 'one process, in-process bus, SQLite file per context', groups: [['all']], storage: 'sqlite' },
  {
    id: 'monolith-postgres',
    description: 'one process, in-process bus, PostgreSQL schema per context',
    groups: [['all']],
    storage: 'postgres',
  },
  {
    id: 'hybrid-events-postgres',
    description:
      'the money path (gateway, identity, accounts, ledger, cards) in one process; feed and webhooks in another, fed through JetStream',
    groups: [
      ['gateway', 'identity', 'accounts', 'ledger', 'cards'],
      ['feed', 'webhooks'],
    ],
    storage: 'postgres',
  },
  {
    id: 'hybrid-ledger-postgres',
    description: 'everything but the ledger in one process; the ledger alone; NATS between',
    groups: [EVERY_CONTEXT.filter((c) => c !== 'ledger'), ['ledger']],
    storage: 'postgres',
  },
  {
    id: 'split-postgres',
    description: 'one process per context over NATS, PostgreSQL',
    groups: EVERY_CONTEXT.map((c) => [c]),
    storage: 'postgres',
  },
  {
    id: 'split-postgres-ledger2',
    description: 'split, with two ledger replicas',
    groups: EVERY_CONTEXT.map((c) => [c]),
    storage: 'postgres',
    replicas: { ledger: 2 },
  },
];
export const DEFAULT_PLACEMENTS = [
  'floor',
  'floor-equal-work',
  'monolith-sqlite',
  'monolith-postgres',
  'hybrid-events-postgres',
  'split-postgres',
];

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const MAIN = here('../../apps/cleave/src/main.js');

/** How long a placement took to start: all its processes at once, each until it said ready, then the whole until the gateway was. */
export interface Startup {
  readonly wholeMs: number;
  readonly processes: ReadonlyArray<{ readonly name: string; readonly readyMs: number }>;
}

/** A placement up and serving. */
export interface RunningPlacement {
  readonly spec: PlacementSpec;
  readonly url: string;
  readonly processes: ReadonlyArray<{ name: string; pid: number }>;
  readonly startup: Startup;
  /** Split placements: starts one more replica of a context on its own (as when scaling out), and says how long it took to be ready. */
  replicaStartMs?(context: string): Promise<number>;
  stop(): Promise<void>;
}

export async function startPlacement(spec: PlacementSpec, natsUrl: string): Promise<RunningPlacement> {
  const dataDir = mkdtempSync(join(tmpdir(), `cleave-bench-${spec.id}-`));
  if (spec.floor) {
    const floor = new ServiceProcess({
      label: spec.id,
      entry: here(spec.floor),
      env: { FLOOR_DB: join(dataDir, 'floor.sqlite'), PORT: '0' },
    });
    const started = performance.now();
    await floor.start();
    const readyMs = performance.now() - started;
    return {
      spec,
      url: floor.readyMessage!.httpUrl!,
      processes: [{ name: spec.id, pid: floor.pid! }],
      startup: { wholeMs: readyMs, processes: [{ name: spec.id, readyMs }] },
      stop: async () => {
        await floor.stop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const database = spec.storage === 'postgres' ? await TestDatabase.create() : undefined;
  const prefix = `bench${randomBytes(4).toString('hex')}`;
  const cleave = (label: string, group: readonly string[], instance: string) =>
    new ServiceProcess({
      label,
      entry: MAIN,
      env: {
        CLEAVE_SERVICES: group.join(','),
        CLEAVE_INSTANCE_ID: `${spec.id}-${instance}`,
        CLEAVE_NATS_PREFIX: prefix,
        NATS_URL: natsUrl,
        PORT: '0',
        CLEAVE_MANAGEMENT_PORT: '0',
        LOG_LEVEL: 'error',
        CLEAVE_DATA_DIR: dataDir,
        // Seeding signs up customers from one address: lift the login limits, and hash passwords cheaply.
        CLEAVE_PASSWORD_HASH_COST: '10',
        CLEAVE_LOGIN_MAX_ATTEMPTS_PER_ADDRESS: '100000',
        // Every simulated customer calls from this one address: the API's limits are lifted (still checked).
        CLEAVE_RATE_LIMIT_PER_ADDRESS: '100000',
        CLEAVE_RATE_LIMIT_PER_TOKEN: '100000',
        ...(database ? { DATABASE_URL: database.url } : {}),
      },
    });
  const processes = spec.groups.flatMap((group) => {
    const count = group.length === 1 ? (spec.replicas?.[group[0]!] ?? 1) : 1;
    const name =
      group.length === 1
        ? group[0]!
        : group.length === EVERY_CONTEXT.length - 1
          ? 'all-but-ledger'
          : group.includes('ledger')
            ? 'money-path'
            : group.join('-');
    return Array.from({ length: count }, (_, i) => cleave(count > 1 ? `${name}-${i + 1}` : name, group, `${name}-${i + 1}`));
  });
  const extras: ServiceProcess[] = [];
  const stop = async () => {
    await Promise.all([...extras, ...processes].map((p) => p.stop()));
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  // All at once, as `npm run start:split` and an orchestrator start them; ready when the gateway says so.
  const started = performance.now();
  const readyMs = new Map<string, number>();
  let url: string;
  try {
    await Promise.all(processes.map((p) => p.start(60_000).then(() => readyMs.set(p.spec.label, performance.now() - started))));
    url = processes.map((p) => p.readyMessage?.httpUrl).find((u) => u !== undefined)!;
    await gatewayReady(url, 60_000);
  } catch (error) {
    await stop();
    throw error;
  }
  const startup: Startup = {
    wholeMs: performance.now() - started,
    processes: processes.map((p) => ({ name: p.spec.label, readyMs: readyMs.get(p.spec.label)! })),
  };
  const replicaStartMs = async (context: string) => {
    const replica = cleave(`${context}-extra`, [context], `${context}-extra`);
    extras.push(replica);
    const at = performance.now();
    await replica.start(60_000);
    const took = performance.now() - at;
    await replica.stop();
    extras.splice(extras.indexOf(replica), 1);
    return took;
  };
  return {
    spec,
    url,
    processes: processes.map((p) => ({ name: p.spec.label, pid: p.pid! })),
    startup,
    ...(spec.groups.length > 1 ? { replicaStartMs } : {}),
    stop,
  };
}

async function gatewayReady(url: string, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const status = await fetch(`${url}/readyz`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`the gateway at ${url} was not ready within ${limitMs} ms (last answer ${status})`);
    await sleep(20);
  }
}

/** What a burst of authorisations on one balance came to: every one affordable, so any decline is the bank's. */
export interface BurstOutcome {
  readonly sent: number;
  readonly approved: number;
  readonly declines: Readonly<Record<string, number>>;
  readonly errors: number;
}

/**
 * Authorisations all at once on one funded card, each small enough that all of them together are
 * affordable: they contend for one balance (one ledger row, one day's spend). A decline here is the bank
 * failing under contention (`issuer_unavailable` when a decision ran out of time), not the customer.
 */
export async function contentionBurst(url: string, cardToken: string, count: number): Promise<BurstOutcome> {
  const burst = randomBytes(4).toString('hex');
  const answers = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      fetch(`${url}/network/authorisations`, {
        method: 'POST',
        headers: { authorization: NETWORK_AUTH, 'content-type': 'application/json' },
        body: JSON.stringify({
          card_token: cardToken,
          amount: 100,
          currency: 'GBP',
          network_transaction_id: `burst-${burst}-${i}`,
          merchant: { name: 'Burst Bakery', mcc: '5814' },
        }),
      }).then(
        async (r) => (r.ok ? ((await r.json()) as { approved: boolean; decline_reason?: string }) : undefined),
        () => undefined,
      ),
    ),
  );
  const declines: Record<string, number> = {};
  for (const a of answers)
    if (a && !a.approved) declines[a.decline_reason ?? 'unknown'] = (declines[a.decline_reason ?? 'unknown'] ?? 0) + 1;
  return {
    sent: count,
    approved: answers.filter((a) => a?.approved).length,
    declines,
    errors: answers.filter((a) => a === undefined).length,
  };
}

/** Resident memory of each process, idle, and how much of it is the process's own (see {@link privateMiB}). */
export function idleRss(processes: RunningPlacement['processes']): Array<{ name: string; rssMiB: number; privateMiB?: number }> {
  return processes.map((p) => ({ name: p.name, rssMiB: rssMiB(p.pid) ?? 0, privateMiB: privateMiB(p.pid) }));
}

/** A subscriber process holding every customer's notification stream open; see notification-subscriber.ts. */
export async function subscribeToNotifications(
  url: string,
  seed: Seed,
): Promise<{ report(): Promise<{ arrivals: Map<string, number>; streamErrors: number }> }> {
  const child = fork(here('./notification-subscriber.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`the notification subscriber exited with ${code}`))),
  );
  const spec: SubscriberSpec = { url, customers: seed.customers.map(({ token, account }) => ({ token, account })) };
  child.send(spec);
  await Promise.race([new Promise<void>((resolve) => child.once('message', () => resolve())), exited]);
  return {
    report: async () => {
      child.send({ type: 'report' } satisfies ReportRequest);
      const message = await Promise.race([
        new Promise<SubscriberMessage>((resolve) => child.on('message', (m: SubscriberMessage) => m.type === 'arrivals' && resolve(m))),
        exited,
      ]);
      if (message.type !== 'arrivals') throw new Error('the notification subscriber answered out of turn');
      // The first arrival of each transaction's notification.
      const arrivals = new Map<string, number>();
      for (const [id, at] of message.arrivals) if (!arrivals.has(id)) arrivals.set(id, at);
      return { arrivals, streamErrors: message.streamErrors };
    },
  };
}

/** Customers with a funded account and a card each, and a few cards on empty accounts, through the API. */
export async function seedBank(url: string, customers: number, emptyCards: number): Promise<Seed> {
  const call = async (method: string, path: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    const json = (await response.json()) as Record<string, any>;
    if (!response.ok) throw new Error(`seeding: ${method} ${path} answered ${response.status}: ${JSON.stringify(json)}`);
    return json;
  };
  const one = async (i: number, funded: boolean) => {
    const email = `bench-${i}-${randomBytes(4).toString('hex')}@example.com`;
    const password = `pw-${randomBytes(8).toString('hex')}`;
    await call('POST', '/users', { name: `Customer ${i}`, email, password });
    const { access_token: token } = await call('POST', '/oauth2/token', {
      grant_type: 'password',
      client_id: 'oauth2client_00009cleaveQuickStart0',
      username: email,
      password,
    });
    const auth = { authorization: `Bearer ${token}` };
    const { id: account } = await call('POST', '/accounts', { currency: 'GBP' }, auth);
    if (funded)
      await call(
        'POST',
        `/accounts/${account}/top-ups`,
        { amount: 100_000_000 },
        { ...auth, 'idempotency-key': `seed-${i}-${randomBytes(4).toString('hex')}` },
      );
    const { token: cardToken } = await call('POST', '/cards', { account_id: account }, auth);
    return { token: token as string, account: account as string, cardToken: cardToken as string };
  };
  const all = await inBatches(customers + emptyCards, 8, (i) => one(i, i < customers));
  return { customers: all.slice(0, customers), emptyCards: all.slice(customers).map((c) => c.cardToken) };
}

/** The floor's equivalent: funded and empty cards straight into its database. */
export async function seedFloor(url: string, customers: number, emptyCards: number): Promise<Seed> {
  const cards = Array.from({ length: customers + emptyCards }, (_, i) => ({
    token: `cardtok_floor${String(i).padStart(17, '0')}`,
    balance: i < customers ? 100_000_000 : 0,
  }));
  const response = await fetch(`${url}/seed`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ cards }),
  });
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
