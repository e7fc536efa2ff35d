import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { Svcm } from '@nats-io/services';
import { AccountsPatterns, LedgerPatterns } from '@cleave/contracts';
import { createCleaveApp, loadCleaveConfig, rootContext, runWithContext } from '@cleave/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleaveDeployment } from '../../apps/cleave/src/deployment';
import { childNodeArguments, YOUNG_GENERATION_FLAG } from '../../apps/cleave/src/launcher/service-process';
import { NatsServerProcess } from '../support/nats-server';
import { LAUNCHER, SplitLauncher } from '../support/split-launcher';

async function servicesAnswering(natsUrl: string, name: string, prefix: string): Promise<string[]> {
  const nc = await connect({ servers: natsUrl });
  try {
    const found: string[] = [];
    // @nats-io/services bundles its own copy of nats-core; the connection is the same at run time.
    try {
      for await (const ping of await new Svcm(nc as never).client({ strategy: 'timer', maxWait: 500 } as never).ping(name)) {
        if (ping.metadata?.prefix === prefix) found.push(ping.id);
      }
    } catch (error) {
      // Nothing at all answering $SRV is reported as "no responders".
      if (!/no responders/i.test((error as Error).message)) throw error;
    }
    return found;
  } finally {
    await nc.close();
  }
}

describe('npm run start:split', () => {
  let nats: NatsServerProcess;
  let launcher: SplitLauncher;
  const prefix = `t${randomBytes(6).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'cleave-split-'));

  beforeAll(async () => {
    nats = await NatsServerProcess.start();
    launcher = await SplitLauncher.start(
      ['--replicas', 'ledger=2'],
      {
        ...process.env,
        NATS_URL: nats.url,
        CLEAVE_NATS_PREFIX: prefix,
        CLEAVE_DATA_DIR: dataDir,
        LOG_LEVEL: 'info',
        PORT: '0',
        CLEAVE_PASSWORD_HASH_COST: '10',
        // Sign-ups take a while, so some are in flight when Ctrl-C comes.
        CLEAVE_FAULTS: 'identity.sign-up=delay:1500',
      },
      // In a process group of its own, as a terminal runs it: Ctrl-C there signals the whole group.
      { readyWithinMs: 60_000, detached: true },
    );
  });

  afterAll(async () => {
    await launcher?.stop();
    await nats?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts one process per context, with the replicas asked for, each log line prefixed', async () => {
    expect(launcher.output).toMatch(
      /8 processes ready over nats:\/\/127\.0\.0\.1:\d+ \(gateway, identity, accounts, ledger-1, ledger-2, cards, feed, webhooks\)/,
    );
    for (const label of ['gateway', 'identity', 'accounts', 'ledger-1', 'ledger-2', 'cards'])
      expect(launcher.output).toMatch(new RegExp(`^${label}\\s+│ INFO  Cleave: ready`, 'm'));
    expect(launcher.output).toMatch(
      /^gateway\s+│ INFO {2}Cleave: ready: hosting gateway, NATS for the rest; HTTP on http:\/\/127\.0\.0\.1:\d+/m,
    );
    expect(await servicesAnswering(nats.url, 'ledger', prefix)).toHaveLength(2);
    expect(await servicesAnswering(nats.url, 'accounts', prefix)).toHaveLength(1);
    // Each runs with V8's young generation capped (Node 24 would size it from the machine's memory).
    const children = readFileSync(`/proc/${launcher.pid}/task/${launcher.pid}/children`, 'utf8').trim().split(' ');
    expect(children).toHaveLength(8);
    for (const pid of children) expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toContain(YOUNG_GENERATION_FLAG);
  });

  it('gives a child the young generation cap unless its Node options set one', () => {
    expect(childNodeArguments(['--enable-source-maps'], undefined)).toEqual([YOUNG_GENERATION_FLAG, '--enable-source-maps']);
    expect(childNodeArguments([], '--max-semi-space-size=64')).toEqual([]);
    expect(childNodeArguments(['--max_semi_space_size=32'], '')).toEqual(['--max_semi_space_size=32']);
  });

  it('serves the bank to a process that hosts nothing', async () => {
    const client = await createCleaveApp(
      cleaveDeployment,
      loadCleaveConfig({ CLEAVE_SERVICES: 'none', NATS_URL: nats.url, CLEAVE_NATS_PREFIX: prefix, LOG_LEVEL: 'silent' }),
    );
    try {
      // Accounts act only for a customer; this process holds the (development) key that vouches for one.
      const ownerId = 'user_0000000000000000000009';
      const customer = rootContext({ principal: { kind: 'user', id: ownerId, scopes: ['customer'] } }, 5_000);
      const opened = await runWithContext(customer, () => client.bus.send(AccountsPatterns.OpenAccount, { ownerId, currency: 'EUR' }));
      expect(await runWithContext(customer, () => client.bus.send(AccountsPatterns.GetAccount, { accountId: opened.id }))).toMatchObject({
        currency: 'EUR',
      });
      expect(await client.bus.send(LedgerPatterns.GetBalance, { accountId: opened.id })).toMatchObject({ currency: 'EUR', balance: 0 });
      await expect(client.bus.send(AccountsPatterns.GetAccount, { accountId: opened.id })).rejects.toMatchObject({ code: 'forbidden' });
    } finally {
      await client.close();
    }
  });

  it('stops every process on Ctrl-C, callers first, finishing the requests in flight', async () => {
    const url = /HTTP on (http:\/\/127\.0\.0\.1:\d+)/.exec(launcher.output)![1]!;
    const signUps = Array.from({ length: 10 }, (_, i) =>
      fetch(`${url}/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Ada', email: `ctrl-c-${i}-${prefix}@example.com`, password: 'long enough password' }),
      }).then(
        (r) => r.status,
        (e: Error) => e.message,
      ),
    );
    await new Promise((r) => setTimeout(r, 500));
    // What a terminal does on Ctrl-C: SIGINT to every process in the foreground group.
    process.kill(-launcher.pid!, 'SIGINT');
    expect(await Promise.all(signUps)).toEqual(Array(10).fill(201));
    expect(await launcher.exited).toBe(0);
    const order = /stopping 8 processes, callers first: (.*)/.exec(launcher.output)![1]!.split(', ');
    expect(order[0]).toBe('gateway');
    expect(order.indexOf('ledger')).toBeGreaterThan(Math.max(order.indexOf('cards'), order.indexOf('accounts')));
    expect(order.indexOf('accounts')).toBeGreaterThan(order.indexOf('cards'));
    expect(await servicesAnswering(nats.url, 'ledger', prefix)).toHaveLength(0);
    expect(await servicesAnswering(nats.url, 'accounts', prefix)).toHaveLength(0);
  });

  it('refuses bad options and an unreachable NATS with a message', () => {
    const bad = spawnSync(process.execPath, [LAUNCHER, '--services', 'ledger', '--replicas', 'cards=2'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--replicas names 'cards', which is not started/);
    const noNats = spawnSync(process.execPath, [LAUNCHER], {
      encoding: 'utf8',
      timeout: 20_000,
      env: { ...process.env, NATS_URL: 'nats://127.0.0.1:1' },
    });
    expect(noNats.status).toBe(2);
    expect(noNats.stderr).toMatch(/cannot reach NATS at nats:\/\/127\.0\.0\.1:1 \(NATS_URL\)/);
  });
});
