import { CreateCards1764000000000 } from './1764000000000-create-cards';

/** The cards context's migrations, oldest first. */
export const cardsMigrations = [CreateCards1764000000000];
