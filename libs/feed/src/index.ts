/** The feed context: its module is its whole public surface. */
export { FeedModule } from './feed.module';
