import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const LAUNCHER = fileURLToPath(new URL('../../dist/apps/cleave/src/launcher/start-split.js', import.meta.url));

/** `npm run start:split` as a child process: its output gathered, waited on until it says it is ready. */
export class SplitLauncher {
  output = '';
  readonly exited: Promise<number | null>;

  private constructor(readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
  }

  /** `detached`: in a process group of its own, as a terminal runs it (Ctrl-C there signals the whole group). */
  static async start(
    args: readonly string[],
    env: NodeJS.ProcessEnv,
    options: { readyWithinMs: number; detached?: boolean },
  ): Promise<SplitLauncher> {
    const launcher = new SplitLauncher(
      spawn(process.execPath, [LAUNCHER, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: options.detached ?? false }),
    );
    const deadline = Date.now() + options.readyWithinMs;
    while (!launcher.output.includes('processes ready')) {
      if (launcher.child.exitCode !== null || Date.now() > deadline) throw new Error(`launcher did not get ready:\n${launcher.output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return launcher;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** SIGTERM, not SIGKILL: the launcher then stops its children rather than orphaning them. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.child.kill('SIGTERM');
    await this.exited;
  }
}
