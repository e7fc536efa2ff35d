import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { boundedWriter } from '../src/live/bounded-writer';

describe('a stream to a client that stops reading', () => {
  it('writes until more than the limit waits unsent, then gives up on the client instead of buffering', () => {
    // A socket whose peer never reads: nothing written ever leaves.
    const stuck = new Writable({ write: () => undefined });
    let overflowed = 0;
    const send = boundedWriter(stuck, 1_000, () => {
      overflowed++;
      stuck.destroy();
    });
    for (let i = 0; i < 100; i++) send('x'.repeat(100));
    expect(overflowed).toBe(1);
    expect(stuck.writableLength).toBeLessThanOrEqual(1_100);
  });

  it('keeps writing to a client that reads', () => {
    const chunks: string[] = [];
    const reading = new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk.toString());
        done();
      },
    });
    const send = boundedWriter(reading, 1_000, () => expect.unreachable());
    for (let i = 0; i < 100; i++) send('x'.repeat(100));
    expect(chunks.join('')).toHaveLength(10_000);
  });
});
