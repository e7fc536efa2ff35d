import { applyDecorators, Controller, UseFilters, UseGuards, UseInterceptors, UsePipes, type CanActivate, type Type } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CallContextInterceptor } from './call-context.interceptor';
import { MonzoErrorFilter } from './monzo-error.filter';
import { RequestContextGuard } from './request-context.guard';
import { ApiRateLimitGuard } from './api-rate-limit.guard';
import { gatewayValidationPipe } from './validation.pipe';

/**
 * An HTTP controller of the gateway: authenticated (by default with a customer's token, under the API's
 * rate limit), validated, run in the request's call context. The card network and operators have guards of
 * their own and no rate limit: a payment must never be refused for being one too many.
 */
export const GatewayController = (tag: string, guard: Type<CanActivate> = RequestContextGuard) =>
  applyDecorators(
    Controller(),
    ApiTags(tag),
    ApiBearerAuth(),
    guard === RequestContextGuard ? UseGuards(ApiRateLimitGuard, guard) : UseGuards(guard),
    UseInterceptors(CallContextInterceptor),
    UsePipes(gatewayValidationPipe),
    UseFilters(MonzoErrorFilter),
  );
