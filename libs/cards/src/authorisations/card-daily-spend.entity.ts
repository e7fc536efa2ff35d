import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from '@cleave/platform';

/** What a card has authorised on one spending day, for its daily limit. */
@Entity({ name: 'card_daily_spend' })
export class CardDailySpend {
  @PrimaryColumn({ name: 'card_id', type: 'varchar', length: 40 })
  cardId!: string;

  /** The instant (ISO 8601) the day began in the card's time zone. */
  @PrimaryColumn({ type: 'varchar', length: 30 })
  day!: string;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  amount!: number;
}
