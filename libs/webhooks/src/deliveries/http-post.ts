import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';

/** More of a receiver's answer than any acknowledgement needs. */
const MAX_BODY_BYTES = 64 * 1024;

/** What a receiver answered. */
export interface PostResult {
  readonly statusCode: number;
}

/**
 * POSTs a body and resolves with the status once the answer is read, or rejects on a network error or when
 * the whole exchange takes longer than `timeoutMs`. Redirects are not followed (a 3xx is a failed try):
 * following one would reach an address the guard never saw. node:http rather than fetch because only it
 * takes a `lookup`, which is what pins the connection to the addresses the guard checked.
 */
export function postJson(
  url: URL,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  lookup?: LookupFunction,
): Promise<PostResult> {
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
        lookup,
      },
      (response) => {
        const answered = () => {
          clearTimeout(timer);
          resolve({ statusCode: response.statusCode ?? 0 });
        };
        // The status is the answer; a body is read only so the connection can end cleanly, and a receiver
        // streaming gigabytes is cut off rather than paid for in this process's CPU.
        let read = 0;
        response.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_BODY_BYTES) {
            answered();
            response.destroy();
          }
        });
        response.on('end', answered);
        response.on('error', fail);
      },
    );
    const timer = setTimeout(() => request.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    function fail(error: Error) {
      clearTimeout(timer);
      reject(error);
    }
    request.on('error', fail);
    request.end(body);
  });
}
