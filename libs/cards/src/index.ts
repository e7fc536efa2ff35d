/** The cards context: its module is its whole public surface. */
export { CardsModule } from './cards.module';
