import { applyDecorators, Controller, UseFilters, UseGuards, UseInterceptors, UsePipes, type CanActivate, type Type } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CallContextInterceptor } from './call-context.interceptor';
import { MonzoErrorFilter } from './monzo-error.filter';
import { RequestContextGuard } from './request-context.guard';
import { gatewayValidationPipe } from './validation.pipe';

/**
 * An HTTP controller of the gateway: authenticated (by default with a customer's token), validated, run in
 * the request's call context.
 */
export const GatewayController = (tag: string, guard: Type<CanActivate> = RequestContextGuard) =>
  applyDecorators(
    Controller(),
    ApiTags(tag),
    ApiBearerAuth(),
    UseGuards(guard),
    UseInterceptors(CallContextInterceptor),
    UsePipes(gatewayValidationPipe),
    UseFilters(MonzoErrorFilter),
  );
