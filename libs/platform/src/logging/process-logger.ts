import pino, { type Logger } from 'pino';
import { currentContext } from '../context/call-context';

/**
 * The process's one pino logger: JSON lines carrying the instance and, inside a call, its trace, span and
 * request id. Nest's own messages, HTTP access lines and failed boots all go through it, so every line a
 * Cleave process writes has the same shape.
 */
export function processLogger(level: string, instanceId: string, destination: 1 | 2 = 1): Logger {
  return pino(
    {
      level,
      base: { instance: instanceId },
      messageKey: 'msg',
      mixin() {
        const c = currentContext();
        return c === undefined ? {} : { trace_id: c.traceId, span_id: c.spanId, request_id: c.requestId };
      },
      // Tokens, passwords and card numbers never reach logs.
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'req.headers["x-network-secret"]',
          '*.password',
          '*.access_token',
          '*.refresh_token',
          '*.pan',
        ],
        censor: '[redacted]',
      },
    },
    pino.destination({ fd: destination, sync: destination === 2 }),
  );
}
