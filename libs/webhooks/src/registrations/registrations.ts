import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Not } from 'typeorm';
import type { ListWebhooksRequest, RegisterWebhookRequest, WebhookIdRequest, WebhookView } from '@cleave/contracts';
import { CleaveError, ContextDatabase, newEntityId } from '@cleave/platform';
import { assertPublicUrl } from '../deliveries/address-guard';
import { WebhooksSettings } from '../webhooks.settings';
import { Webhook } from './webhook.entity';
import { WebhooksErrors } from '@cleave/contracts';

/** Registering, listing and deleting an account's webhooks. */
@Injectable()
export class Registrations {
  constructor(
    private readonly db: ContextDatabase,
    @Inject(WebhooksSettings) private readonly settings: WebhooksSettings,
  ) {}

  async register(request: RegisterWebhookRequest): Promise<WebhookView> {
    const url = new URL(request.url);
    if (url.username || url.password) {
      throw CleaveError.ofField(
        WebhooksErrors.badParam,
        { field: 'url', rule: 'noCredentials', message: 'must not contain user:password@' },
        'the webhook URL must not carry credentials',
      );
    }
    await assertPublicUrl(url, this.settings.CLEAVE_WEBHOOKS_ALLOW_PRIVATE);
    const row: Webhook = {
      id: newEntityId('webhook'),
      accountId: request.accountId,
      url: url.toString(),
      secret: `whsec_${randomBytes(32).toString('base64url')}`,
      status: 'active',
      consecutiveFailures: 0,
      failingSince: null,
      disabledReason: null,
      createdAt: new Date().toISOString(),
    };
    await this.db.transaction((em) => em.insert(Webhook, row));
    return { ...webhookView(row), secret: row.secret };
  }

  list(request: ListWebhooksRequest): Promise<WebhookView[]> {
    return this.db.read(async (em) =>
      (
        await em.find(Webhook, {
          where: { accountId: request.accountId, status: Not<Webhook['status']>('deleted') },
          order: { createdAt: 'ASC' },
        })
      ).map(webhookView),
    );
  }

  async get(request: WebhookIdRequest): Promise<WebhookView> {
    const row = await this.db.read((em) => em.findOneBy(Webhook, { id: request.webhookId, status: Not<Webhook['status']>('deleted') }));
    if (!row) throw CleaveError.notFound(`no webhook ${request.webhookId}`);
    return webhookView(row);
  }

  /** Deletes a webhook; deliveries still pending for it are dropped (they are for a URL the customer removed). */
  async delete(request: WebhookIdRequest): Promise<void> {
    await this.db.transaction(async (em) => {
      const result = await em.update(Webhook, { id: request.webhookId, status: Not<Webhook['status']>('deleted') }, { status: 'deleted' });
      if (result.affected !== 1) throw CleaveError.notFound(`no webhook ${request.webhookId}`);
    });
  }
}

export function webhookView(row: Webhook): WebhookView {
  return {
    id: row.id,
    accountId: row.accountId,
    url: row.url,
    status: row.status === 'disabled' ? 'disabled' : 'active',
    created: row.createdAt,
    ...(row.disabledReason ? { disabledReason: row.disabledReason } : {}),
  };
}
