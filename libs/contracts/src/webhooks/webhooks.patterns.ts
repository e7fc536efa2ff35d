/** Request patterns answered by the webhooks context. */
export const WebhooksPatterns = {
  Register: 'webhooks.register',
  List: 'webhooks.list',
  Get: 'webhooks.get',
  Delete: 'webhooks.delete',
  ListDeliveries: 'webhooks.list-deliveries',
  ListDeadLetters: 'webhooks.list-dead-letters',
  ReplayDeadLetter: 'webhooks.replay-dead-letter',
  DiscardDeadLetter: 'webhooks.discard-dead-letter',
} as const;
