import { Injectable } from '@nestjs/common';
import type { SignUpRequest, UserView } from '@cleave/contracts';
import { CleaveError, ContextDatabase, currentContext, isUniqueViolation, newEntityId, remainingMs } from '@cleave/platform';
import { PasswordWork } from './password-work';
import { User } from './user.entity';
import { IdentityErrors } from '@cleave/contracts';

/** Signs a customer up; an email can hold one account. */
@Injectable()
export class SignUpHandler {
  constructor(
    private readonly db: ContextDatabase,
    private readonly passwords: PasswordWork,
  ) {}

  async execute(request: SignUpRequest): Promise<UserView> {
    const user: User = {
      id: newEntityId('user'),
      name: request.name.trim(),
      email: request.email.trim().toLowerCase(),
      passwordHash: await this.passwords.hash(request.password),
      createdAt: new Date().toISOString(),
    };
    // The caller has been told it timed out: making the user now would leave it holding an email it never
    // heard was taken.
    const context = currentContext();
    if (context !== undefined && remainingMs(context) <= 0)
      throw CleaveError.timeout('the sign-up did not finish before the deadline; nothing was made');
    try {
      await this.db.transaction((em) => em.insert(User, user));
    } catch (error) {
      if (isUniqueViolation(error)) throw CleaveError.of(IdentityErrors.emailTaken, 'a user with this email exists');
      throw error;
    }
    return { id: user.id, name: user.name, email: user.email, created: user.createdAt };
  }
}
