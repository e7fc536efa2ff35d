/**
 * A statement of a hot path, written once with `?` placeholders (PostgreSQL's `$n` are derived), run
 * through the database driver itself as a prepared statement: TypeORM's query builder costs several times
 * the statement on these paths. Named, so PostgreSQL prepares it once per connection.
 */
export interface Sql {
  readonly name: string;
  readonly sqlite: string;
  readonly postgres: string;
}

/** Declares a statement; `postgres` is given only where the dialects differ beyond placeholders. */
export function sql(name: string, text: string, postgres?: string): Sql {
  let n = 0;
  return { name, sqlite: text, postgres: postgres ?? text.replace(/\?/g, () => `$${++n}`) };
}
