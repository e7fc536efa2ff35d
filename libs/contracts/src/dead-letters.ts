import { IsBoolean, IsOptional, Matches } from 'class-validator';
import { Ids } from './ids';

/** Lists the events a context's handlers gave up on. */
export class ListDeadLettersRequest {
  /** Also those replayed since. */
  @IsOptional() @IsBoolean() includeReplayed?: boolean;
  /** The letters listed after this one: the next page. */
  @IsOptional() @Matches(Ids.deadLetter) after?: string;
}

/** Hands a dead letter's event to its handler again. */
export class ReplayDeadLetterRequest {
  @Matches(Ids.deadLetter) id!: string;
}

/** Drops a dead letter an operator has dealt with, or that can never be handled (a poison message). */
export class DiscardDeadLetterRequest {
  @Matches(Ids.deadLetter) id!: string;
}

/** A parked event, as an operator sees it. */
export interface DeadLetterView {
  readonly id: string;
  readonly context: string;
  readonly eventId: string;
  readonly event: string;
  readonly error: string;
  readonly attempts: number;
  /** ISO 8601. */
  readonly created: string;
  readonly ageMs: number;
  /** ISO 8601, once replayed successfully. */
  readonly replayed: string | null;
}
