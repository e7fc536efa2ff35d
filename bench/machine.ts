import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, totalmem, release, platform } from 'node:os';

/** What a benchmark ran on, for its report: figures only compare within one machine and one run. */
export interface MachineDescription {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly natsServer: string;
  /** Set when this Node's major version isn't the one the image ships (`.nvmrc`): its figures aren't the product's. */
  readonly nodeMismatch?: string;
}

/**
 * Why figures from this Node don't describe the image, if they don't. Node 20's AsyncLocalStorage runs on
 * promise hooks, which every promise pays for; from Node 24 it doesn't, and Cleave costs ~20% less CPU.
 */
export function nodeMismatch(running = process.version): string | undefined {
  // From bench/ in the source or dist/bench/ when built.
  const shipped = ['../.nvmrc', '../../.nvmrc']
    .map((path) => new URL(path, import.meta.url))
    .filter((url) => existsSync(url))
    .map((url) => readFileSync(url, 'utf8').trim())[0];
  if (shipped === undefined) return undefined;
  if (running.slice(1).split('.')[0] === shipped) return undefined;
  return `run on Node ${running}, not the Node ${shipped} the image ships (.nvmrc): expect different figures (Node 20 costs Cleave ~20% more CPU per request)`;
}

export function describeMachine(natsServerBinary?: string): MachineDescription {
  const natsServer = natsServerBinary ? spawnSync(natsServerBinary, ['--version'], { encoding: 'utf8' }).stdout.trim() : 'n/a';
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${platform()} ${release()}`,
    node: process.version,
    natsServer: natsServer || 'unknown',
    nodeMismatch: nodeMismatch(),
  };
}
