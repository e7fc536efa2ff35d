// Child process: drives one path at one concurrency for a fixed time and reports throughput and latency.
// Args: <path> <natsUrl> <prefix> <concurrency> <durationMs> <warmupMs>.
import { createHistogram, performance } from 'node:perf_hooks';
import { Logger } from '@nestjs/common';
import { pathById } from './paths';

// The benchmark's own output is the report; Nest's client logs its connection status otherwise.
Logger.overrideLogger(false);

export interface Measurement {
  readonly ops: number;
  readonly seconds: number;
  readonly opsPerSecond: number;
  readonly p50us: number;
  readonly p99us: number;
  readonly errors: number;
  readonly cpuSeconds: number;
}

const [pathId, natsUrl, prefix, concurrencyArg, durationArg, warmupArg] = process.argv.slice(2) as string[];
const concurrency = Number(concurrencyArg);
const caller = await pathById(pathId!).caller({ natsUrl: natsUrl!, prefix: prefix! });

async function drive(ms: number, record: boolean) {
  const histogram = createHistogram();
  let ops = 0;
  let errors = 0;
  const end = performance.now() + ms;
  const worker = async () => {
    while (performance.now() < end) {
      const started = performance.now();
      try {
        await caller.call();
        if (record) histogram.record(Math.max(1, Math.round((performance.now() - started) * 1e6)));
        ops++;
      } catch {
        errors++;
      }
    }
  };
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { ops, errors, seconds, histogram, cpuSeconds: (used.user + used.system) / 1e6 };
}

await drive(Number(warmupArg), false);
const run = await drive(Number(durationArg), true);
const result: Measurement = {
  ops: run.ops,
  seconds: run.seconds,
  opsPerSecond: run.ops / run.seconds,
  // Recorded in nanoseconds.
  p50us: run.histogram.percentile(50) / 1000,
  p99us: run.histogram.percentile(99) / 1000,
  errors: run.errors,
  cpuSeconds: run.cpuSeconds,
};
await caller.close();
process.send?.({ type: 'result', result }, () => process.exit(0));
