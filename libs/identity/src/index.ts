/** The identity context: its module is its whole public surface. */
export { IdentityModule } from './identity.module';
