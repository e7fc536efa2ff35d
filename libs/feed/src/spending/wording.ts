/** Money as the app shows it: `£19.15`, `€4.00`, `¥500`, from minor units. */
export function formatMoney(minorUnits: number, currency: string, locale = 'en-GB'): string {
  const format = new Intl.NumberFormat(locale, { style: 'currency', currency });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(minorUnits / 10 ** digits);
}

/** The calendar day (YYYY-MM-DD) an instant falls on in a time zone. */
export function localDay(isoTime: string, timeZone: string): string {
  // en-CA formats dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(isoTime));
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
