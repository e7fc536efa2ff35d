import { deadLettersByEventMigration, eventsMigration } from '@cleave/platform';
import { CreateIdentity1763900000000 } from './1763900000000-create-identity';
import { LoginAttemptsByAge1766000000000 } from './1766000000000-login-attempts-by-age';
import { TokenFamilies1767100000000 } from './1767100000000-token-families';

/** The identity context's migrations, oldest first. */
export const identityMigrations = [
  CreateIdentity1763900000000,
  eventsMigration(1764100000000),
  LoginAttemptsByAge1766000000000,
  TokenFamilies1767100000000,
  deadLettersByEventMigration(1767300000000),
];
