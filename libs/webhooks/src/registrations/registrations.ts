import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Not, type EntityManager } from 'typeorm';
import type { ListWebhooksRequest, RegisterWebhookRequest, WebhookIdRequest, WebhookView } from '@cleave/contracts';
import { CleaveError, ContextDatabase, currentContext, newEntityId, remainingMs } from '@cleave/platform';
import { assertPublicUrl } from '../deliveries/address-guard';
import { hostResolver, type HostResolver } from '../deliveries/host-resolver';
import { dnsServersOf, WebhooksSettings } from '../webhooks.settings';
import { Webhook } from './webhook.entity';
import { WebhooksErrors } from '@cleave/contracts';

/** As long as the column that keeps it. */
const MAX_URL_LENGTH = 2_048;
/** Each event is delivered to every webhook of its account: without a cap, one customer multiplies the work at will. */
export const MAX_WEBHOOKS_PER_ACCOUNT = 20;

/** Registering, listing and deleting an account's webhooks. */
@Injectable()
export class Registrations {
  private readonly resolve: HostResolver;

  constructor(
    private readonly db: ContextDatabase,
    @Inject(WebhooksSettings) private readonly settings: WebhooksSettings,
  ) {
    this.resolve = hostResolver(dnsServersOf(settings));
  }

  async register(request: RegisterWebhookRequest): Promise<WebhookView> {
    const url = URL.parse(request.url);
    // What the URL rule lets by and WHATWG's parser does not (an IPv6 zone id).
    if (url === null) {
      throw CleaveError.ofField(
        WebhooksErrors.badParam,
        { field: 'url', rule: 'isUrl', message: 'must be a URL' },
        'the webhook URL does not parse',
      );
    }
    if (url.username || url.password) {
      throw CleaveError.ofField(
        WebhooksErrors.badParam,
        { field: 'url', rule: 'noCredentials', message: 'must not contain user:password@' },
        'the webhook URL must not carry credentials',
      );
    }
    // Normalised (non-ASCII and some punctuation percent-encoded), a URL can grow past what is stored.
    const normalised = url.toString();
    if (normalised.length > MAX_URL_LENGTH) {
      throw CleaveError.ofField(
        WebhooksErrors.badParam,
        { field: 'url', rule: 'maxLength', message: `must be at most ${MAX_URL_LENGTH} characters once percent-encoded` },
        `the webhook URL is ${normalised.length} characters once percent-encoded, more than ${MAX_URL_LENGTH}`,
      );
    }
    // Counted once before resolving, so an account at the cap costs no DNS lookup; counted again under the lock.
    this.refuseAtCap(await this.db.read((em) => this.registeredCount(em, request.accountId)));
    await assertPublicUrl(url, this.settings.CLEAVE_WEBHOOKS_ALLOW_PRIVATE, this.resolve);
    // A slow resolver can take the whole budget: the caller has been told it timed out, so nothing is made
    // (a webhook made now would deliver, signed with a secret the customer never saw).
    const context = currentContext();
    if (context !== undefined && remainingMs(context) <= 0) {
      throw CleaveError.timeout("the webhook URL's host resolved only after the deadline; nothing was registered");
    }
    const row: Webhook = {
      id: newEntityId('webhook'),
      accountId: request.accountId,
      ownerId: context?.principal?.id ?? null,
      url: normalised,
      secret: `whsec_${randomBytes(32).toString('base64url')}`,
      status: 'active',
      consecutiveFailures: 0,
      failingSince: null,
      disabledReason: null,
      createdAt: new Date().toISOString(),
    };
    // Counted under the account's lock: registrations at once would each count one short and all go in.
    await this.db.transaction(async (em) => {
      await this.db.lockKeys(em, [`webhooks:${request.accountId}`]);
      this.refuseAtCap(await this.registeredCount(em, request.accountId));
      await em.insert(Webhook, row);
    });
    return { ...webhookView(row), secret: row.secret };
  }

  private registeredCount(em: EntityManager, accountId: string): Promise<number> {
    return em.countBy(Webhook, { accountId, status: Not<Webhook['status']>('deleted') });
  }

  private refuseAtCap(registered: number): void {
    if (registered >= MAX_WEBHOOKS_PER_ACCOUNT) {
      throw CleaveError.of(
        WebhooksErrors.tooManyWebhooks,
        `an account has at most ${MAX_WEBHOOKS_PER_ACCOUNT} webhooks; delete one to register another`,
      );
    }
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
