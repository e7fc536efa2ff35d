// The floor: the least a card authorisation can cost on this stack. One Fastify route, one better-sqlite3
// transaction, no modules, no bus, no validation library: what Cleave's architecture is measured against.
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { serveFloor } from './floor-serving';

const SECRET = 'Bearer cleave-development-network-secret';
// The same durability as Cleave's SQLite: a WAL file on disk, SQLite's default synchronous mode.
const db = new Database(process.env.FLOOR_DB!);
db.pragma('journal_mode = WAL');
db.exec(`
  CREATE TABLE IF NOT EXISTS accounts (id TEXT PRIMARY KEY, available INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS cards (token TEXT PRIMARY KEY, account_id TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS holds (id TEXT PRIMARY KEY, network_transaction_id TEXT UNIQUE NOT NULL, account_id TEXT NOT NULL, amount INTEGER NOT NULL);
`);
const findCard = db.prepare<[string], { account_id: string }>('SELECT account_id FROM cards WHERE token = ?');
const findHold = db.prepare<[string], { id: string; amount: number }>('SELECT id, amount FROM holds WHERE network_transaction_id = ?');
const debit = db.prepare<[number, string, number]>('UPDATE accounts SET available = available - ? WHERE id = ? AND available >= ?');
const insertHold = db.prepare<[string, string, string, number]>(
  'INSERT INTO holds (id, network_transaction_id, account_id, amount) VALUES (?, ?, ?, ?)',
);

interface Authorisation {
  card_token: string;
  amount: number;
  currency: string;
  network_transaction_id: string;
}

const authorise = db.transaction((a: Authorisation) => {
  const earlier = findHold.get(a.network_transaction_id);
  if (earlier) return { approved: true, network_transaction_id: a.network_transaction_id, authorisation_id: earlier.id };
  const card = findCard.get(a.card_token);
  if (!card) return { approved: false, network_transaction_id: a.network_transaction_id, decline_reason: 'invalid_card' };
  if (debit.run(a.amount, card.account_id, a.amount).changes !== 1)
    return { approved: false, network_transaction_id: a.network_transaction_id, decline_reason: 'insufficient_funds' };
  const id = `auth_${randomBytes(11).toString('hex')}`;
  insertHold.run(id, a.network_transaction_id, card.account_id, a.amount);
  return { approved: true, network_transaction_id: a.network_transaction_id, authorisation_id: id };
});

const seed = db.transaction((cards: Array<{ token: string; balance: number }>) => {
  for (const [i, c] of cards.entries()) {
    db.prepare('INSERT OR REPLACE INTO accounts (id, available) VALUES (?, ?)').run(`acc_${i}`, c.balance);
    db.prepare('INSERT OR REPLACE INTO cards (token, account_id) VALUES (?, ?)').run(c.token, `acc_${i}`);
  }
});

const app = Fastify({ logger: false });
app.post<{ Body: Authorisation }>('/network/authorisations', async (request, reply) => {
  if (request.headers.authorization !== SECRET) return reply.code(401).send({ code: 'unauthorized' });
  const b = request.body;
  if (typeof b?.card_token !== 'string' || !Number.isInteger(b.amount) || b.amount < 1 || typeof b.network_transaction_id !== 'string') {
    return reply.code(400).send({ code: 'bad_request' });
  }
  return authorise(b);
});
await serveFloor(app, seed);
