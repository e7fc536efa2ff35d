import { createHash } from 'node:crypto';
import type { MerchantInput, MerchantView } from '@cleave/contracts';

// Merchant category codes (ISO 18245) → Monzo's spending category and the emoji its app shows.
const BY_MCC: Record<string, [category: string, emoji: string]> = {
  '5814': ['eating_out', '☕'],
  '5812': ['eating_out', '🍽️'],
  '5813': ['eating_out', '🍺'],
  '5411': ['groceries', '🛒'],
  '5499': ['groceries', '🥖'],
  '4111': ['transport', '🚆'],
  '4121': ['transport', '🚕'],
  '4131': ['transport', '🚌'],
  '5541': ['transport', '⛽'],
  '4511': ['holidays', '✈️'],
  '7011': ['holidays', '🏨'],
  '7832': ['entertainment', '🎬'],
  '7922': ['entertainment', '🎭'],
  '5732': ['shopping', '💻'],
  '5651': ['shopping', '👕'],
  '5912': ['shopping', '💊'],
  '4900': ['bills', '💡'],
  '4814': ['bills', '📱'],
  '6011': ['cash', '🏧'],
};

const BY_CATEGORY: Record<string, string> = {
  eating_out: '🍴',
  groceries: '🛒',
  transport: '🚆',
  holidays: '✈️',
  entertainment: '🎉',
  shopping: '🛍️',
  bills: '🧾',
  cash: '💵',
  expenses: '💼',
  general: '💳',
};

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * A merchant as Cleave shows it: a stable id (the same name in the same place is the same merchant), the
 * network's category or one derived from the MCC, and an emoji for the app and notifications.
 */
export function enrichMerchant(input: MerchantInput): MerchantView {
  const [mccCategory, mccEmoji] = BY_MCC[input.mcc] ?? ['general', '💳'];
  const category = input.category ?? mccCategory;
  const digest = createHash('sha256')
    .update(`${input.name.trim().toLowerCase()}|${input.city?.trim().toLowerCase() ?? ''}|${input.country ?? ''}`)
    .digest();
  let id = 'merch_';
  for (let i = 0; i < 22; i++) id += BASE62[digest[i]! % 62];
  const emoji = input.category !== undefined && BY_MCC[input.mcc] === undefined ? (BY_CATEGORY[category] ?? '💳') : mccEmoji;
  return {
    id,
    name: input.name,
    category,
    mcc: input.mcc,
    emoji,
    ...(input.city ? { city: input.city } : {}),
    ...(input.country ? { country: input.country } : {}),
  };
}
