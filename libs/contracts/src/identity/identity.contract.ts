import { command, dependencies, event, query } from '../contract';
import { IdentityEventNames, IdentityPatterns } from './identity.patterns';
import {
  AuthenticateRequest,
  AuthenticatedUser,
  IssueTokenRequest,
  RevokeTokenRequest,
  SignUpRequest,
  TokenReply,
  TokenRevokedV1,
  UserView,
} from './identity.messages';

/** The identity context's operations. */
export const IdentityRequests = {
  [IdentityPatterns.SignUp]: command(SignUpRequest).returns<UserView>(),
  [IdentityPatterns.IssueToken]: command(IssueTokenRequest).returns<TokenReply>(),
  [IdentityPatterns.Authenticate]: query(AuthenticateRequest).returns<AuthenticatedUser>(),
  [IdentityPatterns.RevokeToken]: command(RevokeTokenRequest).returns<void>(),
} as const;

/** Identity calls no one and handles no events. */
export const IdentityDependencies = dependencies({});

/** The identity context's events. */
export const IdentityEvents = {
  [IdentityEventNames.TokenRevoked]: event(TokenRevokedV1),
} as const;
