import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nkeys } from '@nats-io/transport-node';
import { LedgerPatterns } from '@cleave/contracts';
import { createCleaveApp, loadCleaveConfig } from '@cleave/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceProcess } from '../../apps/cleave/src/launcher/service-process';
import { cleaveDeployment } from '../../apps/cleave/src/deployment';
import { NatsServerProcess } from '../support/nats-server';

/** The message of the one JSON line a refused start writes to stderr. */
const messageOf = (stderr: string): string => (JSON.parse(stderr) as { msg: string }).msg;

const MAIN = fileURLToPath(new URL('../../dist/apps/cleave/src/main.js', import.meta.url));

/** A CA, and a certificate it signed for 127.0.0.1, made with openssl. */
function certificates(dir: string): { ca: string; cert: string; key: string } {
  const file = (name: string) => join(dir, name);
  const run = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  run(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=cleave-test-ca',
    '-keyout',
    file('ca-key.pem'),
    '-out',
    file('ca.pem'),
  );
  run(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    file('server-key.pem'),
    '-out',
    file('server.csr'),
  );
  writeFileSync(file('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  run(
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca-key.pem'),
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    file('ext.cnf'),
    '-out',
    file('server.pem'),
  );
  return { ca: file('ca.pem'), cert: file('server.pem'), key: file('server-key.pem') };
}

/**
 * A service connecting over TLS, verifying the server with a CA read from a file, and authenticating with
 * an NKey seed read from a file: the options a production deployment uses, with real parts.
 */
describe('NATS connection options: TLS and NKeys, from files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cleave-tls-'));
  const user = nkeys.createUser();
  const seedFile = join(dir, 'ledger.nk');
  let tls: { ca: string; cert: string; key: string };
  let server: NatsServerProcess;
  let ledger: ServiceProcess | undefined;

  beforeAll(async () => {
    tls = certificates(dir);
    writeFileSync(seedFile, `${new TextDecoder().decode(user.getSeed())}\n`);
    server = await NatsServerProcess.start({
      authorization: {
        block: `tls { cert_file: "${tls.cert}", key_file: "${tls.key}" }\nauthorization { users: [ { nkey: "${user.getPublicKey()}" } ] }\n`,
        env: {},
      },
    });
  });
  afterAll(async () => {
    await ledger?.stop();
    await server?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves a context over TLS with an NKey, and a client calls it the same way', async () => {
    const env = { NATS_URL: `tls://127.0.0.1:${server.port}`, NATS_TLS_CA_FILE: tls.ca, NATS_NKEY_SEED_FILE: seedFile };
    ledger = new ServiceProcess({
      label: 'ledger',
      entry: MAIN,
      env: { ...env, CLEAVE_SERVICES: 'ledger', CLEAVE_DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'error', CLEAVE_NATS_PREFIX: 'tls' },
    });
    await ledger.start(60_000);
    const client = await createCleaveApp(
      cleaveDeployment,
      loadCleaveConfig({ ...env, CLEAVE_MANAGEMENT_PORT: '0', CLEAVE_SERVICES: 'none', CLEAVE_NATS_PREFIX: 'tls', LOG_LEVEL: 'silent' }),
    );
    try {
      const book = await client.bus.send(LedgerPatterns.OpenBook, { accountId: 'acc_0000000000000000000001', currency: 'GBP' });
      expect(book).toMatchObject({ accountId: 'acc_0000000000000000000001', balance: 0 });
    } finally {
      await client.close();
    }
  });

  it('stops with a message naming what to fix when the server cannot be verified, or refuses the key', () => {
    const start = (env: Record<string, string>) =>
      spawnSync(process.execPath, [MAIN], {
        encoding: 'utf8',
        timeout: 30_000,
        env: {
          ...process.env,
          CLEAVE_SERVICES: 'ledger',
          CLEAVE_DATA_DIR: join(dir, 'data2'),
          NATS_URL: `tls://127.0.0.1:${server.port}`,
          ...env,
        },
      });
    const unverified = start({ NATS_NKEY_SEED_FILE: seedFile });
    expect(unverified.status).toBe(78);
    expect(messageOf(unverified.stderr)).toMatch(/cannot reach NATS at tls:\/\/127\.0\.0\.1:\d+ \(NATS_URL\)/);
    const stranger = start({ NATS_TLS_CA_FILE: tls.ca, NATS_NKEY_SEED: new TextDecoder().decode(nkeys.createUser().getSeed()) });
    expect(stranger.status).toBe(78);
    expect(messageOf(stranger.stderr)).toMatch(/refused this process's credentials/);
    const missing = start({ NATS_TLS_CA_FILE: join(dir, 'nope.pem') });
    expect(missing.status).toBe(78);
    expect(messageOf(missing.stderr)).toMatch(/NATS_TLS_CA_FILE=".*nope\.pem": cannot read it \(ENOENT\)/);
  });
});
