import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Observable } from 'rxjs';
import { runWithContext } from '@cleave/platform';
import { RequestContexts } from './request-contexts';

/** Runs the route handler inside the request's call context, so its bus calls carry it; echoes the request id. */
@Injectable()
export class CallContextInterceptor implements NestInterceptor {
  constructor(private readonly contexts: RequestContexts) {}

  intercept(execution: ExecutionContext, next: CallHandler): Observable<unknown> {
    const context = this.contexts.of(execution);
    void execution.switchToHttp().getResponse<FastifyReply>().header('x-request-id', context.requestId);
    return new Observable((subscriber) => runWithContext(context, () => next.handle().subscribe(subscriber)));
  }
}
