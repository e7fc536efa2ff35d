import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';

/** Where the nats-server binary is: NATS_SERVER_BIN, the PATH, or Debian's location. */
export function natsServerBinary(): string {
  const candidates = [process.env.NATS_SERVER_BIN, 'nats-server', '/usr/sbin/nats-server', '/usr/bin/nats-server'];
  for (const candidate of candidates) {
    if (!candidate) continue;
    if (candidate.includes('/') ? existsSync(candidate) : spawnSync('which', [candidate]).status === 0) return candidate;
  }
  throw new Error('nats-server not found: install it (apt-get install nats-server) or set NATS_SERVER_BIN');
}

/**
 * A nats-server (with JetStream) of a test's own, on a free port, so the test can stop and restart it
 * without touching anyone else's.
 */
export interface NatsServerOptions {
  /** Serve HTTP monitoring (`/varz`) on a free port. */
  readonly monitoring?: boolean;
  /** An `authorization { … }` block (e.g. from `cleaveNatsAuthorization`) and the environment it reads passwords from. */
  readonly authorization?: { readonly block: string; readonly env: Readonly<Record<string, string>> };
  /** Start without JetStream. */
  readonly noJetStream?: boolean;
}

export class NatsServerProcess {
  private child: ChildProcess | undefined;
  private readonly storeDir = mkdtempSync(join(tmpdir(), 'cleave-nats-'));

  private constructor(
    readonly port: number,
    private readonly options: NatsServerOptions,
    /** The HTTP monitoring port (`/varz`), when asked for. */
    readonly monitorPort?: number,
  ) {}

  static async start(options: NatsServerOptions = {}): Promise<NatsServerProcess> {
    const server = new NatsServerProcess(await freePort(), options, options.monitoring ? await freePort() : undefined);
    await server.start();
    return server;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Messages in and out so far, from the monitoring endpoint. */
  async messageCounts(): Promise<{ in: number; out: number }> {
    const varz = (await (await fetch(`http://127.0.0.1:${this.monitorPort}/varz`)).json()) as { in_msgs: number; out_msgs: number };
    return { in: varz.in_msgs, out: varz.out_msgs };
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const monitoring = this.monitorPort === undefined ? [] : ['-m', String(this.monitorPort)];
    const config = join(this.storeDir, 'nats-server.conf');
    writeFileSync(config, this.options.authorization?.block ?? '');
    const jetstream = this.options.noJetStream ? [] : ['-js', '-sd', join(this.storeDir, 'js')];
    const child = spawn(natsServerBinary(), ['-c', config, '-a', '127.0.0.1', '-p', String(this.port), ...jetstream, ...monitoring], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...this.options.authorization?.env },
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
    this.child = child;
    const deadline = Date.now() + 10_000;
    while (!(await accepts(this.port))) {
      if (child.exitCode !== null) throw new Error(`nats-server exited with ${child.exitCode} on port ${this.port}: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`nats-server did not listen on ${this.port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Replaces the authorization block and has the running server reload its configuration (SIGHUP). */
  async reload(block: string): Promise<void> {
    (this.options as { authorization?: NatsServerOptions['authorization'] }).authorization = {
      block,
      env: this.options.authorization?.env ?? {},
    };
    writeFileSync(join(this.storeDir, 'nats-server.conf'), block);
    this.child?.kill('SIGHUP');
  }

  /** Restarts it with its JetStream store gone, as a broker that lost its disk would come back. */
  async restartEmpty(): Promise<void> {
    await this.stop();
    rmSync(join(this.storeDir, 'js'), { recursive: true, force: true });
    await this.start();
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
