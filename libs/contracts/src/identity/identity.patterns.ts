/** Request patterns answered by the identity context. */
export const IdentityPatterns = {
  SignUp: 'identity.sign-up',
  IssueToken: 'identity.issue-token',
  Authenticate: 'identity.authenticate',
  RevokeToken: 'identity.revoke-token',
} as const;

/** Events published by the identity context. */
export const IdentityEventNames = {
  TokenRevoked: 'identity.token-revoked.v1',
} as const;
