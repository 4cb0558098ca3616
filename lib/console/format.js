// @ts-check
// One language for the whole console: the shop's locale, currency and time zone, and the labels the server names
// (lib/domain/labels.ts, served as /console/labels.json). Steps are "Email N (day D)" on every screen, counted from 1.

/** @typedef {import('../domain/labels.js').ConsoleLabels} ConsoleLabels */
/** @typedef {import('../config/campaign-config.js').CampaignConfig} CampaignConfig */

/** @type {{ currency: string, locale: string, timeZone: string }} */
export let shop = { currency: 'EUR', locale: 'en-IE', timeZone: 'UTC' };
/** @type {ConsoleLabels} */
let labels = {
  statuses: /** @type {any} */ ({}),
  reasons: /** @type {any} */ ({}),
  outcomes: /** @type {any} */ ({}),
  valueTiers: {},
  targeting: /** @type {any} */ ({}),
  allocation: /** @type {any} */ ({}),
  upliftSkips: /** @type {any} */ ({}),
  skipReasons: /** @type {any} */ ({}),
};

/** @param {{ currency: string, locale: string, timeZone: string }} settings */
export const useShop = (settings) => (shop = { currency: settings.currency, locale: settings.locale, timeZone: settings.timeZone });
/** @param {ConsoleLabels} loaded */
export const useLabels = (loaded) => (labels = loaded);

/** A code no label names yet still reads as words. @param {string} code */
const words = (code) => {
  const text = code.replace(/_/g, ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
};
/** @param {Record<string, string>} table @param {string | undefined} code */
const label = (table, code) => (code === undefined ? '–' : (table[code] ?? words(code)));

/** @param {string | undefined} code */
export const statusLabel = (code) => label(labels.statuses, code);
/** @param {string | undefined} code */
export const reasonLabel = (code) => label(labels.reasons, code);
/** @param {string | undefined} code */
export const tierLabel = (code) => label(labels.valueTiers, code);
/** @param {string | undefined} code */
export const skipLabel = (code) => label(labels.skipReasons, code);
/** @param {string | undefined} code */
export const outcomeLabel = (code) => label(labels.outcomes, code);
/** @param {string | undefined} code */
export const targetingLabel = (code) => label(labels.targeting, code);
/** @param {string | undefined} code */
export const allocationLabel = (code) => label(labels.allocation, code);
/** @param {string | undefined} code */
export const upliftSkipLabel = (code) => label(labels.upliftSkips, code);

/**
 * "Email 2 (day 7)": steps are stored from 0 and shown from 1, with the day the step goes out when it is known.
 * @param {number | undefined} step
 * @param {number} [delayDays]
 */
export const stepLabel = (step, delayDays) => (step === undefined ? '–' : `Email ${step + 1}${delayDays === undefined ? '' : ` (day ${delayDays})`}`);

/** @param {number | undefined | null} value */
export const count = (value) => new Intl.NumberFormat(shop.locale).format(value ?? 0);
/** @param {string | number | undefined | null} decimal */
export const money = (decimal) =>
  decimal === undefined || decimal === null ? '–' : new Intl.NumberFormat(shop.locale, { style: 'currency', currency: shop.currency }).format(Number(decimal));
/** @param {number} rate @param {number} [digits] */
export const pct = (rate, digits = 1) => `${(rate * 100).toFixed(digits)}%`;
/** @param {number} difference */
export const points = (difference) => `${difference >= 0 ? '+' : ''}${(difference * 100).toFixed(1)} pts`;

/** Times are UTC inside; a marketer reads them in the shop's time zone, named. @param {string | undefined | null} iso */
export const when = (iso) =>
  iso
    ? new Date(iso).toLocaleString(shop.locale, {
        day: 'numeric',
        month: 'short',
        year: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
        timeZone: shop.timeZone,
        timeZoneName: 'short',
      })
    : '–';

/** Today as the shop's calendar day (YYYY-MM-DD): a night is named by the shop's date, not UTC's. */
export const today = () => {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en', { timeZone: shop.timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })
      .formatToParts(new Date())
      .map((part) => [part.type, part.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}`;
};

/** A calendar day (YYYY-MM-DD, already the shop's) as the shop writes it. @param {string | undefined | null} day */
export const day = (day) =>
  day ? new Date(`${day}T12:00:00Z`).toLocaleDateString(shop.locale, { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }) : '–';

/** @param {unknown} value */
export const show = (value) => (value === undefined || value === null ? '–' : typeof value === 'object' ? JSON.stringify(value) : String(value));
