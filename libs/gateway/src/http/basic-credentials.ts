import { Ids, PlatformErrors } from '@cleave/contracts';
import { CleaveError } from '@cleave/platform';

export interface ClientCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
}

const refused = (message: string) => CleaveError.ofField(PlatformErrors.badParam, { field: 'authorization', rule: 'basicAuth', message });

/**
 * A client's id and secret sent as HTTP Basic (RFC 6749 §2.3.1: each form-encoded, then Basic), as OAuth
 * libraries send them by default; undefined when the request has no Basic credentials.
 */
export function basicClientCredentials(header: string | undefined): ClientCredentials | undefined {
  const match = header === undefined ? null : /^Basic\s+([A-Za-z0-9+/]{1,600}={0,2})$/i.exec(header);
  if (!match) {
    if (header !== undefined && /^Basic\b/i.test(header))
      throw refused('the Authorization header must be "Basic <base64 of client_id:client_secret>"');
    return undefined;
  }
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw refused('the Authorization header must carry an OAuth2 client id (oauth2client_…) and its secret');
  let clientId: string;
  let clientSecret: string;
  try {
    clientId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
    clientSecret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
  } catch {
    throw refused("the Authorization header's client_id and client_secret must be form-encoded");
  }
  if (!Ids.client.test(clientId)) throw refused('the Authorization header must carry an OAuth2 client id (oauth2client_…) and its secret');
  if (clientSecret.length > 200) throw refused('the client secret is too long');
  return { clientId, clientSecret };
}
