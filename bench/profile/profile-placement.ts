// `npm run bench:profile -- <placement> [seconds]`: one placement under closed-loop authorisations, every
// process profiled (V8's --cpu-prof, inherited by the children this forks), a flame graph per process of
// the measured seconds, and CPU per authorisation per process printed. Profiling slows everything down by a
// fifth or so: compare profiles with profiles, and take figures from `npm run bench`.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NatsServerProcess } from '../../test/support/nats-server';
import type { LoadResult } from '../bank/load-generator';
import { PLACEMENTS, runLoad, seedBank, startPlacement } from '../bank/placements';
import { cpuSeconds } from '../bank/process-metrics';
import { fold, render, steps } from './flamegraph';

const [id = 'monolith-sqlite', seconds = '8'] = process.argv.slice(2);
const spec = PLACEMENTS.find((p) => p.id === id && !p.floor);
const dirFlag = process.execArgv.find((a) => a.startsWith('--cpu-prof-dir='));
if (!spec || !dirFlag) {
  console.error(
    `usage: node --cpu-prof --cpu-prof-dir=<dir> dist/bench/profile/profile-placement.js <placement> [seconds]; placements: ${PLACEMENTS.filter(
      (p) => !p.floor,
    )
      .map((p) => p.id)
      .join(', ')}`,
  );
  process.exit(2);
}
const dir = dirFlag.slice('--cpu-prof-dir='.length);
mkdirSync(dir, { recursive: true });
const before = new Set(readdirSync(dir));

const nats = await NatsServerProcess.start({ monitoring: true });
const placement = await startPlacement(spec, nats.url);
const seed = await seedBank(placement.url, 30, 3);
const load = (durationMs: number) =>
  runLoad<LoadResult>({ url: placement.url, seed, workload: 'auth', mode: 'closed', connections: 32, durationMs, warmupMs: 0 });
// Warmed up first, so the profile's last seconds are the steady state.
await load(3_000);
const cpuBefore = placement.processes.map((p) => cpuSeconds(p.pid) ?? 0);
const { result } = await load(Number(seconds) * 1_000);
const cpuAfter = placement.processes.map((p) => cpuSeconds(p.pid) ?? 0);
const names = new Map(placement.processes.map((p) => [p.pid, p.name]));
await placement.stop();
await nats.dispose();

console.log(`${spec.id}: ${Math.round(result.throughput)} authorisations/s under the profiler, ${result.answered} answered`);
placement.processes.forEach((p, i) =>
  console.log(`  ${p.name.padEnd(12)} ${(((cpuAfter[i]! - cpuBefore[i]!) / result.answered) * 1_000).toFixed(2)} ms CPU per authorisation`),
);
// V8 writes CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile as each process exits.
for (const file of readdirSync(dir).filter((f) => !before.has(f) && f.endsWith('.cpuprofile'))) {
  const [pid, thread] = [Number(file.split('.')[3]), file.split('.')[4]];
  const processName = names.get(pid);
  if (!processName) {
    rmSync(join(dir, file));
    continue;
  }
  // A worker thread (SQLite's checkpoints) writes a profile of its own under the same pid.
  const worker = thread !== '0';
  const name = worker ? `${processName}-worker${thread}` : processName;
  const target = join(dir, `${spec.id}-${name}.cpuprofile`);
  renameSync(join(dir, file), target);
  const svg = join(dir, `${spec.id}-${name}.svg`);
  const profile = JSON.parse(readFileSync(target, 'utf8'));
  writeFileSync(svg, render(fold(profile, Number(seconds)), `${spec.id}: ${name}, closed-loop authorisations`));
  console.log(`  ${svg}`);
  if (worker) {
    // The process's CPU counts its threads together, so a worker's steps are given as shares of its own samples.
    for (const { step, share } of steps(profile, Number(seconds)))
      console.log(`    ${step.padEnd(52)} ${(share * 100).toFixed(1).padStart(5)}%`);
    continue;
  }
  // µs per authorisation, by step: the profile's share of the process's measured CPU.
  const index = placement.processes.findIndex((p) => p.pid === pid);
  const perAuthorisationUs = ((cpuAfter[index]! - cpuBefore[index]!) / result.answered) * 1e6;
  for (const { step, share } of steps(profile, Number(seconds)))
    console.log(
      `    ${step.padEnd(52)} ${(share * 100).toFixed(1).padStart(5)}%  ${Math.round(share * perAuthorisationUs)
        .toString()
        .padStart(5)} µs`,
    );
}
