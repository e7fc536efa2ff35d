import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Observable } from 'rxjs';
import { runWithContext } from '@cleave/platform';
import type { GatewayRequest } from './request-context.guard';

/** Runs the route handler inside the request's call context, so its bus calls carry it; echoes the request id. */
@Injectable()
export class CallContextInterceptor implements NestInterceptor {
  intercept(execution: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = execution.switchToHttp().getRequest<GatewayRequest>();
    void execution.switchToHttp().getResponse<FastifyReply>().header('x-request-id', request.cleave.requestId);
    return new Observable((subscriber) => runWithContext(request.cleave, () => next.handle().subscribe(subscriber)));
  }
}
