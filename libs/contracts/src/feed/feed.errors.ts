import { errorReasons } from '../errors';

/** How the feed fails a call. */
export const FeedErrors = errorReasons({
  badParam: ['bad_request', 'bad_param'],
});
