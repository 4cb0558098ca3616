// @ts-check
// The marketers' console: plain DOM in ES modules, no framework, no build step. Every value from the API is rendered
// as text or an SVG attribute, never parsed as HTML; the page's CSP allows only this origin's scripts and styles.

import { ApiError, tokenKey, whenUnauthorized } from './api.js';
import { loadCampaigns, loadLive, whenLiveChanges, wireCampaigns } from './campaigns.js';
import { showCouponNotice } from './coupons.js';
import { showCustomer } from './customer.js';
import { loadDashboard } from './dashboard.js';
import { byId as $, inputById } from './dom.js';
import { useLabels } from './format.js';
import { useLiveConfig } from './live-config.js';
import { loadSegments, whenCustomerChosen, wireSegments } from './segments.js';

/** @typedef {{ kind: 'token' } | { kind: 'cognito', url: string, clientId: string }} SignIn */

/** How to sign in, from /console/config.json: the admin token (locally), or the shop's Cognito user pool (on AWS). */
let signIn = /** @type {SignIn} */ ({ kind: 'token' });
/** @type {import('../config/campaign-config.js').CampaignConfig | undefined} */
let liveConfig;

function showLogin(problem = '') {
  $('app').hidden = true;
  $('sign-out').hidden = true;
  $('login').hidden = false;
  $('login-problem').textContent = problem;
  const cognito = signIn.kind === 'cognito';
  $('token-sign-in').hidden = cognito;
  inputById('token').required = !cognito;
  $('cognito-sign-in').hidden = !cognito;
  (cognito ? $('cognito-sign-in') : $('token')).focus();
}

whenUnauthorized(() => {
  sessionStorage.removeItem(tokenKey);
  showLogin(signIn.kind === 'cognito' ? 'Your session has ended. Sign in again.' : 'That token was not accepted. Enter the admin token again.');
});

// Cognito's hosted login, authorization code with PKCE (RFC 7636), written here because the page has no build step
// and the flow is three requests; the code verifier never leaves this tab.
const pkceKey = 'winback.pkce';
/** @param {ArrayBuffer | Uint8Array} bytes */
const base64url = (bytes) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
const redirectUri = () => `${location.origin}/`;

/** @param {{ kind: 'cognito', url: string, clientId: string }} cognito */
async function startCognitoSignIn(cognito) {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
  sessionStorage.setItem(pkceKey, JSON.stringify({ verifier, state }));
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: cognito.clientId,
    redirect_uri: redirectUri(),
    scope: 'openid email',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  location.assign(`${cognito.url}/oauth2/authorize?${query}`);
}

/** Back from the hosted login with ?code=&state=: trades the code for tokens, then cleans the address bar. @param {{ kind: 'cognito', url: string, clientId: string }} cognito */
async function finishCognitoSignIn(cognito) {
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
  const response = await fetch(`${cognito.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: cognito.clientId,
      code,
      redirect_uri: redirectUri(),
      code_verifier: started.verifier,
    }),
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
  // The header's live version and the shop's formats come first: every screen writes dates in the shop's zone.
  loadLive()
    .then((live) => (liveConfig = live.config))
    .catch(reportFailure('dashboard'))
    .finally(() => selectTab(currentTab()));
}

const tabs = () => /** @type {HTMLElement[]} */ ([...document.querySelectorAll('.tabs [role="tab"]')]);
/** What each tab loads when opened; the customer page loads nothing until asked. */
const loaders = /** @type {Record<string, () => Promise<unknown>>} */ ({
  dashboard: loadDashboard,
  campaigns: loadCampaigns,
  segments: loadSegments,
  customer: async () => {},
});
/** The tab in the address (#campaigns), so a reload opens the screen the marketer was on. */
const currentTab = () => (location.hash.slice(1) in loaders ? location.hash.slice(1) : 'dashboard');

/** @param {string} name */
function selectTab(name, focus = false) {
  for (const tab of tabs()) {
    const selected = tab.id === `tab-${name}`;
    tab.setAttribute('aria-selected', String(selected));
    tab.tabIndex = selected ? 0 : -1;
    $(tab.getAttribute('aria-controls') ?? '').hidden = !selected;
    if (selected && focus) tab.focus();
  }
  const address = name === 'dashboard' ? location.pathname : `#${name}`;
  if (`${location.pathname}${location.hash}` !== address && location.hash !== address) history.replaceState(null, '', address);
  // Through a promise whatever the loader returns or throws: one tab's failure is shown in its panel, never thrown.
  Promise.resolve()
    .then(() => loaders[name]?.())
    .catch(reportFailure(name));
}

/** @param {string} name */
const reportFailure = (name) => (/** @type {unknown} */ error) => {
  const target =
    /** @type {Record<string, string>} */ ({
      dashboard: 'dashboard-status',
      campaigns: 'campaigns-status',
      segments: 'segments-status',
      customer: 'customer-problem',
    })[name] ?? 'dashboard-status';
  if (!(error instanceof ApiError && error.status === 401)) $(target).textContent = `Could not load: ${/** @type {Error} */ (error).message}`;
};

document.addEventListener('DOMContentLoaded', async () => {
  whenLiveChanges((version, shopName, config) => {
    $('shop-line').textContent = `${shopName} · live config version ${version}`;
    showCouponNotice(config);
  });
  useLiveConfig(() => liveConfig);
  whenCustomerChosen((email) => {
    selectTab('customer');
    showCustomer(email).catch(reportFailure('customer'));
  });
  $('login').addEventListener('submit', async (event) => {
    event.preventDefault();
    if (signIn.kind === 'cognito') return startCognitoSignIn(signIn);
    sessionStorage.setItem(tokenKey, inputById('token').value.trim());
    inputById('token').value = '';
    openApp();
  });
  $('sign-out').addEventListener('click', signOut);
  const tablist = /** @type {HTMLElement} */ (document.querySelector('.tabs[role="tablist"]'));
  tablist.addEventListener('click', (event) => {
    const tab = /** @type {HTMLElement} */ (event.target).closest('[role="tab"]');
    if (tab) selectTab(tab.id.slice(4));
  });
  // Arrow keys move between tabs, Home and End jump to the ends (the WAI-ARIA tabs pattern).
  tablist.addEventListener('keydown', (event) => {
    const all = tabs();
    const current = all.indexOf(/** @type {HTMLElement} */ (document.activeElement));
    if (current < 0) return;
    const next = /** @type {Record<string, number>} */ ({ ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: all.length - 1 })[event.key];
    if (next === undefined) return;
    event.preventDefault();
    selectTab(all[(next + all.length) % all.length].id.slice(4), true);
  });
  wireCampaigns(reportFailure);
  wireSegments(reportFailure);
  $('customer-form').addEventListener('submit', (event) => {
    event.preventDefault();
    showCustomer(inputById('customer-email').value).catch(reportFailure('customer'));
  });
  try {
    const [config, labels] = await Promise.all([fetch('/console/config.json'), fetch('/console/labels.json')]);
    if (config.ok) signIn = (await config.json()).signIn ?? signIn;
    if (labels.ok) useLabels(await labels.json());
  } catch {
    // Without the files the console falls back to the admin token (which the local server always accepts) and codes.
  }
  if (signIn.kind === 'cognito') {
    $('sign-out').textContent = 'Sign out';
    if (await finishCognitoSignIn(signIn)) return;
  }
  if (sessionStorage.getItem(tokenKey)) openApp();
  else showLogin();
});
