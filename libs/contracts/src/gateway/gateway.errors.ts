import { errorReasons } from '../errors';

/** How the HTTP API refuses a request before (or instead of) a call to a context. */
export const GatewayErrors = errorReasons({
  badNetworkCredential: ['unauthenticated', 'bad_network_credential'],
  badAdminCredential: ['unauthenticated', 'bad_admin_credential'],
  /** Past the API's rate limit for a token or an address; `details.retryAfterSeconds` says when to come back. */
  rateLimitExceeded: ['rate_limited', 'rate_limit_exceeded', 'retryable'],
  /** An account has as many notification streams open on this replica as it may; one must close first. */
  tooManyStreams: ['rate_limited', 'too_many_streams', 'retryable'],
  /** This replica holds as many notification streams as it takes; another replica may take more. */
  streamsFull: ['unavailable', 'streams_full', 'retryable'],
  shuttingDown: ['unavailable', 'shutting_down', 'retryable'],
  notReady: ['unavailable', 'not_ready', 'retryable'],
  requestTimeout: ['bad_request', 'request_timeout'],
  headersTooLarge: ['bad_request', 'headers_too_large'],
  badRequestLine: ['bad_request', 'bad_request_line'],
  unknownRoute: ['not_found', 'unknown_route'],
  unsupportedMediaType: ['bad_request', 'unsupported_media_type'],
  bodyTooLarge: ['bad_request', 'body_too_large'],
  /** A body that could not be parsed (malformed JSON or form). */
  badBody: ['bad_request', 'bad_body'],
  /** A path the router can't read: a broken percent-encoding, or a segment longer than any id. */
  badUrl: ['bad_request', 'bad_url'],
});
