// @ts-check
// Segments: who is in each status, value tier, reason and campaign; a filtered, paged list; a CSV of the segment.

import { api, download, shown } from './api.js';
import { byId as $, clear, el, selectById } from './dom.js';
import { count, day, money, outcomeLabel, reasonLabel, skipLabel, statusLabel, tierLabel } from './format.js';
import { campaignName, stepOf } from './live-config.js';

/** @typedef {import('../usecases/segments.js').SegmentView} SegmentView */
/** @typedef {import('../usecases/segments.js').SegmentRow} SegmentRow */

const filters = /** @type {const} */ (['status', 'tier', 'reason', 'campaign']);
let page = 1;
/** @type {(email: string) => void} */
let openCustomer = () => {};
/** @param {(email: string) => void} handler */
export const whenCustomerChosen = (handler) => (openCustomer = handler);

/** The filters as a query string, without the empty ones. */
function query(extra = {}) {
  const params = new URLSearchParams();
  for (const name of filters) {
    const value = selectById(`segment-${name}`).value;
    if (value) params.set(name, value);
  }
  for (const [name, value] of Object.entries(extra)) params.set(name, String(value));
  return params.toString();
}

export async function loadSegments() {
  $('segments-status').textContent = 'Scoring every customer as of now …';
  /** @type {SegmentView} */
  const view = await api('GET', `/api/segments?${query({ page })}`);
  $('segments-status').textContent =
    `${count(view.matching)} of ${count(view.customers)} customers match${view.complete ? '' : ' (the scan ran out of time: these figures cover the customers read so far)'}.`;
  fillFilter('status', view.counts.byStatus, statusLabel);
  fillFilter('tier', view.counts.byTier, tierLabel);
  fillFilter('reason', view.counts.byReason, reasonLabel);
  fillFilter('campaign', view.counts.byCampaign, campaignLabel);
  const facets = $('segment-counts');
  clear(facets);
  facets.append(
    countTable('By status', view.counts.byStatus, statusLabel),
    countTable('By value tier', view.counts.byTier, tierLabel),
    countTable('By reason', view.counts.byReason, reasonLabel),
    countTable('By campaign', view.counts.byCampaign, campaignLabel),
  );
  renderRows(view);
}

/**
 * The select keeps its choice; each option says how many customers choosing it would give.
 * @param {typeof filters[number]} name @param {Record<string, number>} counts @param {(code: string | undefined) => string} label
 */
function fillFilter(name, counts, label) {
  const select = selectById(`segment-${name}`);
  const chosen = select.value;
  clear(select);
  select.append(el('option', { value: '' }, 'Any'));
  const codes = new Set([...Object.keys(counts), ...(chosen ? [chosen] : [])]);
  for (const code of codes) select.append(el('option', { value: code }, `${label(code)} (${count(counts[code] ?? 0)})`));
  select.value = chosen;
}

/** @param {string} caption @param {Record<string, number>} counts @param {(code: string | undefined) => string} label */
function countTable(caption, counts, label) {
  const table = el(
    'table',
    { class: 'counts' },
    el('caption', {}, caption),
    el('tr', {}, el('th', { scope: 'col' }, 'Group'), el('th', { scope: 'col', class: 'num' }, 'Customers')),
  );
  const entries = Object.entries(counts).sort(([, a], [, b]) => b - a);
  if (!entries.length) table.append(el('tr', {}, el('td', { colspan: 2 }, 'none')));
  for (const [code, value] of entries) table.append(el('tr', {}, el('td', {}, label(code)), el('td', { class: 'num' }, count(value))));
  return table;
}

/** @param {string | undefined} id */
const campaignLabel = (id) => (id === 'none' ? 'No campaign' : campaignName(id));

/** @param {SegmentRow['decision']} decision */
function decisionText(decision) {
  if (!decision) return 'No decision yet';
  const parts = [`${day(decision.asOf)}: ${outcomeLabel(decision.outcome)}`];
  if (decision.campaignId)
    parts.push(`${campaignName(decision.campaignId)}${decision.step === undefined ? '' : `, ${stepOf(decision.campaignId, decision.step)}`}`);
  if (decision.reason) parts.push(skipLabel(decision.reason));
  return parts.join(' · ');
}

/** @param {SegmentView} view */
function renderRows(view) {
  const body = $('segment-rows');
  clear(body);
  const table = el(
    'table',
    { id: 'segment-table' },
    el('caption', {}, `Customers, most value at stake first: page ${view.page} of ${Math.max(1, Math.ceil(view.matching / view.pageSize))}`),
    el(
      'tr',
      {},
      ['Customer', 'Status', 'Value tier', 'Value at stake', 'Reasons', 'Campaign', 'Latest decision'].map((head) => el('th', { scope: 'col' }, head)),
    ),
  );
  if (!view.rows.length) table.append(el('tr', {}, el('td', { colspan: 7 }, 'No customer matches these filters.')));
  for (const row of view.rows) {
    const who = row.email
      ? el('button', { type: 'button', class: 'link', 'data-email': row.email }, row.firstName ? `${row.firstName} · ${row.email}` : row.email)
      : el('span', { class: 'muted' }, `${row.customerId} (no email)`);
    table.append(
      el(
        'tr',
        { 'data-customer': row.customerId },
        el('td', {}, who),
        el('td', {}, statusLabel(row.status)),
        el('td', {}, tierLabel(row.tier)),
        el('td', { class: 'num' }, money(row.valueAtStake)),
        el('td', {}, row.reasons.length ? row.reasons.map((reason) => reasonLabel(reason)).join('; ') : '–'),
        el('td', {}, row.campaign ? campaignName(row.campaign) : '–'),
        el('td', {}, decisionText(row.decision)),
      ),
    );
  }
  body.append(table);
  /** @type {HTMLButtonElement} */ ($('segment-previous')).disabled = view.page <= 1;
  /** @type {HTMLButtonElement} */ ($('segment-next')).disabled = view.page * view.pageSize >= view.matching;
}

async function exportCsv() {
  $('segment-export-result').textContent = '';
  const file = await download(`/api/segments?${query({ format: 'csv' })}`);
  const link = el('a', { href: URL.createObjectURL(file.blob), download: file.name }, `Download ${file.name}`);
  $('segment-export-result').replaceChildren(link, file.complete ? '' : ' (the scan ran out of time: the file covers the customers read so far)');
  link.click();
}

/** @param {(name: string) => (error: unknown) => void} reportFailure */
export function wireSegments(reportFailure) {
  const failure = reportFailure('segments');
  for (const name of filters) {
    selectById(`segment-${name}`).addEventListener('change', () => {
      page = 1;
      loadSegments().catch(failure);
    });
  }
  $('segment-previous').addEventListener('click', () => {
    page = Math.max(1, page - 1);
    loadSegments().catch(failure);
  });
  $('segment-next').addEventListener('click', () => {
    page += 1;
    loadSegments().catch(failure);
  });
  $('segment-export').addEventListener('click', () =>
    exportCsv().catch((error) => {
      if (shown(error)) $('segment-export-result').textContent = `Could not export: ${error.message}`;
    }),
  );
  $('segment-rows').addEventListener('click', (event) => {
    const button = /** @type {HTMLElement} */ (event.target).closest('button[data-email]');
    if (button instanceof HTMLElement && button.dataset.email) openCustomer(button.dataset.email);
  });
}
