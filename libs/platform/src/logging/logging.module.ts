import { RequestMethod, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';

/** HTTP access lines (pino-http), through the process's logger, at info. */
export function loggingModule(logger: Logger): DynamicModule {
  return LoggerModule.forRoot({
    pinoHttp: { logger, autoLogging: true },
    renameContext: 'context',
    forRoutes: [{ path: '*path', method: RequestMethod.ALL }],
  });
}
