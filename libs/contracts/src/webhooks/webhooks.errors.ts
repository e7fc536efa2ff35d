import { errorReasons } from '../errors';

/** How webhooks fails a call. */
export const WebhooksErrors = errorReasons({
  /** The URL's host resolves to a private, loopback or otherwise non-public address. */
  urlNotAllowed: ['bad_request', 'url_not_allowed'],
  urlUnresolvable: ['bad_request', 'url_unresolvable'],
  badParam: ['bad_request', 'bad_param'],
  /** The account has as many webhooks as it may. */
  tooManyWebhooks: ['conflict', 'too_many_webhooks'],
});
