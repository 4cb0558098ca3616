// @ts-check
// The dashboard: per campaign the funnel and the lift against the holdout, churn over time and why customers leave.

import { api } from './api.js';
import { byId as $, clear, el, recordTable, svg } from './dom.js';
import { count, day, money, pct, points, reasonLabel, useShop, when } from './format.js';
import { upliftSection } from './uplift.js';

/** @typedef {import('../usecases/build-report.js').Report} Report */
/** @typedef {import('../usecases/build-report.js').CampaignReport} CampaignReport */
/** @typedef {Report['churn']} Churn */
/** @typedef {Report['reasons']} Reasons */
/** @typedef {Report['notes']} Notes */
/** @typedef {Churn['nights'][number]} ChurnNightView */
/** @typedef {Churn['calibration']['nights'][number]} CalibrationNightView */

// ----------------------------------------------------------------------------------------------------
/** The report's dashboard; the header's live version comes from the live config, not the report (which may be older). */
export async function loadDashboard() {
  $('dashboard-status').textContent = 'Loading the report …';
  /** @type {Report & { servedFrom?: 'live' | 'snapshot', generatedAt: string }} */
  const report = await api('GET', '/api/report');
  useShop(report.shop);
  // A large shop's report is the one built after the night: say how old the figures are.
  const asOf = report.servedFrom === 'snapshot' ? ` · figures as of ${when(report.generatedAt)}, built after the night` : '';
  $('dashboard-status').textContent =
    (report.range.from
      ? `Nights ${day(report.range.from)} to ${day(report.range.to)} (${report.range.nights} with sends) · attribution window ${report.attributionWindowDays} days`
      : 'No nights with sends yet.') + asOf;
  const pause = $('shop-pause');
  pause.hidden = !report.shop.paused;
  pause.textContent = report.shop.paused ? `All sending is paused since ${when(report.shop.paused.at)}: ${report.shop.paused.reason}` : '';
  // A new sending domain sends a limited number a night: say how many customers still wait for a later one.
  const warmUp = report.shop.warmUp?.warmingUp ? report.shop.warmUp : undefined;
  $('warm-up-backlog').hidden = !warmUp;
  $('warm-up-backlog').textContent = warmUp
    ? `Warming up the sending domain: at most ${count(warmUp.limit)} emails a night for now; ${count(warmUp.backlog)} customers still wait for a later night (most at stake first).`
    : '';
  const list = $('dashboard-campaigns');
  clear(list);
  for (const campaign of report.campaigns) list.append(campaignCard(campaign));
  renderChurn(report.churn, report.notes);
  renderReasons(report.reasons, report.notes);
}

// Churn over time and why customers leave ---------------------------------------------------------------------
/** @type {readonly ('active' | 'atRisk' | 'lost')[]} */
const statusKeys = ['active', 'atRisk', 'lost'];
/** @type {Record<'active' | 'atRisk' | 'lost', string>} */
const statusColours = { active: '#1e6b2f', atRisk: '#8a5300', lost: '#a4161a' };
/** @type {Record<'active' | 'atRisk' | 'lost', string>} */
const statusNames = { active: 'active', atRisk: 'at risk', lost: 'lost' };
/** @param {{ customers: number, reactivated: number, rate: number }} row */
const tally = (row) => (row.customers ? `${count(row.reactivated)} of ${count(row.customers)} (${pct(row.rate)})` : '–');

/** @param {Churn} churn @param {Notes} notes */
function renderChurn(churn, notes) {
  const body = $('churn-body');
  clear(body);
  if (!churn.nights.length) {
    body.append(el('p', { class: 'muted' }, 'No nights recorded in this range yet.'));
  } else {
    body.append(
      statusChart(churn.nights),
      el('p', { class: 'legend' }, ...statusKeys.map((status) => el('span', { class: `key ${status}` }, statusNames[status]))),
    );
    const latest = churn.nights[churn.nights.length - 1];
    body.append(
      el(
        'p',
        {},
        `Latest night ${day(latest.night)}: ${pct(latest.shares.active)} active, ${pct(latest.shares.atRisk)} at risk, ${pct(latest.shares.lost)} lost of ${count(latest.withOrders)} customers with orders (classified by the ${latest.classifiedBy}).`,
      ),
    );
  }
  const reactivation = churn.reactivation;
  body.append(
    el('h4', {}, `Reactivation within ${reactivation.windowDays} days`),
    el(
      'p',
      { id: 'reactivation-line' },
      `${tally(reactivation)} customers recorded as at risk or lost ordered again; ${count(reactivation.wonBack)} with an order attributed to a win-back email.`,
    ),
    recordTable(
      'Ordered again, by contact',
      ['Group', 'Ordered again'],
      [
        ['Emailed', tally(reactivation.byContact.emailed)],
        ['Held out', tally(reactivation.byContact.held_out)],
        ['Not emailed', tally(reactivation.byContact.not_emailed)],
      ],
    ),
    el('p', { class: 'muted' }, notes.reactivation),
  );
  body.append(el('h4', {}, 'Model calibration: predicted against actual repeat purchases'));
  if (!churn.calibration.nights.length) {
    body.append(el('p', { class: 'muted', id: 'calibration-empty' }, 'No night in this range classified with a fitted model and has history after it yet.'));
  } else {
    body.append(
      recordTable(
        'Per model night',
        ['Night', 'Model', 'Horizon', 'Customers', 'Predicted', 'Actual', 'Error'],
        churn.calibration.nights.map((night) => [
          night.night,
          night.model,
          `${night.horizonDays} days`,
          count(night.customers),
          night.predicted.toFixed(1),
          count(night.actual),
          night.error === null ? '–' : `${night.error >= 0 ? '+' : ''}${pct(night.error)}`,
        ]),
      ),
      calibrationChart(churn.calibration.nights[0]),
    );
  }
  body.append(el('p', { class: 'muted' }, notes.calibration));
}

/** One bar per night split into the shares active, at risk and lost; each part says its value in a tooltip. */
/** @param {readonly ChurnNightView[]} nights */
function statusChart(nights) {
  const width = 640;
  const height = 160;
  const bottom = height - 22;
  const step = (width - 40) / nights.length;
  // Few nights would otherwise make one wall of colour.
  const barWidth = Math.min(36, Math.max(2, step - 2));
  const latest = nights[nights.length - 1];
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-labelledby': 'churn-chart-title', id: 'churn-chart' });
  chart.append(
    svg(
      'title',
      { id: 'churn-chart-title' },
      `Share of customers active, at risk and lost on ${nights.length} nights; latest ${latest.night}: active ${pct(latest.shares.active)}, at risk ${pct(latest.shares.atRisk)}, lost ${pct(latest.shares.lost)}`,
    ),
  );
  chart.append(svg('text', { x: 0, y: 12 }, '100%'), svg('text', { x: 0, y: bottom }, '0%'));
  nights.forEach((night, index) => {
    const x = 36 + index * step;
    let top = bottom;
    for (const status of /** @type {const} */ (['lost', 'atRisk', 'active'])) {
      const barHeight = (bottom - 6) * night.shares[status];
      top -= barHeight;
      const rect = svg('rect', { x: x.toFixed(1), y: top.toFixed(1), width: barWidth.toFixed(1), height: barHeight.toFixed(1), fill: statusColours[status] });
      rect.append(svg('title', {}, `${night.night}: ${statusNames[status]} ${pct(night.shares[status])}`));
      chart.append(rect);
    }
    if (index % Math.ceil(nights.length / 8) === 0) chart.append(svg('text', { x: x.toFixed(1), y: height - 6 }, night.night.slice(5)));
  });
  return el('figure', { class: 'chart' }, chart);
}

/** @param {CalibrationNightView} night */
function calibrationChart(night) {
  const width = 640;
  const height = 150;
  const bottom = height - 34;
  const top = Math.max(1, ...night.bins.flatMap((bin) => [bin.predicted, bin.actual]));
  const step = (width - 20) / night.bins.length;
  const barWidth = step / 2 - 3;
  /** @param {number} value */
  const y = (value) => bottom - (value / top) * (bottom - 8);
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-labelledby': 'calibration-title' });
  chart.append(
    svg(
      'title',
      { id: 'calibration-title' },
      `Night ${night.night}, next ${night.horizonDays} days, by prior repeat purchases: ${night.bins.map((bin) => `${bin.bin}: predicted ${bin.predicted.toFixed(1)}, actual ${bin.actual}`).join('; ')}`,
    ),
  );
  night.bins.forEach((bin, index) => {
    const x = 10 + index * step;
    chart.append(
      svg('rect', {
        x: x.toFixed(1),
        y: y(bin.predicted).toFixed(1),
        width: barWidth.toFixed(1),
        height: (bottom - y(bin.predicted)).toFixed(1),
        fill: '#6b7f99',
      }),
      svg('rect', {
        x: (x + barWidth + 2).toFixed(1),
        y: y(bin.actual).toFixed(1),
        width: barWidth.toFixed(1),
        height: (bottom - y(bin.actual)).toFixed(1),
        fill: '#0b5394',
      }),
      svg('text', { x: (x + barWidth / 2).toFixed(1), y: bottom + 14 }, bin.bin),
    );
  });
  chart.append(svg('text', { x: 10, y: height - 4 }, 'prior repeat purchases: predicted (grey) and actual (blue) purchase days'));
  return el('figure', { class: 'chart' }, chart);
}

/** @param {Reasons} reasons @param {Notes} notes */
function renderReasons(reasons, notes) {
  const body = $('reasons-body');
  clear(body);
  const feedback = reasons.feedback;
  body.append(el('h4', {}, 'Feedback answers'));
  if (!feedback.total) body.append(el('p', { class: 'muted' }, 'No feedback answers in this range yet.'));
  else
    body.append(
      barChart(
        'feedback-chart',
        `Feedback answers: ${feedback.answers.map((answer) => `${answer.label} ${answer.count}`).join(', ')}`,
        feedback.answers.map((answer) => [answer.label, answer.count]),
      ),
    );
  const campaignIds = Object.keys(feedback.byCampaign).sort();
  if (feedback.total)
    body.append(
      recordTable(
        'Answers by campaign',
        ['Answer', ...campaignIds],
        feedback.answers.map((answer) => [answer.label, ...campaignIds.map((id) => count(feedback.byCampaign[id][answer.answer] ?? 0))]),
      ),
    );
  body.append(el('h4', {}, 'Comments, newest first'));
  const comments = el('ul', { class: 'comments', id: 'feedback-comments' });
  // The answer in the survey's words, the time in the shop's zone (a UTC date can be the day before or after).
  const answerLabel = (/** @type {string} */ code) => feedback.answers.find((answer) => answer.answer === code)?.label ?? code;
  for (const comment of feedback.comments)
    comments.append(
      el(
        'li',
        {},
        el('span', { class: 'muted' }, `${when(comment.at)} · ${comment.campaignId} · ${answerLabel(comment.answer)}: `),
        el('q', {}, comment.comment),
      ),
    );
  body.append(feedback.comments.length ? comments : el('p', { class: 'muted' }, 'No comments yet.'));

  const codes = reasons.codes;
  /** @type {[string, import('../domain/report-churn.js').ReasonTally][]} */
  const groups = [
    ['At risk now', codes.now.byStatus.at_risk],
    ['Lost now', codes.now.byStatus.lost],
    ...codes.byCampaign.map((row) => /** @type {[string, import('../domain/report-churn.js').ReasonTally]} */ ([`Chosen by ${row.campaignId}`, row])),
  ];
  const names = [...new Set(groups.flatMap(([, group]) => Object.keys(group.codes)))].sort();
  /** @param {number} value @param {number} customers */
  const share = (value, customers) => (customers ? `${count(value)} (${pct(value / customers, 0)})` : count(value));
  body.append(
    el('h4', {}, 'Reason codes, from the data'),
    recordTable(
      `Customers by reason code (now: as of ${codes.now.asOf ?? 'no night yet'}; a customer can carry several)`,
      ['Reason', ...groups.map(([label]) => label)],
      [
        ['Customers', ...groups.map(([, group]) => count(group.customers))],
        ...names.map((name) => [reasonLabel(name), ...groups.map(([, group]) => share(group.codes[name] ?? 0, group.customers))]),
        ['No reason code', ...groups.map(([, group]) => share(group.withoutReason, group.customers))],
      ],
    ),
    el('p', { class: 'muted' }, notes.reasons),
  );
}

/** @param {string} id @param {string} title @param {[string, number][]} rows */
function barChart(id, title, rows) {
  const width = 480;
  const rowHeight = 24;
  const labelWidth = 170;
  const max = Math.max(1, ...rows.map(([, value]) => value));
  const chart = svg('svg', {
    viewBox: `0 0 ${width} ${rows.length * rowHeight + 4}`,
    width,
    height: rows.length * rowHeight + 4,
    role: 'img',
    'aria-labelledby': `${id}-title`,
    id,
  });
  chart.append(svg('title', { id: `${id}-title` }, title));
  rows.forEach(([label, value], index) => {
    const y = index * rowHeight + 2;
    const barWidth = Math.round(((width - labelWidth - 50) * value) / max);
    chart.append(
      svg('text', { x: 0, y: y + 15 }, label),
      svg('rect', { x: labelWidth, y: y + 3, width: Math.max(barWidth, 1), height: rowHeight - 8, fill: '#0b5394', rx: 2 }),
      svg('text', { x: labelWidth + barWidth + 6, y: y + 15 }, count(value)),
    );
  });
  return el('figure', { class: 'chart' }, chart);
}

/** @param {CampaignReport} campaign */
function campaignCard(campaign) {
  const state = campaign.paused
    ? el('span', { class: 'badge' }, campaign.paused.scope === 'shop' ? 'Paused (all sending)' : 'Paused')
    : el('span', { class: 'badge on' }, campaign.enabled === false ? 'Disabled' : 'Sending');
  const card = el(
    'article',
    { class: 'card campaign', 'data-campaign': campaign.id, 'aria-labelledby': `campaign-${campaign.id}` },
    el(
      'div',
      { class: 'campaign-head' },
      el('h3', { id: `campaign-${campaign.id}` }, campaign.name ? `${campaign.name} (${campaign.id})` : campaign.id),
      state,
    ),
  );
  if (campaign.paused)
    card.append(
      el(
        'p',
        { class: 'alert' },
        `Paused since ${when(campaign.paused.at)}: ${campaign.paused.reason}. Resume it on purpose with: winback campaigns resume ${campaign.paused.scope === 'shop' ? 'shop' : campaign.id}`,
      ),
    );
  /** @type {[string, number][]} */
  const funnel = [
    ['Sent', campaign.sent],
    ['Delivered', campaign.delivered],
    ['Clicked', campaign.clicked],
    ['Conversions', campaign.conversions],
  ];
  const lift = campaign.lift;
  const facts = el(
    'dl',
    { class: 'facts' },
    el('dt', {}, 'Lift vs holdout'),
    el('dd', {}, lift.absolute === null ? '–' : points(lift.absolute)),
    el('dt', {}, '95% interval'),
    el('dd', {}, lift.ci95 ? `${points(lift.ci95[0])} to ${points(lift.ci95[1])}` : '–'),
    el('dt', {}, 'Emailed who ordered'),
    el(
      'dd',
      {},
      campaign.treated.customers ? `${count(campaign.treated.converted)} of ${count(campaign.treated.customers)} (${pct(campaign.treated.rate)})` : '–',
    ),
    el('dt', {}, 'Holdout who ordered'),
    el(
      'dd',
      {},
      campaign.holdout.customers ? `${count(campaign.holdout.converted)} of ${count(campaign.holdout.customers)} (${pct(campaign.holdout.rate)})` : '–',
    ),
    el('dt', {}, 'Revenue (attributed)'),
    el('dd', {}, money(campaign.revenue)),
    el('dt', {}, 'Incremental revenue, net'),
    el('dd', {}, lift.incrementalRevenue ? money(lift.incrementalRevenue.net) : '–'),
    el('dt', {}, 'Bounce / complaint rate'),
    el('dd', {}, `${pct(campaign.deliverability.bounceRate)} / ${pct(campaign.deliverability.complaintRate, 3)}`),
  );
  card.append(
    el('div', { class: 'grid' }, el('div', {}, funnelChart(campaign.id, funnel)), el('div', {}, liftChart(campaign.id, lift), facts)),
    el('p', { class: 'verdict' }, campaign.verdict.text),
  );
  if (campaign.uplift) card.append(upliftSection(campaign.id, campaign.uplift));
  return card;
}

/** Horizontal bars with their numbers; the table-like text is in the SVG's title and labels for screen readers. */
/** @param {string} id @param {[string, number][]} rows */
function funnelChart(id, rows) {
  const width = 320;
  const rowHeight = 26;
  const labelWidth = 90;
  const max = Math.max(1, ...rows.map(([, value]) => value));
  const chart = svg('svg', {
    viewBox: `0 0 ${width} ${rows.length * rowHeight + 4}`,
    width,
    height: rows.length * rowHeight + 4,
    role: 'img',
    'aria-labelledby': `funnel-title-${id}`,
  });
  chart.append(svg('title', { id: `funnel-title-${id}` }, `Funnel: ${rows.map(([label, value]) => `${label} ${value}`).join(', ')}`));
  rows.forEach(([label, value], index) => {
    const y = index * rowHeight + 2;
    const barWidth = Math.round(((width - labelWidth - 60) * value) / max);
    chart.append(svg('text', { x: 0, y: y + 16 }, label));
    chart.append(svg('rect', { x: labelWidth, y: y + 3, width: Math.max(barWidth, 1), height: rowHeight - 8, fill: '#0b5394', rx: 2 }));
    chart.append(svg('text', { x: labelWidth + barWidth + 6, y: y + 16 }, count(value)));
  });
  return el('figure', { class: 'chart' }, chart);
}

/** The lift as a point with its 95% interval against the zero line. */
/** @param {string} id @param {CampaignReport['lift']} lift */
function liftChart(id, lift) {
  const width = 320;
  const height = 46;
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-labelledby': `lift-title-${id}` });
  if (lift.absolute === null || !lift.ci95) {
    chart.append(svg('title', { id: `lift-title-${id}` }, 'Lift: no holdout to compare with yet'));
    chart.append(svg('text', { x: 0, y: 24 }, 'No lift yet: nobody in the holdout.'));
    return chart;
  }
  const [low, high] = lift.ci95;
  const span = Math.max(Math.abs(low), Math.abs(high), Math.abs(lift.absolute), 0.01) * 1.15;
  /** @param {number} value */
  const x = (value) => 10 + ((value + span) / (2 * span)) * (width - 20);
  const colour = low > 0 ? '#1e6b2f' : high < 0 ? '#a4161a' : '#4a5560';
  chart.append(svg('title', { id: `lift-title-${id}` }, `Lift ${points(lift.absolute)}, 95% interval ${points(low)} to ${points(high)}`));
  chart.append(svg('line', { x1: x(0), x2: x(0), y1: 4, y2: 30, stroke: '#1b1f24', 'stroke-dasharray': '3 3' }));
  chart.append(svg('line', { x1: x(low), x2: x(high), y1: 17, y2: 17, stroke: colour, 'stroke-width': 4 }));
  chart.append(svg('circle', { cx: x(lift.absolute), cy: 17, r: 6, fill: colour }));
  chart.append(svg('text', { x: x(0) - 3, y: 43 }, '0'));
  chart.append(svg('text', { x: 2, y: 43 }, points(-span)));
  chart.append(svg('text', { x: width - 62, y: 43 }, points(span)));
  return chart;
}
