import { fork, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { ReadyMessage } from '../run-cleave';

/** One Cleave process to run: which script, under which name, with which environment. */
export interface ServiceProcessSpec {
  /** Names the process in prefixed logs, e.g. `ledger-2`. */
  readonly label: string;
  /** The compiled entry point to run with node. */
  readonly entry: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** How many of its last output lines to keep (default 200). */
  readonly keepLines?: number;
  /**
   * In a process group of its own, so a terminal's Ctrl-C reaches only the parent, which then stops its
   * children one by one, each with a single signal. (A child still stops if the parent dies: it watches IPC.)
   */
  readonly ownProcessGroup?: boolean;
  /** Start from the parent's environment, `env` on top (default); false runs with `env` alone. */
  readonly inheritEnvironment?: boolean;
}

/** Receives each line a process writes. */
export type LineSink = (label: string, line: string, stream: 'stdout' | 'stderr') => void;

const KEPT_LINES = 200;

/**
 * The cap on V8's young generation a Cleave process runs with. From Node 22 V8 sizes its semi-spaces from
 * the machine's memory (64 MiB each on a 24 GiB host, 16 MiB before), and a process serving requests fills
 * them and keeps them: ~80 MiB more resident per process, for no CPU the benchmark could measure. 8 MiB
 * cost CPU (more objects promoted), so 16, Node 20's default.
 */
export const YOUNG_GENERATION_FLAG = '--max-semi-space-size=16';

/** The Node options for a child: the parent's, and the young generation's cap unless they set one. */
export function childNodeArguments(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  const setsItself = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].some((arg) =>
    arg.replace(/_/g, '-').startsWith('--max-semi-space-size'),
  );
  return setsItself ? [...execArgv] : [YOUNG_GENERATION_FLAG, ...execArgv];
}

/**
 * A child Cleave process: started, waited on until it reports ready over IPC, and stopped with SIGTERM
 * (its graceful drain), then SIGKILL if it hangs.
 */
export class ServiceProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);
  private readonly lines: string[] = [];
  private ready: ReadyMessage | undefined;

  constructor(
    readonly spec: ServiceProcessSpec,
    private readonly sink?: LineSink,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** What the process reported when it became ready. */
  get readyMessage(): ReadyMessage | undefined {
    return this.ready;
  }

  /** The last lines it wrote, for error messages. */
  recentOutput(): string {
    return this.lines.join('\n');
  }

  /** Starts the process and resolves once it serves; rejects, with its output, if it exits or stalls first. */
  start(readyTimeoutMs = 30_000): Promise<void> {
    const env = this.spec.inheritEnvironment === false ? { ...this.spec.env } : { ...process.env, ...this.spec.env };
    const child = fork(this.spec.entry, [], {
      env,
      execArgv: childNodeArguments(process.execArgv, env.NODE_OPTIONS),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      detached: this.spec.ownProcessGroup === true,
    });
    this.child = child;
    for (const stream of ['stdout', 'stderr'] as const) {
      createInterface({ input: child[stream]! }).on('line', (line) => {
        this.lines.push(line);
        if (this.lines.length > (this.spec.keepLines ?? KEPT_LINES)) this.lines.shift();
        this.sink?.(this.spec.label, line, stream);
      });
    }
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        fail(new Error(`${this.spec.label} did not become ready within ${readyTimeoutMs} ms`));
        child.kill('SIGKILL');
      }, readyTimeoutMs);
      const onMessage = (message: unknown) => {
        if ((message as ReadyMessage | undefined)?.type !== 'cleave:ready') return;
        this.ready = message as ReadyMessage;
        cleanup();
        resolve();
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
        fail(new Error(`${this.spec.label} exited (${signal ?? `code ${code}`}) before it was ready`));
      const fail = (error: Error) => {
        cleanup();
        // Let the last lines arrive before quoting them.
        setTimeout(() => reject(new Error(`${error.message}\n--- ${this.spec.label} output ---\n${this.recentOutput()}`)), 100);
      };
      const cleanup = () => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  }

  /** Resolves with the exit code when the process ends by itself. */
  waitForExit(): Promise<number | null> {
    return this.exited;
  }

  /** Asks the process to drain and stop; kills it if it has not within `timeoutMs`. */
  async stop(timeoutMs = 10_000): Promise<number | null> {
    const child = this.child;
    if (!child || !this.running) return this.exited;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills the process at once, as a crash would. */
  async kill(): Promise<number | null> {
    this.child?.kill('SIGKILL');
    return this.exited;
  }
}
