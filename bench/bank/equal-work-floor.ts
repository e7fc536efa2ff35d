// The equal-work floor: the same durable work Cleave does for a card authorisation, written by hand as a
// careful engineer would, in as few statements as correctness allows: one Fastify route, one better-sqlite3
// database, prepared statements, and no framework, bus or ORM. Its ratio to Cleave is the price of the
// architecture (modules, a bus, a database per context, validation, events through an outbox).
//
// Per approved authorisation, as Cleave: the authorisation record (its network id unique, so retries get
// the first answer), the card's daily total (checked against its limit), the reservation of the money, the
// hold and its transaction row, and an event row; answered once that commits. Then, as Cleave's consumers
// do after the answer: the feed item, the day's spend and the notification with the running total, in a
// second transaction that marks the event handled.
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { serveFloor } from './floor-serving';

const SECRET = 'Bearer cleave-development-network-secret';
// The same durability as Cleave's SQLite: a WAL file on disk, SQLite's default synchronous mode.
const db = new Database(process.env.FLOOR_DB!);
db.pragma('journal_mode = WAL');
db.exec(`
  CREATE TABLE IF NOT EXISTS accounts (id TEXT PRIMARY KEY, posted INTEGER NOT NULL, held INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS cards (token TEXT PRIMARY KEY, id TEXT NOT NULL, account_id TEXT NOT NULL, status TEXT NOT NULL, limit_per_day INTEGER);
  CREATE TABLE IF NOT EXISTS authorisations (id TEXT PRIMARY KEY, network_transaction_id TEXT UNIQUE NOT NULL, card_id TEXT, amount INTEGER NOT NULL, status TEXT NOT NULL, decline_reason TEXT, hold_id TEXT, created_at TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS daily_spend (card_id TEXT NOT NULL, day TEXT NOT NULL, amount INTEGER NOT NULL, PRIMARY KEY (card_id, day));
  CREATE TABLE IF NOT EXISTS holds (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, amount INTEGER NOT NULL, status TEXT NOT NULL, transaction_id TEXT NOT NULL, created_at TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS transactions (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, amount INTEGER NOT NULL, description TEXT NOT NULL, status TEXT NOT NULL, merchant TEXT, created_at TEXT NOT NULL);
  CREATE INDEX IF NOT EXISTS transactions_account ON transactions (account_id, created_at);
  CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, payload TEXT NOT NULL, handled_at TEXT);
  CREATE TABLE IF NOT EXISTS feed_items (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL, transaction_id TEXT UNIQUE, created_at TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS spend_days (account_id TEXT NOT NULL, day TEXT NOT NULL, amount INTEGER NOT NULL, PRIMARY KEY (account_id, day));
  CREATE TABLE IF NOT EXISTS notifications (id TEXT PRIMARY KEY, account_id TEXT NOT NULL, text TEXT NOT NULL, transaction_id TEXT UNIQUE, created_at TEXT NOT NULL);
`);

const findCard = db.prepare<[string], { id: string; account_id: string; status: string; limit_per_day: number | null }>(
  'SELECT id, account_id, status, limit_per_day FROM cards WHERE token = ?',
);
const findAuthorisation = db.prepare<[string], { id: string; status: string; decline_reason: string | null }>(
  'SELECT id, status, decline_reason FROM authorisations WHERE network_transaction_id = ?',
);
const recordAuthorisation = db.prepare(
  'INSERT INTO authorisations (id, network_transaction_id, card_id, amount, status, decline_reason, hold_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (network_transaction_id) DO NOTHING',
);
const countDay = db.prepare(
  'INSERT INTO daily_spend (card_id, day, amount) VALUES (?, ?, ?) ON CONFLICT (card_id, day) DO UPDATE SET amount = amount + excluded.amount WHERE ? IS NULL OR daily_spend.amount + excluded.amount <= ?',
);
const reserve = db.prepare('UPDATE accounts SET held = held + ? WHERE id = ? AND posted - held >= ?');
const insertHold = db.prepare('INSERT INTO holds (id, account_id, amount, status, transaction_id, created_at) VALUES (?, ?, ?, ?, ?, ?)');
const insertTransaction = db.prepare(
  'INSERT INTO transactions (id, account_id, amount, description, status, merchant, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
);
const insertEvent = db.prepare('INSERT INTO events (id, payload) VALUES (?, ?)');
const unhandled = db.prepare<[], { seq: number; payload: string }>(
  'SELECT seq, payload FROM events WHERE handled_at IS NULL ORDER BY seq LIMIT 100',
);
const addItem = db.prepare(
  'INSERT INTO feed_items (id, account_id, title, body, transaction_id, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (transaction_id) DO NOTHING',
);
const addSpend = db.prepare<[string, string, number], { amount: number }>(
  'INSERT INTO spend_days (account_id, day, amount) VALUES (?, ?, ?) ON CONFLICT (account_id, day) DO UPDATE SET amount = amount + excluded.amount RETURNING amount',
);
const notify = db.prepare(
  'INSERT INTO notifications (id, account_id, text, transaction_id, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (transaction_id) DO NOTHING',
);
const markHandled = db.prepare('UPDATE events SET handled_at = ? WHERE seq <= ? AND handled_at IS NULL');

interface Authorisation {
  card_token: string;
  amount: number;
  currency: string;
  network_transaction_id: string;
  merchant: { name: string; mcc: string };
}

const id = (prefix: string) => `${prefix}_${randomBytes(11).toString('hex')}`;
const today = () => new Date().toISOString().slice(0, 10);

type Answer = { approved: boolean; network_transaction_id: string; authorisation_id?: string; decline_reason?: string };

const decide = db.transaction((a: Authorisation): Answer => {
  const now = new Date().toISOString();
  const card = findCard.get(a.card_token);
  const authorisationId = id('auth');
  const decline = (reason: string): Answer => {
    recordAuthorisation.run(authorisationId, a.network_transaction_id, card?.id ?? null, a.amount, 'declined', reason, null, now);
    return { approved: false, network_transaction_id: a.network_transaction_id, authorisation_id: authorisationId, decline_reason: reason };
  };
  if (!card) return decline('invalid_card');
  if (card.status !== 'ACTIVE') return decline('card_inactive');
  const holdId = id('hold');
  if (recordAuthorisation.run(authorisationId, a.network_transaction_id, card.id, a.amount, 'approved', null, holdId, now).changes === 0) {
    const earlier = findAuthorisation.get(a.network_transaction_id)!;
    return {
      approved: earlier.status === 'approved',
      network_transaction_id: a.network_transaction_id,
      authorisation_id: earlier.id,
      ...(earlier.decline_reason ? { decline_reason: earlier.decline_reason } : {}),
    };
  }
  if (countDay.run(card.id, today(), a.amount, card.limit_per_day, card.limit_per_day).changes === 0) throw new Decline('spending_limit');
  if (reserve.run(a.amount, card.account_id, a.amount).changes === 0) throw new Decline('insufficient_funds');
  const transactionId = id('tx');
  insertHold.run(holdId, card.account_id, a.amount, 'pending', transactionId, now);
  insertTransaction.run(transactionId, card.account_id, -a.amount, a.merchant.name, 'pending', JSON.stringify(a.merchant), now);
  insertEvent.run(
    id('evt'),
    JSON.stringify({ transactionId, accountId: card.account_id, amount: a.amount, merchant: a.merchant.name, created: now }),
  );
  return { approved: true, network_transaction_id: a.network_transaction_id, authorisation_id: authorisationId };
});

class Decline extends Error {}

/** What the consumers do: one transaction for all the events waiting, like a batch of Cleave's. */
const consume = db.transaction(() => {
  const events = unhandled.all();
  for (const event of events) {
    const e = JSON.parse(event.payload) as { transactionId: string; accountId: string; amount: number; merchant: string; created: string };
    const now = new Date().toISOString();
    addItem.run(id('feeditem'), e.accountId, e.merchant, `-£${(e.amount / 100).toFixed(2)}`, e.transactionId, e.created);
    const spent = addSpend.get(e.accountId, today(), e.amount)!.amount;
    notify.run(
      id('notif'),
      e.accountId,
      `£${(e.amount / 100).toFixed(2)} at ${e.merchant}. You've spent £${(spent / 100).toFixed(2)} today.`,
      e.transactionId,
      now,
    );
  }
  if (events.length > 0) markHandled.run(new Date().toISOString(), events.at(-1)!.seq);
  return events.length;
});
let consuming = false;
function wakeConsumers(): void {
  if (consuming) return;
  consuming = true;
  setImmediate(() => {
    while (consume() > 0);
    consuming = false;
  });
}

const authorise = (a: Authorisation): Answer => {
  try {
    return decide(a);
  } catch (error) {
    if (!(error instanceof Decline)) throw error;
    // The decline is recorded (its own transaction: the decision's rolled back) so a retry gets it.
    const card = findCard.get(a.card_token);
    recordAuthorisation.run(
      id('auth'),
      a.network_transaction_id,
      card?.id ?? null,
      a.amount,
      'declined',
      error.message,
      null,
      new Date().toISOString(),
    );
    return { approved: false, network_transaction_id: a.network_transaction_id, decline_reason: error.message };
  }
};

const seed = db.transaction((cards: Array<{ token: string; balance: number }>) => {
  for (const [i, c] of cards.entries()) {
    db.prepare('INSERT OR REPLACE INTO accounts (id, posted, held) VALUES (?, ?, 0)').run(`acc_${i}`, c.balance);
    db.prepare("INSERT OR REPLACE INTO cards (token, id, account_id, status, limit_per_day) VALUES (?, ?, ?, 'ACTIVE', NULL)").run(
      c.token,
      `card_${i}`,
      `acc_${i}`,
    );
  }
});

const app = Fastify({ logger: false });
app.post<{ Body: Authorisation }>('/network/authorisations', async (request, reply) => {
  if (request.headers.authorization !== SECRET) return reply.code(401).send({ code: 'unauthorized' });
  const b = request.body;
  if (
    typeof b?.card_token !== 'string' ||
    !Number.isInteger(b.amount) ||
    b.amount < 1 ||
    typeof b.currency !== 'string' ||
    typeof b.network_transaction_id !== 'string' ||
    typeof b.merchant?.name !== 'string' ||
    typeof b.merchant?.mcc !== 'string'
  ) {
    return reply.code(400).send({ code: 'bad_request' });
  }
  const answer = authorise(b);
  if (answer.approved) wakeConsumers();
  return answer;
});
await serveFloor(app, seed);
