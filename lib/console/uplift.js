// @ts-check
// A campaign's uplift view on the dashboard (issue 28, docs/uplift.md): how it targets, whom it did not email and why,
// what that saved, the uplift by segment with its interval, and which offer earns the most incremental margin where.

import { el, recordTable } from './dom.js';
import { allocationLabel, count, day, money, pct, points, shop, statusLabel, targetingLabel, upliftSkipLabel } from './format.js';

/** @typedef {import('../usecases/build-report.js').UpliftView} UpliftView */

/** @type {readonly ('sure_thing' | 'lost_cause' | 'do_not_disturb')[]} */
const skipReasons = ['sure_thing', 'lost_cause', 'do_not_disturb'];

/** The report keeps per-customer margins in minor units, unrounded: shown in the shop's currency. @param {number} minor */
function fromMinor(minor) {
  const digits = new Intl.NumberFormat('en', { style: 'currency', currency: shop.currency }).resolvedOptions().maximumFractionDigits ?? 2;
  return money(Math.round(minor) / 10 ** digits);
}

/** "lost/repeat" as "Lost, repeat buyers": the segments the learner and the offer sizing pool customers by. @param {string} segment */
export function segmentLabel(segment) {
  const [status, buyers] = segment.split('/');
  const kind = buyers === 'repeat' ? 'repeat buyers' : buyers === 'one-time' ? 'one-time buyers' : buyers;
  return kind ? `${statusLabel(status)}, ${kind}` : statusLabel(status);
}

/** @param {UpliftView} uplift */
function latestLine(uplift) {
  const latest = uplift.latest;
  if (!latest)
    return uplift.targeting === 'uplift' || uplift.allocation === 'thompson'
      ? 'No night has planned this campaign yet.'
      : 'Emails everyone eligible; each night still records what it knew, so uplift targeting can learn from it.';
  const used = latest.used === 'uplift' ? 'targeted by uplift' : 'emailed everyone eligible';
  // The night's own words for a fallback: it names the data it lacked.
  const why = latest.reason ? `: ${latest.reason}` : latest.cvQini !== undefined ? ` (the model's Qini on held-out folds: ${latest.cvQini.toFixed(3)})` : '';
  return `${day(latest.night)}: ${used}${why}`;
}

/** @param {string} campaignId @param {UpliftView} uplift */
export function upliftSection(campaignId, uplift) {
  const headingId = `uplift-${campaignId}`;
  const skipped = uplift.notEmailed;
  const nights = uplift.nights;
  const targets = uplift.targeting === 'uplift' || skipReasons.some((reason) => skipped[reason] > 0);
  const section = el(
    'section',
    { class: 'uplift', 'aria-labelledby': headingId, 'data-uplift': campaignId },
    el('h4', { id: headingId }, 'Uplift: whom the email moves'),
    el(
      'dl',
      { class: 'facts' },
      el('dt', {}, 'Targeting'),
      el('dd', { 'data-fact': 'targeting' }, targetingLabel(uplift.targeting)),
      el('dt', {}, 'Offers'),
      el('dd', { 'data-fact': 'allocation' }, allocationLabel(uplift.allocation)),
      el('dt', {}, 'Latest night'),
      el('dd', { 'data-fact': 'latest' }, latestLine(uplift)),
      targets ? [el('dt', {}, 'Expected margin saved'), el('dd', { 'data-fact': 'margin-saved' }, money(uplift.marginSaved))] : null,
      targets ? [el('dt', {}, 'Discount not given away'), el('dd', { 'data-fact': 'discount-saved' }, money(uplift.discountSaved))] : null,
    ),
    // A campaign that emails everyone skips nobody: a table of zeros would only be noise.
    targets
      ? [
          recordTable(
            'Not emailed by uplift targeting (customers)',
            ['Why', 'Customers'],
            [...skipReasons.map((reason) => [upliftSkipLabel(reason), count(skipped[reason])]), ['Chosen anyway, to keep learning', count(nights.explored)]],
          ),
          el(
            'p',
            { class: 'muted' },
            `Over ${count(nights.uplift)} night${nights.uplift === 1 ? '' : 's'} that targeted by uplift; ${count(nights.everyone)} fell back to emailing everyone. The holdout is kept either way, so learning never stops.`,
          ),
        ]
      : null,
    recordTable(
      'Uplift by segment: emailed against held out, who ordered',
      ['Segment', 'Emailed who ordered', 'Held out who ordered', 'Uplift', '95% interval'],
      uplift.bySegment.map((row) => [
        segmentLabel(row.segment),
        share(row.treated),
        share(row.holdout),
        row.uplift === null ? '–' : points(row.uplift),
        row.ci95 ? `${points(row.ci95[0])} to ${points(row.ci95[1])}` : '–',
      ]),
    ),
  );
  if (uplift.offers.some((segment) => segment.variants.length > 1)) {
    section.append(
      recordTable(
        'Which offer wins where: incremental margin per customer emailed',
        ['Segment', 'Variant', 'Customers', 'Margin per customer', 'Against the holdout', '95% interval', 'Chance it is best', 'Discount given'],
        uplift.offers.flatMap((segment) =>
          segment.variants.map((row) => [
            segmentLabel(segment.segment),
            row.variant === segment.leader ? `${row.variant} (leads)` : row.variant,
            count(row.customers),
            fromMinor(row.marginPerCustomerMinor),
            row.incrementalMinor === null ? '–' : fromMinor(row.incrementalMinor),
            row.ci95Minor ? `${fromMinor(row.ci95Minor[0])} to ${fromMinor(row.ci95Minor[1])}` : '–',
            pct(row.winProbability, 0),
            fromMinor(row.discountGivenMinor),
          ]),
        ),
      ),
    );
  }
  return section;
}

/** @param {{ customers: number, converted: number }} group */
const share = (group) => (group.customers ? `${count(group.converted)} of ${count(group.customers)} (${pct(group.converted / group.customers)})` : '–');
