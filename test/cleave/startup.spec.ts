import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cleaveDeployment } from '../../apps/cleave/src/deployment';

const MAIN = fileURLToPath(new URL('../../dist/apps/cleave/src/main.js', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'cleave-startup-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function start(env: Record<string, string>) {
  return spawnSync(process.execPath, [MAIN], { env: { ...process.env, CLEAVE_DATA_DIR: dataDir, ...env }, encoding: 'utf8', timeout: 20_000 });
}

describe('start-up refuses a bad configuration, naming it', () => {
  it('an unknown context', () => {
    const run = start({ CLEAVE_SERVICES: 'ledger,cardz' });
    expect(run.status).toBe(78);
    expect(run.stderr).toContain(`CLEAVE_SERVICES names unknown context 'cardz' (known: ${Object.keys(cleaveDeployment.contexts).join(', ')})`);
  });

  it('an unreachable NATS when a context is not hosted here', () => {
    const run = start({ CLEAVE_SERVICES: 'ledger', NATS_URL: 'nats://127.0.0.1:1' });
    expect(run.status).toBe(78);
    expect(run.stderr).toContain('cannot reach NATS at nats://127.0.0.1:1 (NATS_URL)');
  });

  it('a malformed value', () => {
    const run = start({ CLEAVE_DEFAULT_TIMEOUT_MS: 'soon', CLEAVE_TRANSPORT: 'pigeon' });
    expect(run.status).toBe(78);
    expect(run.stderr).toMatch(/CLEAVE_TRANSPORT="pigeon"/);
    expect(run.stderr).toMatch(/CLEAVE_DEFAULT_TIMEOUT_MS="soon"/);
  });
});
