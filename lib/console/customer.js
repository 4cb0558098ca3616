// @ts-check
// A customer's page: status, scores, reasons, journey and decisions, in words.

import { api, shown } from './api.js';
import { byId as $, clear, el, inputById, recordTable } from './dom.js';
import { count, day, money, outcomeLabel, pct, reasonLabel, show, skipLabel, statusLabel, when } from './format.js';
import { campaignName, liveCampaign, stepOf } from './live-config.js';

/** @typedef {import('../usecases/customer-view.js').CustomerView} CustomerView */
/** "In Lost customers (lost-winback), variant control, since 1 Mar 2026; next: Email 2 (day 7)". @param {NonNullable<CustomerView['journey']>} journey */
function journeyText(journey) {
  const campaign = liveCampaign(journey.campaignId);
  const group = journey.arm === 'holdout' ? 'in the holdout (gets nothing, to measure lift)' : `variant ${journey.arm}`;
  const next = campaign && journey.nextStep >= campaign.steps.length ? 'every email sent' : `next: ${stepOf(journey.campaignId, journey.nextStep)}`;
  return `In ${campaignName(journey.campaignId)}, ${group}, since ${day(journey.startedOn)}; ${journey.arm === 'holdout' ? 'last step held back' : 'last email'} ${when(journey.lastStepAt)}; ${next}.`;
}

/** @param {string} email */
export async function showCustomer(email) {
  inputById('customer-email').value = email;
  const result = $('customer-result');
  $('customer-problem').textContent = '';
  clear(result);
  try {
    /** @type {CustomerView} */
    const view = await api('GET', `/api/customers?email=${encodeURIComponent(email)}`);
    const scores = view.scores;
    result.append(
      el('h3', {}, `${view.firstName ?? view.email}: ${statusLabel(view.status)}`),
      el(
        'dl',
        { class: 'facts', id: 'customer-facts' },
        el('dt', {}, 'Email'),
        el('dd', {}, view.email),
        el('dt', {}, 'Status'),
        el('dd', {}, statusLabel(view.status)),
        el('dt', {}, 'Orders'),
        el('dd', {}, `${count(view.orderCount)} · ${money(view.totalSpent)} · last ${when(view.lastOrderAt)}`),
        el('dt', {}, 'Consent'),
        el('dd', {}, `${view.consent.state.replace(/_/g, ' ')} (from ${view.consent.source})${view.suppressed ? ' · on the suppression list' : ''}`),
        el('dt', {}, 'Scored by'),
        el('dd', {}, scores.classifiedBy === 'model' ? 'the fitted model' : 'the cadence rule'),
        el('dt', {}, 'Chance still a customer'),
        el('dd', {}, scores.pAlive === undefined ? '–' : pct(scores.pAlive)),
        el('dt', {}, 'Expected orders, 90 days'),
        el('dd', {}, scores.expectedOrders90 === undefined ? '–' : scores.expectedOrders90.toFixed(2)),
        el('dt', {}, 'Value at stake'),
        el('dd', {}, money(scores.valueAtStake)),
        el('dt', {}, 'Days since last order'),
        el('dd', {}, show(scores.daysSinceLastOrder)),
        el('dt', {}, 'Why they are slipping'),
        el('dd', {}, scores.reasonCodes.length ? scores.reasonCodes.map((code) => reasonLabel(code)).join('; ') : 'no reason in the data'),
        el('dt', {}, 'Journey'),
        el('dd', { id: 'customer-journey' }, view.journey ? journeyText(view.journey) : 'Not in a campaign'),
      ),
      recordTable(
        'Decisions, newest first',
        ['Night', 'Decision', 'Campaign', 'Email', 'Why'],
        view.decisions.map((d) => [
          day(d.asOf),
          outcomeLabel(d.outcome),
          d.campaignId ? campaignName(d.campaignId) : '–',
          d.step === undefined ? '–' : stepOf(d.campaignId, d.step),
          d.reason ? skipLabel(d.reason) : '–',
        ]),
      ),
      recordTable(
        'Emails',
        ['Night', 'Campaign', 'Email', 'Status', 'Attributed revenue'],
        view.sends.map((s) => [
          day(s.asOf),
          campaignName(s.campaignId),
          stepOf(s.campaignId, s.step),
          outcomeLabel(s.status) === s.status ? s.status.replace(/_/g, ' ') : outcomeLabel(s.status),
          s.attributedRevenue === undefined ? '–' : money(s.attributedRevenue),
        ]),
      ),
    );
  } catch (error) {
    if (shown(error))
      $('customer-problem').textContent =
        /** @type {{ status?: number }} */ (error).status === 404 ? 'No customer with that email address.' : /** @type {Error} */ (error).message;
  }
}
