import type { IncomingMessage } from 'node:http';
import { RequestMethod, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';
import { httpEntryOf, httpLogFields } from './http-entry';

/**
 * HTTP access lines (pino-http), through the process's logger, at info. Each names its request by the id
 * the client sees in `x-request-id`, and carries the request's trace and span as other lines do.
 */
export function loggingModule(logger: Logger): DynamicModule {
  const withTrace = (request: IncomingMessage, _response: unknown, fields: object) => ({ ...fields, ...httpLogFields(request) });
  return LoggerModule.forRoot({
    pinoHttp: {
      logger,
      autoLogging: true,
      genReqId: (request) => httpEntryOf(request).requestId,
      customSuccessObject: withTrace,
      customErrorObject: (request, response, _error, fields) => withTrace(request, response, fields),
    },
    renameContext: 'context',
    forRoutes: [{ path: '*path', method: RequestMethod.ALL }],
  });
}
