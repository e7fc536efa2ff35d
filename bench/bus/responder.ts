// Child process: the answering side of one path. Args: <path> <natsUrl> <prefix>.
import { pathById } from './paths';

const [pathId, natsUrl, prefix] = process.argv.slice(2) as [string, string, string];
const stop = await pathById(pathId).responder!({ natsUrl, prefix });
process.send?.({ type: 'ready' });
process.on('SIGTERM', () => void stop().finally(() => process.exit(0)));
