/** The webhooks context: its module is its whole public surface. */
export { WebhooksModule } from './webhooks.module';
/** For receivers written in TypeScript: checks a delivery's `Cleave-Signature` header. */
export { verify as verifyWebhookSignature, SIGNATURE_HEADER } from './deliveries/signature';
