import { Logger } from '@nestjs/common';
import { describe, expect, it, vi } from 'vitest';
import { PeriodicJob } from '../src/jobs/periodic-job';

/** A pass that runs until released, recording when it starts and ends. */
function gatedPass(events: string[]) {
  let release: () => void = () => undefined;
  let n = 0;
  return {
    pass: async () => {
      const id = ++n;
      events.push(`start ${id}`);
      await new Promise<void>((resolve) => (release = resolve));
      events.push(`end ${id}`);
    },
    release: () => release(),
  };
}

describe('a periodic job', () => {
  it('runs one pass at a time: a pass asked for while one runs waits for it', async () => {
    const events: string[] = [];
    const gate = gatedPass(events);
    const job = new PeriodicJob('test', 60_000, gate.pass, new Logger('test'));
    const first = job.run();
    const second = job.run();
    await vi.waitFor(() => expect(events).toEqual(['start 1']));
    gate.release();
    await first;
    await vi.waitFor(() => expect(events).toEqual(['start 1', 'end 1', 'start 2']));
    gate.release();
    await second;
    expect(events).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('runs a pass when woken, and wakes that arrive during a pass make one more pass after it', async () => {
    const events: string[] = [];
    const gate = gatedPass(events);
    const job = new PeriodicJob('test', 60_000, gate.pass, new Logger('test'));
    job.wake();
    await vi.waitFor(() => expect(events).toEqual(['start 1']));
    expect(job.busy).toBe(true);
    for (let i = 0; i < 5; i++) job.wake();
    gate.release();
    await vi.waitFor(() => expect(events).toEqual(['start 1', 'end 1', 'start 2']));
    gate.release();
    await vi.waitFor(() => expect(job.busy).toBe(false));
    expect(events).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
    await job.stop();
    job.wake();
    expect(job.busy).toBe(false);
  });

  it('lets a failed pass fail its caller without stopping the passes after it', async () => {
    const job = new PeriodicJob('test', 60_000, async () => 'ok', new Logger('test'));
    await expect(job.run(async () => Promise.reject(new Error('database away')))).rejects.toThrow('database away');
    await expect(job.run()).resolves.toBe('ok');
  });

  it('stops only once the pass in hand is done, and its timer runs passes and logs their failures', async () => {
    vi.useFakeTimers();
    try {
      const warned: string[] = [];
      const log = { warn: (message: string) => warned.push(message) } as unknown as Logger;
      let passes = 0;
      const job = new PeriodicJob(
        'expiring holds',
        1_000,
        async () => {
          passes++;
          throw new Error('no database');
        },
        log,
      );
      job.start();
      await vi.advanceTimersByTimeAsync(2_500);
      expect(passes).toBe(2);
      expect(warned).toEqual(['expiring holds failed, will retry: no database', 'expiring holds failed, will retry: no database']);
      await job.stop();
      await vi.advanceTimersByTimeAsync(5_000);
      expect(passes).toBe(2);
    } finally {
      vi.useRealTimers();
    }
    const events: string[] = [];
    const gate = gatedPass(events);
    const job = new PeriodicJob('test', 60_000, gate.pass, new Logger('test'));
    void job.run();
    let stopped = false;
    const stopping = job.stop().then(() => (stopped = true));
    await vi.waitFor(() => expect(events).toEqual(['start 1']));
    expect(stopped).toBe(false);
    gate.release();
    await stopping;
    expect(events).toEqual(['start 1', 'end 1']);
  });
});
