import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NatsServerProcess } from '../support/nats-server';

/** Runs an npm script as a process manager would, and waits until it prints `until`. */
async function npmRun(
  script: string,
  env: Record<string, string>,
  until: RegExp,
): Promise<{ npm: ChildProcess; output: () => string; exited: Promise<number | null> }> {
  const npm = spawn('npm', ['run', '--silent', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  npm.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  npm.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  while (!until.test(output)) {
    if (npm.exitCode !== null || Date.now() > deadline) throw new Error(`npm run ${script} did not get ready:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { npm, output: () => output, exited };
}

const accepts = async (url: string) =>
  fetch(`${url}/healthz`).then(
    () => true,
    () => false,
  );

/**
 * A process manager stops `npm start` by signalling npm: the server must get the signal, drain and exit.
 * The scripts that build first run the same `exec` as the ones tried here, which don't build (a build in
 * the middle of the suite would rewrite dist/ under other tests' processes).
 */
describe('npm start and npm run start:split pass signals to the server', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cleave-npm-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('npm start and start:split build, then exec the same command as their :prod scripts', () => {
    const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.start).toBe(`npm run build && ${scripts['start:prod']}`);
    expect(scripts['start:split']).toBe(`npm run build && ${scripts['start:split:prod']}`);
    expect(scripts['start:prod']).toMatch(/^exec node --max-semi-space-size=16 /);
    expect(scripts['start:split:prod']).toMatch(/^exec node /);
  });

  it('npm run start:prod: SIGTERM to npm stops the bank and frees its port', async () => {
    const { npm, output, exited } = await npmRun(
      'start:prod',
      { CLEAVE_DATA_DIR: join(dataDir, 'monolith'), PORT: '0', LOG_LEVEL: 'info' },
      /HTTP on http:\/\/[\d.:]+/,
    );
    const url = /HTTP on (http:\/\/[\d.:]+)/.exec(output())![1]!;
    expect(await accepts(url)).toBe(true);
    npm.kill('SIGTERM');
    expect(await exited).not.toBeNull();
    expect(output()).toContain('SIGTERM: draining');
    expect(await accepts(url)).toBe(false);
  }, 90_000);

  it('npm run start:split:prod: SIGTERM to npm stops every process', async () => {
    const nats = await NatsServerProcess.start();
    try {
      const { npm, output, exited } = await npmRun(
        'start:split:prod',
        {
          NATS_URL: nats.url,
          CLEAVE_NATS_PREFIX: `t${randomBytes(6).toString('hex')}`,
          CLEAVE_DATA_DIR: join(dataDir, 'split'),
          PORT: '0',
          LOG_LEVEL: 'info',
        },
        /processes ready/,
      );
      const url = /HTTP on (http:\/\/[\d.:]+)/.exec(output())![1]!;
      npm.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output()).toMatch(/stopping 7 processes/);
      expect(await accepts(url)).toBe(false);
    } finally {
      await nats.dispose();
    }
  }, 120_000);
});
