import { Controller } from '@nestjs/common';
import {
  IdentityPatterns,
  type AuthenticateRequest,
  type IssueTokenRequest,
  type RevokeTokenRequest,
  type SignUpRequest,
} from '@cleave/contracts';
import { Handles } from '@cleave/platform';
import { TokensHandler } from './tokens/tokens.handler';
import { SignUpHandler } from './users/sign-up.handler';

/** The identity context's bus adapter. */
@Controller()
export class IdentityHandlers {
  constructor(
    private readonly signUp: SignUpHandler,
    private readonly tokens: TokensHandler,
  ) {}

  @Handles(IdentityPatterns.SignUp)
  onSignUp(request: SignUpRequest) {
    return this.signUp.execute(request);
  }

  @Handles(IdentityPatterns.IssueToken)
  onIssueToken(request: IssueTokenRequest) {
    return this.tokens.issue(request);
  }

  @Handles(IdentityPatterns.Authenticate)
  onAuthenticate(request: AuthenticateRequest) {
    return this.tokens.authenticate(request);
  }

  @Handles(IdentityPatterns.RevokeToken)
  onRevokeToken(request: RevokeTokenRequest) {
    return this.tokens.revoke(request);
  }
}
