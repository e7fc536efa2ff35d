import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cleaveDeployment } from '../../apps/cleave/src/deployment';
import { NatsServerProcess } from '../support/nats-server';

const MAIN = fileURLToPath(new URL('../../dist/apps/cleave/src/main.js', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'cleave-startup-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Starts Cleave with `env`; a refusal must come within the timeout, as one JSON line on stderr. */
function start(env: Record<string, string>) {
  const run = spawnSync(process.execPath, [MAIN], {
    env: { ...process.env, CLEAVE_DATA_DIR: dataDir, PORT: '0', ...env },
    encoding: 'utf8',
    timeout: 15_000,
  });
  return {
    ...run,
    line: run.stderr.trim().split('\n').length === 1 ? (JSON.parse(run.stderr) as { level: number; msg: string }) : undefined,
  };
}

describe('start-up refuses a bad configuration, naming it', () => {
  it('an unknown context', () => {
    const run = start({ CLEAVE_SERVICES: 'ledger,cardz' });
    expect(run.status).toBe(78);
    expect(run.stderr).toContain(
      `CLEAVE_SERVICES names unknown context 'cardz' (known: ${Object.keys(cleaveDeployment.contexts).join(', ')})`,
    );
  });

  it('an unreachable NATS when a context is not hosted here', () => {
    const run = start({ CLEAVE_SERVICES: 'ledger', NATS_URL: 'nats://127.0.0.1:1' });
    expect(run.status).toBe(78);
    expect(run.stderr).toContain('cannot reach NATS at nats://127.0.0.1:1 (NATS_URL)');
  });

  it('a database it cannot open: missing, refused, or a role that does not exist, at once and naming the variable', () => {
    const base = (process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres').replace(/\/[^/]*$/, '');
    for (const [env, cause] of [
      [{ DATABASE_URL: `${base}/cleave_no_such_database` }, /DATABASE_URL\): database "cleave_no_such_database" does not exist/],
      [{ CLEAVE_LEDGER_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/x' }, /CLEAVE_LEDGER_DATABASE_URL\): connect ECONNREFUSED/],
      [{ DATABASE_URL: base.replace(/\/\/[^@]*@/, '//cleave_nobody@') + '/postgres' }, /DATABASE_URL\): .*cleave_nobody/],
    ] as const) {
      const run = start(env);
      expect(run.status, run.stderr).toBe(78);
      expect(run.line).toMatchObject({ level: 60, msg: expect.stringMatching(cause) });
    }
  });

  it('a NATS server without JetStream, and a port already taken', async () => {
    const plain = await NatsServerProcess.start({ noJetStream: true });
    try {
      const run = start({ CLEAVE_SERVICES: 'ledger', NATS_URL: plain.url });
      expect(run.status).toBe(78);
      expect(run.line?.msg).toMatch(/has no JetStream.*start nats-server with -js/);
    } finally {
      await plain.dispose();
    }
    const taken = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => taken.once('listening', resolve));
    try {
      const run = start({ PORT: String((taken.address() as { port: number }).port) });
      expect(run.status).toBe(78);
      expect(run.line?.msg).toMatch(/port \d+ on 127\.0\.0\.1 is already taken: set PORT/);
    } finally {
      taken.close();
    }
  });

  it('under NODE_ENV=production, a development credential still at its default, naming it', () => {
    const gateway = start({ NODE_ENV: 'production', CLEAVE_TRANSPORT: 'in-process', CLEAVE_CARD_PAN_KEY: 'a-pan-key-of-our-own' });
    expect(gateway.status, gateway.stderr).toBe(78);
    expect(gateway.line?.msg).toMatch(/NODE_ENV=production with the development CLEAVE_NETWORK_SECRET, CLEAVE_ADMIN_SECRET: set each/);
    const cards = start({
      NODE_ENV: 'production',
      CLEAVE_TRANSPORT: 'in-process',
      CLEAVE_NETWORK_SECRET: 'a-network-secret-of-our-own',
      CLEAVE_ADMIN_SECRET: 'an-admin-secret-of-our-own',
    });
    expect(cards.status, cards.stderr).toBe(78);
    expect(cards.line?.msg).toMatch(/NODE_ENV=production with the development CLEAVE_CARD_PAN_KEY: set it/);
  });

  it('a setting refused while Nest builds the modules: one JSON line on stderr, no Nest banner', () => {
    const run = start({ CLEAVE_TIMEZONE: 'Mars/Olympus_Mons', CLEAVE_TRANSPORT: 'in-process' });
    expect(run.status, run.stderr).toBe(78);
    expect(run.line?.msg).toMatch(/CLEAVE_TIMEZONE="Mars\/Olympus_Mons": CLEAVE_TIMEZONE must be a valid IANA time-zone/);
    // Nest's own ExceptionHandler prints coloured text unless the process's logger takes over first.
    expect(run.stdout + run.stderr).not.toMatch(new RegExp(`${String.fromCharCode(27)}\\[|ExceptionHandler`));
  });

  it('a malformed value', () => {
    const run = start({ CLEAVE_DEFAULT_TIMEOUT_MS: 'soon', CLEAVE_TRANSPORT: 'pigeon' });
    expect(run.status).toBe(78);
    expect(run.line?.msg).toMatch(/CLEAVE_TRANSPORT="pigeon"/);
    expect(run.line?.msg).toMatch(/CLEAVE_DEFAULT_TIMEOUT_MS="soon"/);
  });
});
