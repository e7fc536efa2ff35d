import type { Writable } from 'node:stream';

/**
 * Writes to a long-lived response whose client may stop reading: once more than `limitBytes` wait unsent,
 * `overflow` is called instead of writing (a stream that buffered for a client gone quiet grew without
 * bound, ~3.7 MB each in a drill). Returns the write function.
 */
export function boundedWriter(out: Writable, limitBytes: number, overflow: () => void): (chunk: string) => void {
  return (chunk) => {
    if (out.destroyed || out.writableEnded) return;
    if (out.writableLength > limitBytes) return overflow();
    out.write(chunk);
  };
}
