import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceProcess } from '../../apps/cleave/src/launcher/service-process';
import { eventually } from './customers';
import { NatsServerProcess } from '../support/nats-server';

const MAIN = fileURLToPath(new URL('../../dist/apps/cleave/src/main.js', import.meta.url));

/** The gateway is ready only when every context it calls has an instance answering. */
describe('split readiness', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cleave-ready-'));
  const prefix = `t${randomBytes(6).toString('hex')}`;
  let nats: NatsServerProcess;
  const processes: ServiceProcess[] = [];
  const start = async (services: string) => {
    const p = new ServiceProcess({
      label: services,
      entry: MAIN,
      env: {
        CLEAVE_SERVICES: services,
        NATS_URL: nats.url,
        CLEAVE_NATS_PREFIX: prefix,
        CLEAVE_DATA_DIR: dataDir,
        PORT: '0',
        LOG_LEVEL: 'error',
      },
    });
    processes.push(p);
    await p.start(60_000);
    return p;
  };

  beforeAll(async () => {
    nats = await NatsServerProcess.start();
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await nats?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('says which contexts do not answer yet, and turns ready once they all do', async () => {
    const gateway = await start('gateway');
    const readyz = async () => {
      const reply = await fetch(`${gateway.readyMessage!.httpUrl}/readyz`);
      return { status: reply.status, body: (await reply.json()) as { code?: string; message?: string } };
    };
    const alone = await readyz();
    expect(alone.status).toBe(503);
    expect(alone.body.message).toMatch(/no instance answers for .*identity.*accounts.*ledger.*cards.*feed.*webhooks/);
    await start('identity');
    await start('accounts');
    const partly = await eventually(readyz, (r) => !/identity|accounts/.test(r.body.message ?? ''));
    expect(partly.status).toBe(503);
    for (const context of ['ledger', 'cards', 'feed', 'webhooks']) await start(context);
    await eventually(readyz, (r) => r.status === 200);
  });
});
