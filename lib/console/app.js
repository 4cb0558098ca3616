// The marketers' console: plain DOM, no framework. Every value from the API is rendered with textContent or as an
// SVG attribute, never parsed as HTML; the page's CSP allows only this origin's script and styles.
'use strict';

const tokenKey = 'winback.adminToken';
const $ = (id) => document.getElementById(id);
const svgNs = 'http://www.w3.org/2000/svg';

/** An element with text and attributes; children may be nodes, strings or nothing. */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) if (value !== undefined && value !== null) node.setAttribute(name, String(value));
  for (const child of children.flat()) if (child !== undefined && child !== null && child !== false) node.append(child instanceof Node ? child : String(child));
  return node;
}
function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(svgNs, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = String(text);
  return node;
}
const clear = (node) => node.replaceChildren();

class ApiError extends Error {
  constructor(status, body) {
    super((body && (body.problem || body.error)) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${sessionStorage.getItem(tokenKey) ?? ''}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body } : {}),
  });
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (response.status === 401) {
    sessionStorage.removeItem(tokenKey);
    showLogin(signIn.kind === 'cognito' ? 'Your session has ended. Sign in again.' : 'That token was not accepted. Enter the admin token again.');
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

// Formatting ---------------------------------------------------------------------------------------------------
let shop = { currency: 'EUR', locale: 'en-IE', timeZone: 'UTC' };
const count = (value) => new Intl.NumberFormat(shop.locale).format(value ?? 0);
const money = (decimal) => (decimal === undefined || decimal === null ? '–' : new Intl.NumberFormat(shop.locale, { style: 'currency', currency: shop.currency }).format(Number(decimal)));
const pct = (rate, digits = 1) => `${(rate * 100).toFixed(digits)}%`;
const points = (difference) => `${difference >= 0 ? '+' : ''}${(difference * 100).toFixed(1)} pts`;
// Times are UTC inside; a marketer reads them in the shop's time zone, named.
const when = (iso) => (iso ? new Date(iso).toLocaleString(shop.locale, { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: shop.timeZone, timeZoneName: 'short' }) : '–');
const show = (value) => (value === undefined || value === null ? '–' : typeof value === 'object' ? JSON.stringify(value) : String(value));

// Sign-in and tabs ---------------------------------------------------------------------------------------------
/** How to sign in, from /console/config.json: the admin token (locally), or the shop's Cognito user pool (on AWS). */
let signIn = { kind: 'token' };

function showLogin(problem = '') {
  $('app').hidden = true;
  $('sign-out').hidden = true;
  $('login').hidden = false;
  $('login-problem').textContent = problem;
  const cognito = signIn.kind === 'cognito';
  $('token-sign-in').hidden = cognito;
  $('token').required = !cognito;
  $('cognito-sign-in').hidden = !cognito;
  (cognito ? $('cognito-sign-in') : $('token')).focus();
}

// Cognito's hosted login, authorization code with PKCE (RFC 7636), written here because the page has no build step
// and the flow is three requests; the code verifier never leaves this tab.
const pkceKey = 'winback.pkce';
const base64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const redirectUri = () => `${location.origin}/`;

async function startCognitoSignIn() {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
  sessionStorage.setItem(pkceKey, JSON.stringify({ verifier, state }));
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  const query = new URLSearchParams({ response_type: 'code', client_id: signIn.clientId, redirect_uri: redirectUri(), scope: 'openid email', state, code_challenge: challenge, code_challenge_method: 'S256' });
  location.assign(`${signIn.url}/oauth2/authorize?${query}`);
}

/** Back from the hosted login with ?code=&state=: trades the code for tokens, then cleans the address bar. */
async function finishCognitoSignIn() {
  const query = new URLSearchParams(location.search);
  const code = query.get('code');
  if (!code) return false;
  history.replaceState(null, '', location.pathname);
  const started = JSON.parse(sessionStorage.getItem(pkceKey) ?? 'null');
  sessionStorage.removeItem(pkceKey);
  if (!started || started.state !== query.get('state')) {
    showLogin('That sign-in did not start here. Sign in again.');
    return true;
  }
  const response = await fetch(`${signIn.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', client_id: signIn.clientId, code, redirect_uri: redirectUri(), code_verifier: started.verifier }),
  });
  const tokens = response.ok ? await response.json() : null;
  if (!tokens || !tokens.access_token) {
    showLogin('The sign-in could not be completed. Sign in again.');
    return true;
  }
  // The access token is what the API's JWT authorizer checks (its client_id is this console's app client).
  sessionStorage.setItem(tokenKey, tokens.access_token);
  openApp();
  return true;
}

function signOut() {
  sessionStorage.removeItem(tokenKey);
  if (signIn.kind === 'cognito') {
    location.assign(`${signIn.url}/logout?${new URLSearchParams({ client_id: signIn.clientId, logout_uri: redirectUri() })}`);
    return;
  }
  showLogin();
}

function openApp() {
  $('login').hidden = true;
  $('app').hidden = false;
  $('sign-out').hidden = false;
  selectTab('dashboard');
}

const tabs = () => [...document.querySelectorAll('[role="tab"]')];
/** What each tab loads when opened; Customer lookup loads nothing until its form is sent. */
const loaders = { dashboard: loadDashboard, campaigns: loadCampaigns, preview: loadPreviewChoices, customer: async () => {} };

function selectTab(name, focus = false) {
  for (const tab of tabs()) {
    const selected = tab.id === `tab-${name}`;
    tab.setAttribute('aria-selected', String(selected));
    tab.tabIndex = selected ? 0 : -1;
    $(tab.getAttribute('aria-controls')).hidden = !selected;
    if (selected && focus) tab.focus();
  }
  // Through a promise whatever the loader returns or throws: one tab's failure is shown in its panel, never thrown.
  Promise.resolve().then(() => loaders[name]()).catch(reportFailure(name));
}

const reportFailure = (name) => (error) => {
  const target = { dashboard: 'dashboard-status', campaigns: 'campaigns-status', preview: 'preview-problem', customer: 'customer-problem' }[name];
  if (!(error instanceof ApiError && error.status === 401)) $(target).textContent = `Could not load: ${error.message}`;
};

// Dashboard ----------------------------------------------------------------------------------------------------
async function loadDashboard() {
  $('dashboard-status').textContent = 'Loading the report …';
  const report = await api('GET', '/api/report');
  shop = { currency: report.shop.currency, locale: report.shop.locale, timeZone: report.shop.timeZone };
  $('shop-line').textContent = `${report.shop.name} · config version ${report.configVersion}`;
  // A large shop's report is the one built after the night: say how old the figures are.
  const asOf = report.servedFrom === 'snapshot' ? ` · figures as of ${when(report.generatedAt)}, built after the night` : '';
  $('dashboard-status').textContent =
    (report.range.from
      ? `Nights ${report.range.from} to ${report.range.to} (${report.range.nights} with sends) · attribution window ${report.attributionWindowDays} days`
      : 'No nights with sends yet.') + asOf;
  const pause = $('shop-pause');
  pause.hidden = !report.shop.paused;
  pause.textContent = report.shop.paused ? `All sending is paused since ${when(report.shop.paused.at)}: ${report.shop.paused.reason}` : '';
  const list = $('dashboard-campaigns');
  clear(list);
  for (const campaign of report.campaigns) list.append(campaignCard(campaign));
  renderChurn(report.churn, report.notes);
  renderReasons(report.reasons, report.notes);
}

// Churn over time and why customers leave ---------------------------------------------------------------------
const statusColours = { active: '#1e6b2f', atRisk: '#8a5300', lost: '#a4161a' };
const statusNames = { active: 'active', atRisk: 'at risk', lost: 'lost' };
const tally = (row) => (row.customers ? `${count(row.reactivated)} of ${count(row.customers)} (${pct(row.rate)})` : '–');

function renderChurn(churn, notes) {
  const body = $('churn-body');
  clear(body);
  if (!churn.nights.length) {
    body.append(el('p', { class: 'muted' }, 'No nights recorded in this range yet.'));
  } else {
    body.append(statusChart(churn.nights), el('p', { class: 'legend' }, ...['active', 'atRisk', 'lost'].map((status) => el('span', { class: `key ${status}` }, statusNames[status]))));
    const latest = churn.nights[churn.nights.length - 1];
    body.append(el('p', {}, `Latest night ${latest.night}: ${pct(latest.shares.active)} active, ${pct(latest.shares.atRisk)} at risk, ${pct(latest.shares.lost)} lost of ${count(latest.withOrders)} customers with orders (classified by the ${latest.classifiedBy}).`));
  }
  const reactivation = churn.reactivation;
  body.append(
    el('h4', {}, `Reactivation within ${reactivation.windowDays} days`),
    el('p', { id: 'reactivation-line' }, `${tally(reactivation)} customers recorded as at risk or lost ordered again; ${count(reactivation.wonBack)} with an order attributed to a win-back email.`),
    recordTable('Ordered again, by contact', ['Group', 'Ordered again'], [
      ['Emailed', tally(reactivation.byContact.emailed)],
      ['Held out', tally(reactivation.byContact.held_out)],
      ['Not emailed', tally(reactivation.byContact.not_emailed)],
    ]),
    el('p', { class: 'muted' }, notes.reactivation),
  );
  body.append(el('h4', {}, 'Model calibration: predicted against actual repeat purchases'));
  if (!churn.calibration.nights.length) {
    body.append(el('p', { class: 'muted', id: 'calibration-empty' }, 'No night in this range classified with a fitted model and has history after it yet.'));
  } else {
    body.append(
      recordTable('Per model night', ['Night', 'Model', 'Horizon', 'Customers', 'Predicted', 'Actual', 'Error'], churn.calibration.nights.map((night) => [night.night, night.model, `${night.horizonDays} days`, count(night.customers), night.predicted.toFixed(1), count(night.actual), night.error === null ? '–' : `${night.error >= 0 ? '+' : ''}${pct(night.error)}`])),
      calibrationChart(churn.calibration.nights[0]),
    );
  }
  body.append(el('p', { class: 'muted' }, notes.calibration));
}

/** One bar per night split into the shares active, at risk and lost; each part says its value in a tooltip. */
function statusChart(nights) {
  const width = 640;
  const height = 160;
  const bottom = height - 22;
  const step = (width - 40) / nights.length;
  // Few nights would otherwise make one wall of colour.
  const barWidth = Math.min(36, Math.max(2, step - 2));
  const latest = nights[nights.length - 1];
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-labelledby': 'churn-chart-title', id: 'churn-chart' });
  chart.append(svg('title', { id: 'churn-chart-title' }, `Share of customers active, at risk and lost on ${nights.length} nights; latest ${latest.night}: active ${pct(latest.shares.active)}, at risk ${pct(latest.shares.atRisk)}, lost ${pct(latest.shares.lost)}`));
  chart.append(svg('text', { x: 0, y: 12 }, '100%'), svg('text', { x: 0, y: bottom }, '0%'));
  nights.forEach((night, index) => {
    const x = 36 + index * step;
    let top = bottom;
    for (const status of ['lost', 'atRisk', 'active']) {
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

function calibrationChart(night) {
  const width = 640;
  const height = 150;
  const bottom = height - 34;
  const top = Math.max(1, ...night.bins.flatMap((bin) => [bin.predicted, bin.actual]));
  const step = (width - 20) / night.bins.length;
  const barWidth = step / 2 - 3;
  const y = (value) => bottom - (value / top) * (bottom - 8);
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-labelledby': 'calibration-title' });
  chart.append(svg('title', { id: 'calibration-title' }, `Night ${night.night}, next ${night.horizonDays} days, by prior repeat purchases: ${night.bins.map((bin) => `${bin.bin}: predicted ${bin.predicted.toFixed(1)}, actual ${bin.actual}`).join('; ')}`));
  night.bins.forEach((bin, index) => {
    const x = 10 + index * step;
    chart.append(
      svg('rect', { x: x.toFixed(1), y: y(bin.predicted).toFixed(1), width: barWidth.toFixed(1), height: (bottom - y(bin.predicted)).toFixed(1), fill: '#6b7f99' }),
      svg('rect', { x: (x + barWidth + 2).toFixed(1), y: y(bin.actual).toFixed(1), width: barWidth.toFixed(1), height: (bottom - y(bin.actual)).toFixed(1), fill: '#0b5394' }),
      svg('text', { x: (x + barWidth / 2).toFixed(1), y: bottom + 14 }, bin.bin),
    );
  });
  chart.append(svg('text', { x: 10, y: height - 4 }, 'prior repeat purchases: predicted (grey) and actual (blue) purchase days'));
  return el('figure', { class: 'chart' }, chart);
}

function renderReasons(reasons, notes) {
  const body = $('reasons-body');
  clear(body);
  const feedback = reasons.feedback;
  body.append(el('h4', {}, 'Feedback answers'));
  if (!feedback.total) body.append(el('p', { class: 'muted' }, 'No feedback answers in this range yet.'));
  else body.append(barChart('feedback-chart', `Feedback answers: ${feedback.answers.map((answer) => `${answer.label} ${answer.count}`).join(', ')}`, feedback.answers.map((answer) => [answer.label, answer.count])));
  const campaignIds = Object.keys(feedback.byCampaign).sort();
  if (feedback.total) body.append(recordTable('Answers by campaign', ['Answer', ...campaignIds], feedback.answers.map((answer) => [answer.label, ...campaignIds.map((id) => count(feedback.byCampaign[id][answer.answer] ?? 0))])));
  body.append(el('h4', {}, 'Comments, newest first'));
  const comments = el('ul', { class: 'comments', id: 'feedback-comments' });
  for (const comment of feedback.comments) comments.append(el('li', {}, el('span', { class: 'muted' }, `${comment.at.slice(0, 10)} · ${comment.campaignId} · ${comment.answer}: `), el('q', {}, comment.comment)));
  body.append(feedback.comments.length ? comments : el('p', { class: 'muted' }, 'No comments yet.'));

  const codes = reasons.codes;
  const groups = [
    ['At risk now', codes.now.byStatus.at_risk],
    ['Lost now', codes.now.byStatus.lost],
    ...codes.byCampaign.map((row) => [`Chosen by ${row.campaignId}`, row]),
  ];
  const names = [...new Set(groups.flatMap(([, group]) => Object.keys(group.codes)))].sort();
  const share = (value, customers) => (customers ? `${count(value)} (${pct(value / customers, 0)})` : count(value));
  body.append(
    el('h4', {}, 'Reason codes, from the data'),
    recordTable(`Customers by reason code (now: as of ${codes.now.asOf ?? 'no night yet'}; a customer can carry several)`, ['Reason', ...groups.map(([label]) => label)], [
      ['Customers', ...groups.map(([, group]) => count(group.customers))],
      ...names.map((name) => [name.replace(/_/g, ' '), ...groups.map(([, group]) => share(group.codes[name] ?? 0, group.customers))]),
      ['No reason code', ...groups.map(([, group]) => share(group.withoutReason, group.customers))],
    ]),
    el('p', { class: 'muted' }, notes.reasons),
  );
}

function barChart(id, title, rows) {
  const width = 480;
  const rowHeight = 24;
  const labelWidth = 170;
  const max = Math.max(1, ...rows.map(([, value]) => value));
  const chart = svg('svg', { viewBox: `0 0 ${width} ${rows.length * rowHeight + 4}`, width, height: rows.length * rowHeight + 4, role: 'img', 'aria-labelledby': `${id}-title`, id });
  chart.append(svg('title', { id: `${id}-title` }, title));
  rows.forEach(([label, value], index) => {
    const y = index * rowHeight + 2;
    const barWidth = Math.round(((width - labelWidth - 50) * value) / max);
    chart.append(svg('text', { x: 0, y: y + 15 }, label), svg('rect', { x: labelWidth, y: y + 3, width: Math.max(barWidth, 1), height: rowHeight - 8, fill: '#0b5394', rx: 2 }), svg('text', { x: labelWidth + barWidth + 6, y: y + 15 }, count(value)));
  });
  return el('figure', { class: 'chart' }, chart);
}

function campaignCard(campaign) {
  const state = campaign.paused
    ? el('span', { class: 'badge' }, campaign.paused.scope === 'shop' ? 'Paused (all sending)' : 'Paused')
    : el('span', { class: 'badge on' }, campaign.enabled === false ? 'Disabled' : 'Sending');
  const card = el(
    'article',
    { class: 'card campaign', 'data-campaign': campaign.id, 'aria-labelledby': `campaign-${campaign.id}` },
    el('div', { class: 'campaign-head' }, el('h3', { id: `campaign-${campaign.id}` }, campaign.name ? `${campaign.name} (${campaign.id})` : campaign.id), state),
  );
  if (campaign.paused) card.append(el('p', { class: 'alert' }, `Paused since ${when(campaign.paused.at)}: ${campaign.paused.reason}. Resume it on purpose with: winback campaigns resume ${campaign.paused.scope === 'shop' ? 'shop' : campaign.id}`));
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
    el('dd', {}, campaign.treated.customers ? `${count(campaign.treated.converted)} of ${count(campaign.treated.customers)} (${pct(campaign.treated.rate)})` : '–'),
    el('dt', {}, 'Holdout who ordered'),
    el('dd', {}, campaign.holdout.customers ? `${count(campaign.holdout.converted)} of ${count(campaign.holdout.customers)} (${pct(campaign.holdout.rate)})` : '–'),
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
  return card;
}

/** Horizontal bars with their numbers; the table-like text is in the SVG's title and labels for screen readers. */
function funnelChart(id, rows) {
  const width = 320;
  const rowHeight = 26;
  const labelWidth = 90;
  const max = Math.max(1, ...rows.map(([, value]) => value));
  const chart = svg('svg', { viewBox: `0 0 ${width} ${rows.length * rowHeight + 4}`, width, height: rows.length * rowHeight + 4, role: 'img', 'aria-labelledby': `funnel-title-${id}` });
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

// Campaigns ----------------------------------------------------------------------------------------------------
let campaignIds = [];

async function loadCampaignIds() {
  const { configVersion, config } = await api('GET', '/api/campaigns');
  campaignIds = config.campaigns.map((campaign) => ({ id: campaign.id, name: campaign.name }));
  for (const select of [$('campaign-select'), $('preview-campaign')]) {
    const chosen = select.value;
    clear(select);
    for (const campaign of campaignIds) select.append(el('option', { value: campaign.id }, campaign.name ? `${campaign.name} (${campaign.id})` : campaign.id));
    if (campaignIds.some((campaign) => campaign.id === chosen)) select.value = chosen;
  }
  return configVersion;
}

async function loadCampaigns() {
  const version = await loadCampaignIds();
  $('campaigns-status').textContent = `Live config: version ${version}. Edit one campaign, then validate and apply; every version is kept.`;
  await Promise.all([loadCampaign(), loadHistory()]);
}

let campaignLoads = 0;

async function loadCampaign() {
  const id = $('campaign-select').value;
  if (!id) return;
  const load = ++campaignLoads;
  const { campaign } = await api('GET', `/api/campaigns/${encodeURIComponent(id)}`);
  // An answer that arrives after a later choice's (a slow first load, a quick change of campaign) must not put another
  // campaign in the editor than the one selected: applying it would overwrite the selected campaign.
  if (load !== campaignLoads) return;
  $('campaign-editor').value = JSON.stringify(campaign, null, 2);
  $('campaign-editor').removeAttribute('aria-invalid');
  $('campaign-problem').textContent = '';
}

/**
 * Sends the editor's campaign with `send`: broken JSON is named before any request, and a refusal from the API is
 * shown beside the editor, by path, as the CLI shows it.
 */
async function submitEditor(send) {
  const id = $('campaign-select').value;
  const editor = $('campaign-editor');
  $('campaign-problem').textContent = '';
  $('campaign-result').textContent = '';
  try {
    JSON.parse(editor.value);
  } catch (error) {
    editor.setAttribute('aria-invalid', 'true');
    $('campaign-problem').textContent = `Not valid JSON: ${error.message}`;
    return;
  }
  try {
    await send(id, editor.value);
    editor.removeAttribute('aria-invalid');
  } catch (error) {
    if (!(error instanceof ApiError) || error.status === 401) throw error;
    editor.setAttribute('aria-invalid', 'true');
    $('campaign-problem').textContent = error.body?.problem ?? error.message;
    editor.focus();
  }
}

function applyCampaign() {
  return submitEditor(async (id, body) => {
    const applied = await api('PUT', `/api/campaigns/${encodeURIComponent(id)}`, body);
    $('campaign-result').textContent = applied.unchanged ? `No change: version ${applied.version} stays live.` : `Applied: version ${applied.version} is live.`;
    await Promise.all([loadHistory(), loadCampaignIds()]);
  });
}

/** What applying the editor's campaign would change against the live version; validated as apply validates. */
function diffCampaign() {
  $('campaign-diff').hidden = true;
  return submitEditor(async (id, body) => {
    const { liveVersion, changes } = await api('POST', `/api/campaigns/${encodeURIComponent(id)}/diff`, body);
    const list = $('campaign-diff-list');
    clear(list);
    $('campaign-diff-heading').textContent = `Changes against live version ${liveVersion}`;
    if (!changes.length) list.append(el('li', { class: 'muted' }, 'No changes: applying this would store nothing.'));
    for (const change of changes) list.append(el('li', { class: change.change }, describeChange(change)));
    $('campaign-diff').hidden = false;
  });
}

async function rollBack(version) {
  $('rollback-problem').textContent = '';
  $('rollback-result').textContent = '';
  try {
    const result = await api('POST', '/api/campaigns/rollback', JSON.stringify({ version }));
    $('rollback-result').textContent = result.unchanged ? `Version ${version} is already live (version ${result.version}).` : `Rolled back: version ${version} is live again as version ${result.version}.`;
    await Promise.all([loadHistory(), loadCampaignIds().then((live) => ($('campaigns-status').textContent = `Live config: version ${live}. Edit one campaign, then validate and apply; every version is kept.`)), loadCampaign()]);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status === 401) throw error;
    $('rollback-problem').textContent = `Version ${version} could not be restored: ${error.body?.problem ?? error.message}`;
  }
}

async function loadHistory() {
  const { versions } = await api('GET', '/api/campaigns/history');
  const list = $('campaign-history');
  clear(list);
  const live = versions[0]?.version;
  for (const version of versions) {
    const changes = el('ul', {}, version.changes.slice(0, 12).map((change) => el('li', {}, describeChange(change))));
    if (version.changes.length > 12) changes.append(el('li', {}, `… and ${version.changes.length - 12} more`));
    list.append(
      el(
        'li',
        { 'data-version': version.version },
        el('strong', {}, `Version ${version.version}`),
        ` · ${when(version.appliedAt)} · by ${version.appliedBy}${version.note ? ` · ${version.note}` : ''}`,
        version.version === live ? el('span', { class: 'badge on' }, 'Live') : el('button', { type: 'button', class: 'secondary small', 'data-rollback': version.version }, `Roll back to version ${version.version}`),
        version.changes.length ? changes : el('div', { class: 'muted' }, 'no changes'),
      ),
    );
  }
}

/** A whole first version is one "added" change per section: long values are cut, the editor shows them in full. */
const brief = (value) => {
  const text = show(value);
  return text.length > 160 ? `${text.slice(0, 159)}…` : text;
};

function describeChange(change) {
  if (change.change === 'added') return `${change.path}: added ${brief(change.after)}`;
  if (change.change === 'removed') return `${change.path}: removed (was ${brief(change.before)})`;
  return `${change.path}: ${brief(change.before)} → ${brief(change.after)}`;
}

// Preview ------------------------------------------------------------------------------------------------------
async function loadPreviewChoices() {
  if (!campaignIds.length) await loadCampaignIds();
  if (!$('preview-date').value) $('preview-date').value = new Date().toISOString().slice(0, 10);
}

async function runPreview(event) {
  event.preventDefault();
  const id = $('preview-campaign').value;
  const result = $('preview-result');
  $('preview-problem').textContent = '';
  clear(result);
  result.append(el('p', { class: 'muted' }, 'Running the dry run …'));
  try {
    const preview = await api('POST', `/api/campaigns/${encodeURIComponent(id)}/preview`, JSON.stringify({ asOf: $('preview-date').value }));
    clear(result);
    const counts = el('table', {}, el('caption', {}, `Night of ${preview.asOf}: ${id}`), el('tr', {}, el('th', {}, 'Count'), el('th', { class: 'num' }, 'Customers')));
    const rows = [
      ['Would be sent', preview.campaign.sent],
      ['Would be scheduled (quiet hours)', preview.campaign.scheduled],
      ['Held out', preview.campaign.heldOut],
      ...Object.entries(preview.skipped).map(([reason, value]) => [`Removed by rule: ${reason}`, value]),
    ];
    for (const [label, value] of rows) counts.append(el('tr', {}, el('td', {}, label), el('td', { class: 'num' }, count(value))));
    const { coverage } = preview;
    // A large shop is previewed from a sample within the API's 30 seconds: say so before the numbers are read as exact.
    if (coverage && !coverage.complete) {
      result.append(
        el('p', { class: 'estimate', role: 'note' }, `Estimated from ${count(coverage.customersScanned)} customers (${(coverage.fraction * 100).toFixed(1)}% of the shop, chosen at random): the counts are rounded estimates, and the night itself may differ a little.`),
      );
    }
    result.append(counts);
    const samples = Object.entries(preview.samples);
    if (!samples.length) result.append(el('p', { class: 'muted' }, 'No email would go out for this campaign that night.'));
    for (const [key, sample] of samples) {
      result.append(
        el('h3', {}, `Sample email: ${key}`),
        el('dl', { class: 'facts' }, el('dt', {}, 'To'), el('dd', {}, sample.to), el('dt', {}, 'Subject'), el('dd', {}, sample.subject)),
        el('pre', { class: 'email', 'aria-label': `Text of the sample email ${key}` }, sample.text),
      );
    }
  } catch (error) {
    clear(result);
    if (!(error instanceof ApiError && error.status === 401)) $('preview-problem').textContent = error.message;
  }
}

// Customer lookup ----------------------------------------------------------------------------------------------
async function lookUpCustomer(event) {
  event.preventDefault();
  const result = $('customer-result');
  $('customer-problem').textContent = '';
  clear(result);
  try {
    const view = await api('GET', `/api/customers?email=${encodeURIComponent($('customer-email').value)}`);
    const scores = view.scores;
    result.append(
      el('h3', {}, `${view.firstName ?? view.email}: ${view.status.replace(/_/g, ' ')}`),
      el(
        'dl',
        { class: 'facts', id: 'customer-facts' },
        el('dt', {}, 'Email'), el('dd', {}, view.email),
        el('dt', {}, 'Status'), el('dd', {}, view.status),
        el('dt', {}, 'Orders'), el('dd', {}, `${count(view.orderCount)} · ${money(view.totalSpent)} · last ${when(view.lastOrderAt)}`),
        el('dt', {}, 'Consent'), el('dd', {}, `${view.consent.state}${view.suppressed ? ' · suppressed' : ''}`),
        el('dt', {}, 'Scored by'), el('dd', {}, scores.classifiedBy),
        el('dt', {}, 'Chance still active'), el('dd', {}, scores.pAlive === undefined ? '–' : pct(scores.pAlive)),
        el('dt', {}, 'Expected orders, 90 days'), el('dd', {}, scores.expectedOrders90 === undefined ? '–' : scores.expectedOrders90.toFixed(2)),
        el('dt', {}, 'Value at stake'), el('dd', {}, money(scores.valueAtStake)),
        el('dt', {}, 'Days since last order'), el('dd', {}, show(scores.daysSinceLastOrder)),
        el('dt', {}, 'Reasons'), el('dd', {}, scores.reasonCodes.length ? scores.reasonCodes.join(', ') : 'none'),
        el('dt', {}, 'Journey'), el('dd', {}, view.journey ? show(view.journey) : 'not in a journey'),
      ),
      recordTable('Decisions, newest first', ['Night', 'Outcome', 'Campaign', 'Step', 'Reason'], view.decisions.map((d) => [d.asOf, d.outcome, d.campaignId, d.step === undefined ? undefined : d.step + 1, d.reason])),
      recordTable('Emails', ['Night', 'Campaign', 'Step', 'Status', 'Attributed revenue'], view.sends.map((s) => [s.asOf, s.campaignId, s.step === undefined ? undefined : s.step + 1, s.status, s.attributedRevenue === undefined ? undefined : money(s.attributedRevenue)])),
    );
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) $('customer-problem').textContent = error.status === 404 ? 'No customer with that email address.' : error.message;
  }
}

function recordTable(caption, heads, rows) {
  const table = el('table', {}, el('caption', {}, caption), el('tr', {}, heads.map((head) => el('th', { scope: 'col' }, head))));
  if (!rows.length) table.append(el('tr', {}, el('td', { colspan: heads.length }, 'none')));
  for (const row of rows) table.append(el('tr', {}, row.map((cell) => el('td', {}, show(cell)))));
  return table;
}

// Wiring -------------------------------------------------------------------------------------------------------
document.addEventListener('DOMContentLoaded', async () => {
  $('login').addEventListener('submit', async (event) => {
    event.preventDefault();
    if (signIn.kind === 'cognito') return startCognitoSignIn();
    sessionStorage.setItem(tokenKey, $('token').value.trim());
    $('token').value = '';
    openApp();
  });
  $('sign-out').addEventListener('click', signOut);
  const tablist = document.querySelector('[role="tablist"]');
  tablist.addEventListener('click', (event) => {
    const tab = event.target.closest('[role="tab"]');
    if (tab) selectTab(tab.id.slice(4));
  });
  // Arrow keys move between tabs, Home and End jump to the ends (the WAI-ARIA tabs pattern).
  tablist.addEventListener('keydown', (event) => {
    const all = tabs();
    const current = all.indexOf(document.activeElement);
    if (current < 0) return;
    const next = { ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: all.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    selectTab(all[(next + all.length) % all.length].id.slice(4), true);
  });
  $('campaign-select').addEventListener('change', () => loadCampaign().catch(reportFailure('campaigns')));
  $('campaign-reload').addEventListener('click', () => loadCampaign().catch(reportFailure('campaigns')));
  $('campaign-apply').addEventListener('click', () => applyCampaign().catch(reportFailure('campaigns')));
  $('campaign-diff-button').addEventListener('click', () => diffCampaign().catch(reportFailure('campaigns')));
  // One listener for every history entry's button: the list is rebuilt after each change.
  $('campaign-history').addEventListener('click', (event) => {
    const button = event.target.closest('button[data-rollback]');
    if (button) rollBack(Number(button.dataset.rollback)).catch(reportFailure('campaigns'));
  });
  $('preview-form').addEventListener('submit', runPreview);
  $('customer-form').addEventListener('submit', lookUpCustomer);
  try {
    const config = await fetch('/console/config.json');
    if (config.ok) signIn = (await config.json()).signIn ?? signIn;
  } catch {
    // Without the file the console falls back to the admin token, which the local server always accepts.
  }
  if (signIn.kind === 'cognito') {
    $('sign-out').textContent = 'Sign out';
    if (await finishCognitoSignIn()) return;
  }
  if (sessionStorage.getItem(tokenKey)) openApp();
  else showLogin();
});
