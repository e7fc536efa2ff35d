import { spawnSync } from 'node:child_process';
import { cpus, totalmem, release, platform } from 'node:os';

/** What a benchmark ran on, for its report: figures only compare within one machine and one run. */
export interface MachineDescription {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly natsServer: string;
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
  };
}
