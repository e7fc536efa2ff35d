import { RequestMethod, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { currentContext } from '../context/call-context';

/** JSON logs (pino) that carry the trace and request id of the call being handled. */
export function loggingModule(level: string, instanceId: string): DynamicModule {
  return LoggerModule.forRoot({
    pinoHttp: {
      level,
      base: { instance: instanceId },
      messageKey: 'msg',
      mixin() {
        const c = currentContext();
        return c === undefined ? {} : { traceId: c.traceId, spanId: c.spanId, requestId: c.requestId };
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
      autoLogging: level === 'debug' || level === 'trace',
    },
    renameContext: 'context',
    forRoutes: [{ path: '*path', method: RequestMethod.ALL }],
  });
}
