import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { passwordVariable } from '@cleave/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitRoles } from '../../apps/cleave/src/nats-authorization';
import { Api } from '../support/cleave-http';
import { NatsServerProcess } from '../support/nats-server';
import { SplitLauncher } from '../support/split-launcher';
import { fundedCard } from '../http/customers';

/** The environment a running process was started with, from /proc. */
function environmentOf(pid: number): Record<string, string> {
  const raw = readFileSync(`/proc/${pid}/environ`, 'utf8');
  return Object.fromEntries(
    raw
      .split('\0')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
}

/**
 * The README's locked-down split, as written: nats-server with the committed deploy/nats users, a password
 * per service in the environment, the principal key in a file, and `npm run start:split`.
 */
describe('start:split against the committed NATS users and permissions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cleave-locked-'));
  const passwords = Object.fromEntries(
    [...splitRoles().map((r) => r.name), 'observer'].map((role) => [passwordVariable(role), `p${randomBytes(10).toString('hex')}`]),
  );
  const keyFile = join(dir, 'principal.pem');
  let nats: NatsServerProcess;
  let launcher: SplitLauncher;

  beforeAll(async () => {
    writeFileSync(keyFile, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    nats = await NatsServerProcess.start({
      authorization: { block: readFileSync('deploy/nats/cleave-auth.conf', 'utf8'), env: passwords },
    });
    launcher = await SplitLauncher.start(
      [],
      {
        ...process.env,
        ...passwords,
        NATS_URL: nats.url,
        CLEAVE_PRINCIPAL_PRIVATE_KEY_FILE: keyFile,
        CLEAVE_DATA_DIR: join(dir, 'data'),
        PORT: '0',
        LOG_LEVEL: 'info',
        CLEAVE_PASSWORD_HASH_COST: '10',
      },
      { readyWithinMs: 90_000 },
    );
  }, 120_000);
  afterAll(async () => {
    await launcher?.stop();
    await nats?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the bank, every service as its own user', async () => {
    expect(launcher.output).not.toMatch(/not ready yet/);
    const api = new Api(/HTTP on (http:\/\/[\d.:]+)/.exec(launcher.output)![1]!);
    const card = await fundedCard(api, 5_000);
    const paid = await api.post(
      '/network/authorisations',
      {
        card_token: card.cardToken,
        amount: 700,
        currency: 'GBP',
        network_transaction_id: `ntx-${randomBytes(4).toString('hex')}`,
        merchant: { name: 'Cafe', mcc: '5814' },
      },
      { headers: { authorization: 'Bearer cleave-development-network-secret' } },
    );
    expect(paid.body).toMatchObject({ approved: true });
  });

  it('gives each child its own user and password, and the private key to the gateway alone', () => {
    const children = execFileSync('pgrep', ['-P', String(launcher.pid)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map(Number);
    expect(children).toHaveLength(7);
    for (const pid of children) {
      const env = environmentOf(pid);
      const service = env.CLEAVE_SERVICES!;
      expect(env.NATS_USER).toBe(service);
      expect(env.NATS_PASSWORD).toBe(passwords[passwordVariable(service)]);
      expect(Object.keys(env).filter((k) => k.startsWith('CLEAVE_NATS_PASSWORD_'))).toEqual([]);
      expect(env.CLEAVE_PRINCIPAL_PRIVATE_KEY_FILE).toBeUndefined();
      expect(env.CLEAVE_PRINCIPAL_PUBLIC_KEY).toMatch(/BEGIN PUBLIC KEY/);
      if (service === 'gateway') expect(env.CLEAVE_PRINCIPAL_PRIVATE_KEY).toMatch(/BEGIN PRIVATE KEY/);
      else expect(env.CLEAVE_PRINCIPAL_PRIVATE_KEY).toBeUndefined();
    }
  });
});
