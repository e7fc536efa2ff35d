import { Logger } from '@nestjs/common';
import { hostname } from 'node:os';
import {
  ConfigurationError,
  createCleaveApp,
  loadCleaveConfig,
  processLogger,
  type CleaveApp,
  type CleaveDeployment,
} from '@cleave/platform';

/** The message a process sends its parent (the split launcher, a test) once it serves. */
export interface ReadyMessage {
  readonly type: 'cleave:ready';
  readonly pid: number;
  readonly instance: string;
  readonly services: readonly string[];
  /** Where the HTTP API listens, if this process serves it. */
  readonly httpUrl?: string;
  /** Where `/healthz`, `/readyz` and `/metrics` answer, unless the management port is off. */
  readonly managementUrl?: string;
}

/**
 * SIGTERM or SIGINT drains the process (stop taking requests, finish those in hand, close NATS and the
 * databases) and exits 0; a second signal exits at once. Nest's own shutdown hooks would re-raise the
 * signal after closing, which launchers and orchestrators read as a crash.
 */
function stopOnSignals(cleave: CleaveApp): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals | 'disconnect') => {
    if (stopping) process.exit(1);
    stopping = true;
    new Logger('Cleave').log(`${signal}: draining`);
    cleave.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`cleave: shutdown failed: ${(error as Error).stack ?? String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Started by a launcher or a test over IPC: if the parent dies, don't live on as an orphan.
  if (process.connected) process.once('disconnect', () => stop('disconnect'));
}

/** EX_CONFIG from sysexits.h: the process was configured wrongly and retrying won't help. */
const EXIT_CONFIG = 78;

/**
 * Boots a Cleave process from its environment: the one start-up path of the monolith, every split service
 * and every hybrid. A bad setting stops it with a message naming the variable.
 */
export async function runCleave(deployment: CleaveDeployment, env: NodeJS.ProcessEnv = process.env): Promise<CleaveApp> {
  let cleave: CleaveApp;
  let instance = env.CLEAVE_INSTANCE_ID ?? `${hostname()}-${process.pid}`;
  try {
    const config = loadCleaveConfig(env);
    instance = config.instanceId;
    cleave = await createCleaveApp(deployment, config);
  } catch (error) {
    // One JSON line on stderr, saying what to fix: a configuration error names its variable.
    const configuration = error instanceof ConfigurationError;
    processLogger('fatal', instance, 2).fatal(
      { context: 'Cleave', ...(configuration ? {} : { err: error }) },
      `cannot start: ${configuration ? error.message : ((error as Error).message ?? String(error))}`,
    );
    process.exit(configuration ? EXIT_CONFIG : 1);
  }
  stopOnSignals(cleave);
  // A promise nothing waited on failed: a bug. Say so as a log line like any other, then stop (as Node would).
  process.on('unhandledRejection', (reason) => {
    processLogger('fatal', instance, 2).fatal(
      { context: 'Cleave', err: reason },
      `unhandled rejection: ${(reason as Error)?.message ?? String(reason)}`,
    );
    process.exit(1);
  });
  const services = [...cleave.placement.hosted];
  new Logger('Cleave').log(
    `ready: hosting ${services.join(', ') || 'nothing'}${cleave.placement.nats ? ', NATS for the rest' : ', all in-process'}${cleave.httpUrl ? `; HTTP on ${cleave.httpUrl}` : ''}${cleave.managementUrl ? `; health and metrics on ${cleave.managementUrl}` : ''}`,
  );
  const ready: ReadyMessage = {
    type: 'cleave:ready',
    pid: process.pid,
    instance: env.CLEAVE_INSTANCE_ID ?? '',
    services,
    httpUrl: cleave.httpUrl,
    managementUrl: cleave.managementUrl,
  };
  process.send?.(ready);
  return cleave;
}
