import { currentContext, outsideAnyCall } from '../context/call-context';
import type { ContextDatabase } from './context-database';
import type { Sql } from './sql';

/** The most callers one statement serves: its arrays stay small, and so does the wait of the first of them. */
const MOST_AT_ONCE = 64;

/** How one kind of statement serves many callers: its parameters for all of them, and each one's answer from the rows. */
export interface CoalescedShape<In, Row, Out> {
  /** Takes the callers' inputs as arrays, a parameter per column (`unnest($1::text[], …)`, `= ANY($1)`). */
  readonly statement: Sql;
  readonly params: (inputs: readonly In[]) => unknown[];
  readonly answer: (rows: readonly Row[], input: In) => Out;
}

interface Caller<In, Out> {
  readonly input: In;
  readonly deadline: number | undefined;
  readonly resolve: (out: Out) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * One kind of PostgreSQL statement run for many callers at once. The first caller's statement goes at
 * once; callers that ask while it is on its way wait and go together in the next, when it returns. Each
 * statement costs this process a socket write and a read, and PostgreSQL a commit when it writes; under
 * load most callers of a hot statement (a card by its token, an approval) arrive while another's is on
 * its way, so they share its round trip instead of paying their own.
 *
 * For statements that wait on no one: a read, or a write of rows only its caller touches. One that waits
 * on a lock would make every caller sharing it wait too. The statement runs outside any one caller's
 * call (no caller's trace owns it) and is cancelled only when the last of their deadlines has passed.
 * If it fails, it fails for all of them.
 */
export class CoalescedStatement<In, Row, Out> {
  private readonly waiting: Array<Caller<In, Out>> = [];
  private running = false;

  constructor(
    private readonly db: ContextDatabase,
    private readonly shape: CoalescedShape<In, Row, Out>,
  ) {}

  run(input: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.waiting.push({ input, deadline: currentContext()?.deadline, resolve, reject });
      if (!this.running) void outsideAnyCall(() => this.next());
    });
  }

  private async next(): Promise<void> {
    this.running = true;
    while (this.waiting.length > 0) {
      const callers = this.waiting.splice(0, MOST_AT_ONCE);
      // A caller without a deadline waits as long as it takes, so the statement may too.
      const deadline = callers.some((c) => c.deadline === undefined) ? undefined : Math.max(...callers.map((c) => c.deadline!));
      let rows: Row[];
      try {
        rows = await this.db.allOnBehalf<Row>(deadline, this.shape.statement, this.shape.params(callers.map((c) => c.input)));
      } catch (error) {
        for (const caller of callers) caller.reject(error);
        continue;
      }
      for (const caller of callers) {
        try {
          caller.resolve(this.shape.answer(rows, caller.input));
        } catch (error) {
          caller.reject(error);
        }
      }
    }
    this.running = false;
  }
}
