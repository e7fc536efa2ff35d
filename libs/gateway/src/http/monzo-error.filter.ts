import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { GatewayErrors, IdentityErrors, PlatformErrors, type ErrorCode, type ErrorReason, type FieldViolation } from '@cleave/contracts';
import { CleaveError, HTTP_STATUS, markNotServed, noteFailure, toCleaveError } from '@cleave/platform';

// Monzo's error code prefixes, which set the status.
const MONZO_PREFIX: Readonly<Record<ErrorCode, string>> = {
  bad_request: 'bad_request',
  unauthenticated: 'unauthorized',
  forbidden: 'forbidden',
  not_found: 'not_found',
  conflict: 'conflict',
  precondition_failed: 'precondition_failed',
  rate_limited: 'too_many_requests',
  timeout: 'gateway_timeout',
  unavailable: 'service_unavailable',
  internal: 'internal_service',
};

const FROM_HTTP_STATUS: Readonly<Record<number, ErrorCode>> = {
  400: 'bad_request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  405: 'bad_request',
  409: 'conflict',
  412: 'precondition_failed',
  413: 'bad_request',
  415: 'bad_request',
  429: 'rate_limited',
};

/** Monzo's JSON for an error: `{code, message}` with a dotted code, the failing fields and a retry hint. */
export function monzoErrorBody(error: CleaveError): Record<string, unknown> {
  const prefix = MONZO_PREFIX[error.code];
  const fields = error.details?.fields;
  return {
    code: error.reason ? `${prefix}.${error.reason}` : prefix,
    message: cut(publicMessage(error), MAX_ECHOED_MESSAGE),
    ...(fields ? { params: paramsOf(fields) } : {}),
    ...(error.details?.retryAfterSeconds ? { retry_after: error.details.retryAfterSeconds } : {}),
  };
}

// This gateway's own refusals, worded for its clients.
const OWN_REFUSALS = new Set<string | undefined>([GatewayErrors.shuttingDown.reason, GatewayErrors.notReady.reason]);

/**
 * What the client is told of a failure. A fault, or a context late or away, names no part of the bank (a
 * pattern, a context, a database's own error with its address): the access line keeps that for the operator.
 */
function publicMessage(error: CleaveError): string {
  if (error.code === 'internal') return 'An internal error occurred';
  if (error.code === 'timeout') return 'the request did not finish in time';
  if (error.code !== 'unavailable' || OWN_REFUSALS.has(error.reason)) return error.message;
  if (error.is(PlatformErrors.overloaded)) return 'the bank is busy; retry the request shortly';
  return 'a part of the bank this request needs is unavailable; retry the request shortly';
}

// An error repeats the client's own field names back: a 900 KB key came back three times in a 2.7 MB answer.
const MAX_ECHOED_FIELD = 100;
const MAX_ECHOED_MESSAGE = 1_000;
const MAX_PARAMS = 50;

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Each failing field's first violation (its type before its range: `1.5` is "must be an integer", not "too big"). */
function paramsOf(fields: readonly FieldViolation[]): Record<string, string> {
  const params = new Map<string, string>();
  for (const f of fields.slice(0, MAX_PARAMS)) {
    const field = cut(f.field, MAX_ECHOED_FIELD);
    if (!params.has(field)) params.set(field, cut(f.message, MAX_ECHOED_MESSAGE));
  }
  // fromEntries defines each key as its own property, `__proto__` included.
  return Object.fromEntries(params);
}

// How the HTTP layer's own refusals (Nest's and Fastify's, by status or by code) map to the gateway's reasons.
const BY_STATUS: Readonly<Record<number, ErrorReason>> = {
  404: GatewayErrors.unknownRoute,
  413: GatewayErrors.bodyTooLarge,
  415: GatewayErrors.unsupportedMediaType,
};
const BY_FASTIFY_CODE: Readonly<Record<string, readonly [ErrorReason, string]>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [
    GatewayErrors.unsupportedMediaType,
    'send the body as application/x-www-form-urlencoded or application/json',
  ],
  FST_ERR_CTP_BODY_TOO_LARGE: [GatewayErrors.bodyTooLarge, 'the body is too large'],
  FST_ERR_BAD_URL: [GatewayErrors.badUrl, 'the path could not be decoded (a broken percent-encoding)'],
  FST_ERR_MAX_PARAM_LENGTH: [GatewayErrors.badUrl, 'a segment of the path is too long'],
};

const BODY_CODE_BY_STATUS: Readonly<Record<number, string>> = { 413: 'FST_ERR_CTP_BODY_TOO_LARGE', 415: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' };

/** Whatever an HTTP request failed with, as the CleaveError it stands for; nothing internal leaks. */
export function httpFailure(exception: unknown): CleaveError {
  if (exception instanceof CleaveError) return exception;
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    if (status === 404) return CleaveError.of(GatewayErrors.unknownRoute, exception.message);
    // Nest's own refusals before a route runs are of the body: its media type, its size, its syntax.
    const known = BY_FASTIFY_CODE[BODY_CODE_BY_STATUS[status] ?? ''];
    if (known !== undefined) return bodyFailure(known[0], known[1]);
    if (status === 400) return bodyFailure(GatewayErrors.badBody, `the body could not be read: ${exception.message}`);
    return new CleaveError(FROM_HTTP_STATUS[status] ?? (status >= 500 ? 'internal' : 'bad_request'), exception.message);
  }
  // Fastify's own errors (a malformed body, an unsupported content type, say) carry a 4xx statusCode and a code.
  const status = (exception as { statusCode?: number })?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const known = BY_FASTIFY_CODE[(exception as { code?: string }).code ?? ''];
    if (known !== undefined) return bodyFailure(known[0], known[1]);
    const declared = BY_STATUS[status];
    if (declared !== undefined) return bodyFailure(declared, (exception as Error).message);
    return bodyFailure(GatewayErrors.badBody, `the body could not be read: ${(exception as Error).message}`);
  }
  return toCleaveError(exception);
}

/** A refusal of the body as a whole, naming what was wrong with it as its field, as a DTO's refusal would. */
function bodyFailure(reason: ErrorReason, message: string): CleaveError {
  const field = reason === GatewayErrors.unsupportedMediaType ? 'content-type' : reason === GatewayErrors.badUrl ? 'path' : 'body';
  return CleaveError.ofField(reason, { field, rule: reason.reason, message }, message);
}

// Refusals by design, logged as warnings: this process or the one called shedding load, draining, or full of streams.
const BY_DESIGN = new Set<string>([
  PlatformErrors.overloaded.reason,
  GatewayErrors.shuttingDown.reason,
  GatewayErrors.notReady.reason,
  GatewayErrors.streamsFull.reason,
]);

const TOKEN_ENDPOINT = '/oauth2/token';

/**
 * The OAuth error code of a refusal, which OAuth clients (Authlib, say) read rather than Monzo's `code`: RFC
 * 6749 §5.2 at the token endpoint, RFC 6750 §3.1 for a bad access token elsewhere.
 */
function oauthErrorOf(error: CleaveError, atTokenEndpoint: boolean): string | undefined {
  if (!atTokenEndpoint) return error.is(IdentityErrors.badAccessToken) ? 'invalid_token' : undefined;
  if (error.is(IdentityErrors.badClient)) return 'invalid_client';
  if (error.code === 'unauthenticated') return 'invalid_grant';
  if (error.code !== 'bad_request') return undefined;
  return error.details?.fields?.some((f) => f.field === 'grant_type' && f.rule === 'isIn') ? 'unsupported_grant_type' : 'invalid_request';
}

/** Replies with an error in Monzo's shape. */
export function sendMonzoError(reply: FastifyReply, error: CleaveError): void {
  // Out of the time the client asked for is its choice, not the server's fault.
  const clientsDeadline = error.code === 'timeout' && reply.request?.headers['request-timeout-ms'] !== undefined;
  if ((error.reason !== undefined && BY_DESIGN.has(error.reason)) || clientsDeadline) markNotServed(reply.raw);
  // A refusal that says when to come back (a rate limit, an overloaded process) says it in the header too.
  const retryAfter = error.details?.retryAfterSeconds;
  if (retryAfter !== undefined) void reply.header('retry-after', String(retryAfter));
  const atTokenEndpoint = reply.request?.routeOptions?.url === TOKEN_ENDPOINT;
  const oauthError = oauthErrorOf(error, atTokenEndpoint);
  if (oauthError === 'invalid_token') void reply.header('www-authenticate', 'Bearer error="invalid_token"');
  // RFC 6749 §5.2: a client that authenticated with HTTP Basic is told which scheme failed.
  if (oauthError === 'invalid_client' && /^Basic\s/i.test(reply.request?.headers.authorization ?? ''))
    void reply.header('www-authenticate', 'Basic realm="cleave"');
  const body = monzoErrorBody(error);
  if (body.message !== error.message) noteFailure(reply.raw, error.message);
  const sent =
    oauthError === undefined ? body : { ...body, error: oauthError, ...(atTokenEndpoint && { error_description: body.message }) };
  void reply.status(HTTP_STATUS[error.code]).header('content-type', 'application/json; charset=utf-8').send(sent);
}

/**
 * Every error as Monzo's API has it: `{code, message}` with a dotted code (`bad_request.missing_param`)
 * whose prefix sets the status, plus the failing fields of a validation error. Nothing internal leaks.
 */
@Catch()
export class MonzoErrorFilter implements ExceptionFilter {
  private readonly log = new Logger('Gateway');

  catch(exception: unknown, host: ArgumentsHost): void {
    const error = httpFailure(exception);
    if (error.code === 'internal') this.log.error(`request failed: ${(exception as Error)?.stack ?? String(exception)}`);
    sendMonzoError(host.switchToHttp().getResponse<FastifyReply>(), error);
  }
}
