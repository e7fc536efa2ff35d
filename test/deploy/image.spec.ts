import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../http/customers';
import { freePort } from '../support/free-port';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ASSEMBLE_BASES = fileURLToPath(new URL('./assemble-bases.sh', import.meta.url));
// Held by .ci/run while it builds the image's dependency stage ahead of the tests: the build here waits for it.
const BUILD_LOCK = join(process.env.HOME ?? '/tmp', '.cache/cleave-ci/image-build.lock');
// debootstrap and chroot live in sbin, which a non-login root shell may not have on its PATH.
const ENV = { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` };

/**
 * Bounds on the image built on the test's runtime base (Debian minbase without docs, and Node 24: 204 MB, as
 * node:24-bookworm-slim). What the app adds is production node_modules (about 130 MB: TypeORM, OpenTelemetry,
 * NestJS, swagger-ui…) and 3.5 MB of compiled code; a dev dependency or build leftovers slipping in would
 * add 100 MB or more.
 */
const MAX_IMAGE_MB = 400;
const MAX_ADDED_MB = 160;

interface ImageConfig {
  User: string;
  Env: string[];
  Entrypoint: string[];
  Cmd: string[];
  WorkingDir: string;
  ExposedPorts: Record<string, object>;
  Labels: Record<string, string>;
  Healthcheck?: { Test: string[]; Interval: number; Timeout: number; StartPeriod: number; Retries: number };
}

/** Runs a command, resolving its stdout; a failure carries its stderr. */
function run(command: string, args: readonly string[], timeoutMs = 60_000, cwd = ROOT): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, env: ENV, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stderr.slice(-4_000)}`));
      else resolve(stdout);
    });
  });
}

/** A command inside the image's filesystem, as its user, with the image's environment and working directory. */
function inImage(rootfs: string, config: ImageConfig, env: Record<string, string>, command: readonly string[]): string[] {
  const variables = [...config.Env, ...Object.entries(env).map(([k, v]) => `${k}=${v}`)];
  // No USER means root, as a runtime would run it.
  return ['chroot', `--userspec=${config.User || '0:0'}`, rootfs, '/usr/bin/env', '-i', '-C', config.WorkingDir, ...variables, ...command];
}

function requireTools(): void {
  const missing = ['podman', 'debootstrap', 'chroot', 'unshare'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { env: ENV }).status !== 0);
  if (missing.length > 0) throw new Error(`the image test needs ${missing.join(', ')}: apt-get install podman debootstrap (.ci/run does)`);
  if (process.getuid?.() !== 0) throw new Error('the image test needs root: debootstrap, podman build and chroot');
}

/**
 * The Dockerfile, built with podman on bases assembled from local files (assemble-bases.sh: Debian and Node
 * from their package repositories, since no image registry may be reachable) and checked without a container
 * runtime, which sandboxes and some CI runners refuse: its configuration from `podman image inspect`, its
 * files from `podman mount`, and the app itself run from those files (chroot, as the image's user, node as
 * PID 1 of a PID namespace of its own, as under `docker run`).
 */
describe('the container image', () => {
  const id = randomBytes(5).toString('hex');
  const tag = `localhost/cleave-image-test:${id}`;
  const container = `cleave-image-test-${id}`;
  const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };
  let runtimeBase = '';
  let config: ImageConfig;
  let size = 0;
  let rootfs = '';
  let app: ChildProcess | undefined;

  beforeAll(async () => {
    requireTools();
    // Niced: compiling better-sqlite3 must not starve tests running beside this one of CPU.
    const [buildBase, runtime] = (await run('nice', ['-n', '19', ASSEMBLE_BASES], 300_000)).trim().split('\n').at(-1)!.split(' ');
    runtimeBase = runtime!;
    const revision = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
    // --isolation chroot: RUN steps without an OCI runtime (refused here); --format docker keeps HEALTHCHECK,
    // which the OCI image format has no field for.
    mkdirSync(dirname(BUILD_LOCK), { recursive: true });
    await run(
      'flock',
      [BUILD_LOCK, 'nice', '-n', '19', 'podman', 'build', '--isolation', 'chroot', '--format', 'docker', '--build-arg', `BUILD_IMAGE=${buildBase}`, '--build-arg', `RUNTIME_IMAGE=${runtimeBase}`,
        '--build-arg', `VERSION=${packageJson.version}`, '--build-arg', `REVISION=${revision}`, '--tag', tag, '.'],
      480_000,
    );
    const [image] = JSON.parse(await run('podman', ['image', 'inspect', tag])) as [{ Config: ImageConfig; Healthcheck?: ImageConfig['Healthcheck']; Size: number }];
    // podman reports HEALTHCHECK beside the OCI configuration, which has no field for it.
    config = { ...image.Config, Healthcheck: image.Config.Healthcheck ?? image.Healthcheck };
    size = image.Size;
    await run('podman', ['create', '--name', container, tag]);
    rootfs = (await run('podman', ['mount', container])).trim();
  }, 780_000);

  afterAll(async () => {
    if (app?.exitCode === null) app.kill('SIGKILL');
    await run('podman', ['rm', '--force', container]).catch(() => undefined);
    await run('podman', ['rmi', '--force', tag]).catch(() => undefined);
  });

  const env = () => Object.fromEntries(config.Env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  const file = (path: string) => join(rootfs, path);

  it('runs as a user of its own, which owns the SQLite directory and not the code', () => {
    expect(config.User).toMatch(/^\d+:\d+$/);
    const [uid, gid] = config.User.split(':').map(Number);
    expect(uid).not.toBe(0);
    expect(readFileSync(file('/etc/passwd'), 'utf8')).toContain(`cleave:x:${uid}:${gid}:`);
    expect(env().CLEAVE_DATA_DIR).toBe('/app/data');
    expect(statSync(file('/app/data'))).toMatchObject({ uid, gid });
    for (const path of ['/app/dist/apps/cleave/src/main.js', '/app/node_modules', '/app/package.json']) expect(statSync(file(path)).uid, path).toBe(0);
  });

  it('is set up for production, listening on every interface, its node started directly', () => {
    expect(env()).toMatchObject({ NODE_ENV: 'production', NODE_OPTIONS: '--max-semi-space-size=16', HOST: '0.0.0.0', PORT: '3000', CLEAVE_MANAGEMENT_HOST: '0.0.0.0', CLEAVE_MANAGEMENT_PORT: '9464' });
    expect(Object.keys(config.ExposedPorts).sort()).toEqual(['3000/tcp', '9464/tcp']);
    // Exec form: node is PID 1 and gets the runtime's SIGTERM, no shell in between.
    expect(config.WorkingDir).toBe('/app');
    expect(config.Entrypoint).toEqual(['node']);
    expect(config.Cmd).toEqual(['dist/apps/cleave/src/main.js']);
    expect(config.Labels).toMatchObject({
      'org.opencontainers.image.title': 'cleave',
      'org.opencontainers.image.licenses': 'MIT',
      'org.opencontainers.image.version': packageJson.version,
      'org.opencontainers.image.base.name': runtimeBase,
    });
  });

  it('checks its health by readiness on the management port', () => {
    const check = config.Healthcheck!;
    expect(check.Test[0]).toBe('CMD');
    expect(check.Test.slice(1, 3)).toEqual(['node', '-e']);
    expect(check.Test[3]).toMatch(/127\.0\.0\.1.*CLEAVE_MANAGEMENT_PORT.*\/readyz/);
    expect(check.Timeout).toBeLessThan(check.Interval);
    expect(check.StartPeriod).toBeGreaterThanOrEqual(30e9);
  });

  it('holds the compiled app and its production dependencies, and nothing else of the repository', () => {
    expect(readdirSync(file('/app')).sort()).toEqual(['data', 'dist', 'node_modules', 'package.json']);
    expect(readdirSync(file('/app/dist')).sort()).toEqual(['apps', 'libs']);
    expect(existsSync(file('/app/dist/apps/cleave/src/main.js'))).toBe(true);
    expect(existsSync(file('/app/dist/apps/cleave/src/cli/migrate.js'))).toBe(true);
    const compiled = readdirSync(file('/app/dist'), { recursive: true, encoding: 'utf8' });
    expect(compiled.filter((f) => f.endsWith('.spec.js') || f.endsWith('.ts'))).toEqual([]);
    expect(readdirSync(file('/app/data'))).toEqual([]);
  });

  it('has no dev dependency and every production one', () => {
    for (const name of ['vitest', 'typescript', '@swc/core', '@swc/cli', 'dependency-cruiser', '@nestjs/testing']) expect(existsSync(file(`/app/node_modules/${name}`)), name).toBe(false);
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean; devOptional?: boolean; optional?: boolean; peer?: boolean }>;
    };
    const entries = Object.entries(lock.packages).filter(([path]) => path.startsWith('node_modules/'));
    const present = entries.filter(([path]) => existsSync(file(`/app/${path}/package.json`))).map(([path]) => path);
    expect(present.filter((path) => lock.packages[path]!.dev || lock.packages[path]!.devOptional)).toEqual([]);
    const production = entries.filter(([, p]) => !p.dev && !p.devOptional && !p.optional && !p.peer).map(([path]) => path);
    expect(production.filter((path) => !present.includes(path))).toEqual([]);
    for (const name of Object.keys(packageJson.dependencies)) expect(present, name).toContain(`node_modules/${name}`);
  });

  it('carries no repository metadata, local settings or keys', () => {
    const everything = readdirSync(file('/app'), { recursive: true, encoding: 'utf8' });
    const leaks = everything.filter((f) => /(^|\/)(\.git|\.env[^/]*|\.npmrc|[^/]*\.(pem|key|p12|pfx|creds|nk))$/.test(f) || /^(test|bench|docs|\.ci)(\/|$)/.test(f));
    expect(leaks).toEqual([]);
    expect(existsSync(file('/root/.npm'))).toBe(false);
  });

  it("has better-sqlite3 built for the image's own Node", async () => {
    expect(existsSync(file('/app/node_modules/better-sqlite3/build/Release/better_sqlite3.node'))).toBe(true);
    const [command, ...args] = inImage(rootfs, config, {}, [
      'node', '-e', "const D = require('better-sqlite3'); console.log(process.versions.node, process.versions.modules, new D(':memory:').prepare('select 1 + 1 as two').get().two)",
    ]);
    const [node, abi, two] = (await run(command!, args)).trim().split(' ');
    expect(node).toMatch(/^24\./);
    expect(abi).toBe('137');
    expect(two).toBe('2');
  });

  it(`stays under ${MAX_IMAGE_MB} MB, of which its own layers under ${MAX_ADDED_MB} MB`, async () => {
    const [base] = JSON.parse(await run('podman', ['image', 'inspect', runtimeBase])) as [{ Size: number }];
    expect(size / 1e6).toBeLessThan(MAX_IMAGE_MB);
    expect((size - base.Size) / 1e6).toBeLessThan(MAX_ADDED_MB);
  });

  it('boots as PID 1 with the production settings, is healthy once ready, unhealthy while draining, and exits 0 on SIGTERM', async () => {
    const managementPort = String(await freePort());
    const settings = {
      PORT: '0',
      CLEAVE_MANAGEMENT_PORT: managementPort,
      // NODE_ENV=production refuses the development credentials.
      CLEAVE_NETWORK_SECRET: randomBytes(24).toString('hex'),
      CLEAVE_ADMIN_SECRET: randomBytes(24).toString('hex'),
      CLEAVE_CARD_PAN_KEY: randomBytes(24).toString('hex'),
      CLEAVE_PASSWORD_HASH_COST: '10',
      CLEAVE_SHUTDOWN_DELAY_MS: '3000',
    };
    const [command, ...args] = ['unshare', '--pid', '--fork', '--kill-child', `--mount-proc=${rootfs}/proc`, ...inImage(rootfs, config, settings, [...config.Entrypoint, ...config.Cmd])];
    app = spawn(command!, args, { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    app.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    app.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => app!.once('exit', (code) => resolve(code)));
    await eventually(async () => output.includes('ready: hosting') || app!.exitCode !== null, Boolean, 60_000);
    expect(output).toContain('ready: hosting gateway, identity, accounts, ledger, cards, feed, webhooks, all in-process');

    // unshare's child is the app: chroot and env exec into node, PID 1 where it is.
    const node = Number(readFileSync(`/proc/${app.pid}/task/${app.pid}/children`, 'utf8').trim());
    expect(readFileSync(`/proc/${node}/status`, 'utf8')).toMatch(/^NSpid:\s+\d+\s+1$/m);

    const [checkCommand, ...checkArgs] = inImage(rootfs, config, settings, config.Healthcheck!.Test.slice(1));
    const healthCheck = () => new Promise<number | null>((resolve) => spawn(checkCommand!, checkArgs, { env: ENV, stdio: 'ignore' }).once('exit', resolve));
    expect(await healthCheck()).toBe(0);
    // The management port answers beyond loopback (CLEAVE_MANAGEMENT_HOST=0.0.0.0), where a prober would come from.
    const external = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal);
    if (external) expect((await fetch(`http://${external.address}:${managementPort}/readyz`)).status).toBe(200);

    process.kill(node, 'SIGTERM');
    await eventually(healthCheck, (code) => code !== 0, 2_500);
    expect(await exited, output.slice(-3_000)).toBe(0);
    expect(output).toContain('SIGTERM: draining');
  }, 90_000);
});
