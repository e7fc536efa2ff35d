import { errorReasons } from '../errors';

/** How identity fails a call. */
export const IdentityErrors = errorReasons({
  emailTaken: ['conflict', 'email_taken'],
  tooManyLoginAttempts: ['rate_limited', 'too_many_login_attempts', 'retryable'],
  badAccessToken: ['unauthenticated', 'bad_access_token'],
  badCredentials: ['unauthenticated', 'bad_credentials'],
  badRefreshToken: ['unauthenticated', 'bad_refresh_token'],
  refreshTokenUsed: ['unauthenticated', 'refresh_token_used'],
  badClient: ['unauthenticated', 'bad_client'],
});
