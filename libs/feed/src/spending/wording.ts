// Intl formatters are costly to build and cheap to use: one per currency, kept.
const moneyFormats = new Map<string, { format: Intl.NumberFormat; digits: number }>();

/** Money as the app shows it: `£19.15`, `€4.00`, `¥500`, from minor units. */
export function formatMoney(minorUnits: number, currency: string): string {
  let money = moneyFormats.get(currency);
  if (!money) {
    const format = new Intl.NumberFormat('en-GB', { style: 'currency', currency });
    money = { format, digits: format.resolvedOptions().maximumFractionDigits ?? 2 };
    moneyFormats.set(currency, money);
  }
  return money.format.format(minorUnits / 10 ** money.digits);
}

/** `☕ £19.15 at Brightbird Espresso. You've spent £43.55 today.` */
export function spendText(emoji: string, amount: number, currency: string, merchant: string, spentToday: number): string {
  const lead = emoji ? `${emoji} ` : '';
  return `${lead}${formatMoney(amount, currency)} at ${merchant}. You've spent ${formatMoney(spentToday, currency)} today.`;
}

/** `Your card was declined at Brightbird Espresso: insufficient funds` */
export function declineText(merchant: string, reason: string): string {
  return `Your card was declined at ${merchant}: ${reason.replace(/_/g, ' ')}`;
}
