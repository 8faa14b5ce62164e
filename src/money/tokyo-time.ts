/**
 * Calendar boundaries in Asia/Tokyo. Japan has no daylight saving time, so JST is a fixed UTC+9 and the
 * boundaries can be computed without a time-zone database.
 */
const JST_OFFSET_MS = 9 * 60 * 60 * 1000;

/** The UTC instant at which the Asia/Tokyo calendar month containing `at` began. */
export function tokyoMonthStart(at: Date): Date {
  const local = new Date(at.getTime() + JST_OFFSET_MS);
  return new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), 1) - JST_OFFSET_MS);
}

/** The UTC instant at which the Asia/Tokyo calendar day containing `at` began. */
export function tokyoDayStart(at: Date): Date {
  const local = new Date(at.getTime() + JST_OFFSET_MS);
  return new Date(Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate()) - JST_OFFSET_MS);
}

/** The Asia/Tokyo date (YYYY-MM-DD) of an instant. */
export function tokyoDate(at: Date): string {
  return new Date(at.getTime() + JST_OFFSET_MS).toISOString().slice(0, 10);
}

/** Adds whole Asia/Tokyo calendar days to the day start of `at`. */
export function addTokyoDays(at: Date, days: number): Date {
  return new Date(tokyoDayStart(at).getTime() + days * 24 * 60 * 60 * 1000);
}
