import type { LoggerService } from '@nestjs/common';
import type { Logger } from 'pino';

// Nest's start-up narration: useful when debugging a boot, noise in every other log.
const BOOT_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestMicroservice', 'NestApplication']);

/** Nest's `LoggerService` over the process's pino logger; Nest's own start-up lines move down to debug. */
export class CleaveLogger implements LoggerService {
  constructor(private readonly pino: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    const context = contextOf(rest);
    if (context !== undefined && BOOT_CONTEXTS.has(context)) this.write('debug', message, rest);
    else this.write('info', message, rest);
  }

  error(message: unknown, ...rest: unknown[]): void {
    // A boot that fails is reported once, by whoever started it, with what to fix (and a database that
    // can't be opened is not retried, whatever TypeOrmModule's message says).
    const context = contextOf(rest);
    if (context === 'ExceptionHandler' || (context === 'TypeOrmModule' && String(message).startsWith('Unable to connect'))) return;
    this.write('error', message, rest);
  }

  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }

  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }

  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }

  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal', message: unknown, rest: unknown[]): void {
    if (!this.pino.isLevelEnabled(level)) return;
    const context = contextOf(rest);
    // Nest passes an error's stack before the context: `error(message, stack, context)`.
    const stack = rest.length > 1 && typeof rest[0] === 'string' ? rest[0] : undefined;
    const fields: Record<string, unknown> = context === undefined ? {} : { context };
    if (stack !== undefined) fields.stack = stack;
    if (message instanceof Error) this.pino[level]({ ...fields, err: message }, message.message);
    else if (typeof message === 'object' && message !== null) this.pino[level]({ ...fields, ...(message as object) });
    else this.pino[level](fields, String(message));
  }
}

function contextOf(rest: unknown[]): string | undefined {
  const last = rest[rest.length - 1];
  return typeof last === 'string' ? last : undefined;
}
