import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCleaveApp, loadCleaveConfig, type CleaveApp, type CleaveDeployment } from '@cleave/platform';
import { ServiceProcess } from '../../apps/cleave/src/launcher/service-process';
import { NatsServerProcess } from './nats-server';

/** The three shapes every cross-mode case runs under (Weaver's "all runners"). */
export type PlacementName = 'in-process' | 'split' | 'hybrid';

/** A deployment started for a test: some contexts in the test's process, the rest in child processes. */
export interface TopologySpec {
  readonly deployment: CleaveDeployment;
  /** The compiled entry point children run. */
  readonly entry: string;
  /** CLEAVE_SERVICES of the test's own process. */
  readonly local: string;
  readonly children: ReadonlyArray<{ readonly services: string; readonly instance: string }>;
  /** Extra environment for every process (database URLs and such). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface RunningTopology {
  readonly app: CleaveApp;
  readonly nats?: NatsServerProcess;
  readonly prefix: string;
  readonly processes: readonly ServiceProcess[];
  readonly dataDir: string;
  stop(): Promise<void>;
}

/**
 * Starts a topology. Anything with a child process gets a nats-server of its own on a free port and a
 * subject prefix of its own, so runs never collide; SQLite files go to a temporary directory.
 */
export async function startTopology(spec: TopologySpec): Promise<RunningTopology> {
  const prefix = `t${randomBytes(6).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'cleave-data-'));
  const nats = spec.children.length > 0 ? await NatsServerProcess.start() : undefined;
  const env = (services: string, instance: string): Record<string, string | undefined> => ({
    CLEAVE_SERVICES: services,
    CLEAVE_INSTANCE_ID: instance,
    CLEAVE_NATS_PREFIX: prefix,
    CLEAVE_DATA_DIR: dataDir,
    NATS_URL: nats?.url,
    LOG_LEVEL: process.env.CLEAVE_TEST_LOG_LEVEL ?? 'error',
    PORT: '0',
    CLEAVE_MANAGEMENT_PORT: '0',
    ...spec.env,
  });
  const processes = spec.children.map(
    ({ services, instance }) => new ServiceProcess({ label: instance, entry: spec.entry, env: env(services, instance) }),
  );
  let app: CleaveApp;
  try {
    await Promise.all(processes.map((p) => p.start()));
    const config = loadCleaveConfig({
      CLEAVE_MANAGEMENT_PORT: '0',
      ...env(spec.local, 'test'),
      CLEAVE_TRANSPORT: nats ? 'auto' : 'in-process',
    });
    app = await createCleaveApp(spec.deployment, config);
  } catch (error) {
    await Promise.all(processes.map((p) => p.stop()));
    await nats?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    app,
    nats,
    prefix,
    processes,
    dataDir,
    async stop() {
      await app.close();
      await Promise.all(processes.map((p) => p.stop()));
      await nats?.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
