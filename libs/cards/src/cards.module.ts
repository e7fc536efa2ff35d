import { Module } from '@nestjs/common';
import { CLEAVE_CONFIG, DatabaseModule, readSettings, refuseDevelopmentCredentials, type CleaveConfig } from '@cleave/platform';
import { Authorisation } from './authorisations/authorisation.entity';
import { CardDailySpend } from './authorisations/card-daily-spend.entity';
import { Abandonments } from './authorisations/abandonments';
import { Authorisations } from './authorisations/authorisations';
import { FollowUps } from './authorisations/follow-ups';
import { Clearing } from './clearing/clearing';
import { Reversals } from './clearing/reversals';
import { CardMetrics } from './authorisations/card-metrics';
import { Card } from './cards/card.entity';
import { CardsHandler } from './cards/cards.handler';
import { CardsHandlers } from './cards.handlers';
import { CardsSettings } from './cards.settings';
import { cardsMigrations } from './migrations';

/** Payment cards and the card network's messages about them, in a database of their own. */
@Module({
  imports: [
    DatabaseModule.forContext({
      context: 'cards',
      idempotency: true,
      events: true,
      entities: [Card, Authorisation, CardDailySpend],
      migrations: cardsMigrations,
    }),
  ],
  controllers: [CardsHandlers],
  providers: [
    {
      provide: CardsSettings,
      useFactory: (config: CleaveConfig) =>
        refuseDevelopmentCredentials(readSettings(CardsSettings, config.env), ['CLEAVE_CARD_PAN_KEY'], config, 'Cards'),
      inject: [CLEAVE_CONFIG],
    },
    CardsHandler,
    Authorisations,
    Abandonments,
    FollowUps,
    Clearing,
    Reversals,
    CardMetrics,
  ],
})
export class CardsModule {}
