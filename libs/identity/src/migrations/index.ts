import { CreateIdentity1763900000000 } from './1763900000000-create-identity';

/** The identity context's migrations, oldest first. */
export const identityMigrations = [CreateIdentity1763900000000];
