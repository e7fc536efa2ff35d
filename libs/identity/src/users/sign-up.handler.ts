import { Inject, Injectable } from '@nestjs/common';
import type { SignUpRequest, UserView } from '@cleave/contracts';
import { CleaveError, ContextDatabase, isUniqueViolation, newEntityId } from '@cleave/platform';
import { IdentitySettings } from '../identity.settings';
import { hashPassword } from './passwords';
import { User } from './user.entity';
import { IdentityErrors } from '@cleave/contracts';

/** Signs a customer up; an email can hold one account. */
@Injectable()
export class SignUpHandler {
  constructor(
    private readonly db: ContextDatabase,
    @Inject(IdentitySettings) private readonly settings: IdentitySettings,
  ) {}

  async execute(request: SignUpRequest): Promise<UserView> {
    const user: User = {
      id: newEntityId('user'),
      name: request.name.trim(),
      email: request.email.trim().toLowerCase(),
      passwordHash: await hashPassword(request.password, this.settings.CLEAVE_PASSWORD_HASH_COST),
      createdAt: new Date().toISOString(),
    };
    try {
      await this.db.transaction((em) => em.insert(User, user));
    } catch (error) {
      if (isUniqueViolation(error)) throw CleaveError.of(IdentityErrors.emailTaken, 'a user with this email exists');
      throw error;
    }
    return { id: user.id, name: user.name, email: user.email, created: user.createdAt };
  }
}
