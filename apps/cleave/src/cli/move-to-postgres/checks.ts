/** Rows of one read-only statement that means the same on SQLite and PostgreSQL. */
export type Query = (statement: string) => Promise<Record<string, unknown>[]>;

/** What a check found: a line for the report, and whatever must stop the move. */
export interface CheckOutcome {
  readonly name: string;
  readonly summary: string;
  readonly problems: readonly string[];
}

/**
 * What a context's data must satisfy on both sides of a move, beyond every row arriving unchanged (which
 * the copy checks for every table): the invariants that would make a bad copy, or a bad source, visible.
 */
export interface MoveCheck {
  readonly name: string;
  run(source: Query, target: Query): Promise<CheckOutcome>;
}

/** Integers come back as bigint (SQLite), numeric strings (PostgreSQL's sums) or numbers: one spelling. */
const text = (value: unknown): string => (value === null || value === undefined ? '' : String(value));

/** Each book (ledger account): its running balances beside what its postings and open holds add up to. */
const BOOKS = `
  SELECT a.id AS id, a.currency AS currency, a.posted AS posted, a.held AS held,
         (SELECT COALESCE(SUM(p.amount), 0) FROM ledger_postings p WHERE p.account_id = a.id) AS postings,
         (SELECT COALESCE(SUM(h.amount), 0) FROM ledger_holds h WHERE h.account_id = a.id AND h.status = 'pending') AS pending_holds
  FROM ledger_accounts a`;

/** Sums of postings per book and currency: the balances, as the entries have them. */
const BALANCES =
  'SELECT account_id, currency, SUM(amount) AS total, COUNT(*) AS postings FROM ledger_postings GROUP BY account_id, currency';

/** Double entry: every entry's postings sum to zero, in each currency. */
const UNBALANCED_ENTRIES =
  'SELECT entry_id, currency, SUM(amount) AS total FROM ledger_postings GROUP BY entry_id, currency HAVING SUM(amount) <> 0';

const ENTRIES = 'SELECT COUNT(*) AS n FROM ledger_entries';

type Row = Record<string, unknown>;

/** Rows as comparable lines, sorted. */
function lines(rows: Row[], columns: readonly string[]): string[] {
  return rows.map((row) => columns.map((column) => text(row[column])).join(' ')).sort();
}

function differences(what: string, source: readonly string[], target: readonly string[]): string[] {
  const inTarget = new Set(target);
  const inSource = new Set(source);
  const missing = source.filter((line) => !inTarget.has(line));
  const extra = target.filter((line) => !inSource.has(line));
  return [
    ...missing.slice(0, 5).map((line) => `${what} in SQLite but not in PostgreSQL: ${line}`),
    ...extra.slice(0, 5).map((line) => `${what} in PostgreSQL but not in SQLite: ${line}`),
  ];
}

function invariants(side: string, books: Row[], unbalanced: Row[]): string[] {
  const problems = unbalanced
    .slice(0, 5)
    .map((row) => `${side}: entry ${text(row.entry_id)} sums to ${text(row.total)} ${text(row.currency)}, not 0`);
  for (const book of books) {
    if (text(book.posted) !== text(book.postings))
      problems.push(`${side}: book ${text(book.id)} has posted ${text(book.posted)}, its postings sum to ${text(book.postings)}`);
    if (text(book.held) !== text(book.pending_holds))
      problems.push(`${side}: book ${text(book.id)} has held ${text(book.held)}, its pending holds sum to ${text(book.pending_holds)}`);
  }
  return problems;
}

/**
 * The ledger: on both sides every entry balances, each book's running balances equal its postings and open
 * holds, and the books, their balances per currency and the number of entries are the same.
 */
export const ledgerBalances: MoveCheck = {
  name: 'ledger balances',
  async run(source, target) {
    const [sourceBooks, targetBooks] = [await source(BOOKS), await target(BOOKS)];
    const [sourceBalances, targetBalances] = [await source(BALANCES), await target(BALANCES)];
    const [sourceUnbalanced, targetUnbalanced] = [await source(UNBALANCED_ENTRIES), await target(UNBALANCED_ENTRIES)];
    const [sourceEntries, targetEntries] = [text((await source(ENTRIES))[0]?.n), text((await target(ENTRIES))[0]?.n)];
    const bookColumns = ['id', 'currency', 'posted', 'held'];
    const balanceColumns = ['account_id', 'currency', 'total', 'postings'];
    const problems = [
      ...invariants('SQLite', sourceBooks, sourceUnbalanced),
      ...invariants('PostgreSQL', targetBooks, targetUnbalanced),
      ...differences('book', lines(sourceBooks, bookColumns), lines(targetBooks, bookColumns)),
      ...differences('balance', lines(sourceBalances, balanceColumns), lines(targetBalances, balanceColumns)),
      ...(sourceEntries === targetEntries ? [] : [`${sourceEntries} entries in SQLite, ${targetEntries} in PostgreSQL`]),
    ];
    const summary = `${sourceBooks.length} books, ${sourceBalances.length} balances by currency, ${sourceEntries} entries: ${
      problems.length === 0
        ? 'every entry sums to zero, posted and held match the postings and pending holds, the same on both sides'
        : 'DIFFERENT'
    }`;
    return { name: this.name, summary, problems };
  },
};

/** The checks each context's move runs besides the copy's own. */
export const MOVE_CHECKS: Readonly<Record<string, readonly MoveCheck[]>> = { ledger: [ledgerBalances] };
