import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { signFeedbackToken } from '../../lib/domain/unsubscribe-token.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { recordFeedback } from '../../lib/usecases/record-feedback.js';
import { runNight } from '../../lib/usecases/run-night.js';
import { customerFrom, testConfig } from '../support/customers.js';
import { localApi } from '../support/http.js';
import { localShop, testUnsubscribeSecret, useShopEnvironment } from '../support/local-aws.js';

const chromiumPath = '/usr/bin/chromium';
const artifacts = fileURLToPath(new URL('./artifacts/', import.meta.url));
const adminToken = 'test-admin-token-console-0123456789';
const lostOrderDays = ['2026-03-01', '2026-04-01', '2026-05-01'];
/** Markup in a comment must reach the page as text: the console never parses data as HTML. */
const feedbackComment = 'Shipping took <b>three</b> weeks';

if (!existsSync(chromiumPath)) {
  console.warn(`Skipping the console's browser tests: ${chromiumPath} is missing (apt-get install chromium; .ci/run does).`);
}

describe.skipIf(!existsSync(chromiumPath))('the console, in headless Chromium', () => {
  let api: Awaited<ReturnType<typeof localApi>>;
  let browser: Browser;
  let page: Page;
  let customerEmail: string;
  let shop: Awaited<ReturnType<typeof localShop>>;

  beforeAll(async () => {
    // Prepare: a shop with lost customers, half of them held out, and one night sent, so the report has rows
    shop = await localShop();
    await applyCampaignConfig(
      testConfig((raw) => {
        for (const campaign of raw.campaigns) campaign.experiment.holdoutPercent = 50;
      }),
      'test',
      shop.deps,
    );
    const customers = Array.from({ length: 8 }, (_, index) => customerFrom({ name: `Lena${index}`, orderDays: lostOrderDays }));
    await shop.deps.customers.putMany(customers);
    customerEmail = customers[0]!.customer.email!;
    await runNight(shop.deps, { asOf: '2026-11-22' });
    const sends = (await Promise.all(customers.map(({ customer }) => shop.deps.ledger.sendsOf(customer.customerId)))).flat();
    const sent = sends.find((send) => send.status === 'sent')!;
    expect(await recordFeedback(signFeedbackToken(sent, testUnsubscribeSecret), 'delivery', feedbackComment, { ...shop.deps, secret: testUnsubscribeSecret })).toBe('recorded');
    useShopEnvironment(shop, { WINBACK_ADMIN_TOKEN: adminToken });
    api = await localApi();
    mkdirSync(artifacts, { recursive: true });
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // A wait, not a speed target: generous, so a CI machine busy with other test files does not fail it.
    page.setDefaultTimeout(30_000);
  });
  afterAll(async () => {
    await browser?.close();
    await api?.close();
    vi.unstubAllEnvs();
  });

  it('is served with a CSP that allows only its own origin', async () => {
    // Act
    const index = await api.request('GET', '/');
    const script = await api.request('GET', '/console/app.js');
    const outside = await api.request('GET', '/console/..%2Fpackage.json');
    // Assess
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect(index.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(index.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(outside.status).toBe(404);
  });

  it('asks for the token once, then shows every campaign on the dashboard', async () => {
    // Act
    await page.goto(`${api.base}/`);
    await page.getByLabel('Admin token').fill(adminToken);
    await page.getByRole('button', { name: 'Open the console' }).click();
    // Assess
    const card = page.locator('article[data-campaign="lost-winback"]');
    await card.waitFor();
    await expect(card.getByRole('img', { name: /^Funnel: Sent \d+/ }).count()).resolves.toBe(1);
    expect(await card.textContent()).toContain('95% interval');
    expect(await page.locator('article.campaign').count()).toBeGreaterThanOrEqual(1);
    await page.screenshot({ path: `${artifacts}dashboard.png`, fullPage: true });
    await page.reload();
    await card.waitFor();
    expect(await page.locator('#login').isHidden()).toBe(true);
  });

  it('shows churn over time and why customers leave on the dashboard, comments as text', async () => {
    // Prepare: the dashboard the previous test opened
    const churn = page.getByRole('region', { name: 'Churn over time' });
    const reasons = page.getByRole('region', { name: 'Why customers leave' });
    // Act
    await churn.getByRole('img', { name: /^Share of customers active, at risk and lost on 1 nights/ }).waitFor();
    // Assess: 8 lost customers were chosen on the one night, and none has ordered since
    expect(await page.locator('#reactivation-line').textContent()).toMatch(/^0 of 8 \(0\.0%\) customers recorded as at risk or lost ordered again/);
    expect(await reasons.getByRole('img', { name: /^Feedback answers: .*Delivery 1/ }).count()).toBe(1);
    const comments = page.locator('#feedback-comments');
    expect(await comments.textContent()).toContain(`delivery: ${feedbackComment}`);
    expect(await comments.locator('b').count()).toBe(0);
    expect(await reasons.getByRole('table', { name: /^Customers by reason code/ }).textContent()).toContain('overdue own cadence');
    await page.locator('#dashboard-churn').screenshot({ path: `${artifacts}dashboard-churn.png` });
    await page.locator('#dashboard-reasons').screenshot({ path: `${artifacts}dashboard-reasons.png` });
  });

  it('shows the validation problem beside the editor, then applies the fixed campaign as a new version', async () => {
    // Prepare
    await page.getByRole('tab', { name: 'Campaigns' }).click();
    const panel = page.getByRole('tabpanel', { name: 'Campaigns' });
    const editor = panel.getByLabel('Campaign settings (JSON)');
    await panel.getByLabel('Campaign', { exact: true }).selectOption('lost-winback');
    await expect.poll(() => editor.inputValue(), { timeout: 30_000 }).toContain('"id": "lost-winback"');
    const original = JSON.parse(await editor.inputValue()) as Record<string, unknown>;
    // Act: a typo the schema refuses
    await editor.fill(JSON.stringify({ ...original, discuont: 1 }, null, 2));
    await page.getByRole('button', { name: 'Validate & apply' }).click();
    // Assess
    await expect.poll(() => page.locator('#campaign-problem').textContent(), { timeout: 30_000 }).toContain('discuont');
    expect(await editor.getAttribute('aria-invalid')).toBe('true');
    await page.screenshot({ path: `${artifacts}campaign-invalid.png`, fullPage: true });
    // Act: the fix, a real change
    await editor.fill(JSON.stringify({ ...original, name: 'Lost customers, second chance' }, null, 2));
    await page.getByRole('button', { name: 'Validate & apply' }).click();
    // Assess
    await expect.poll(() => page.locator('#campaign-result').textContent(), { timeout: 30_000 }).toMatch(/Applied: version 2 is live/);
    expect(await page.locator('#campaign-problem').textContent()).toBe('');
    await page.locator('#campaign-history li[data-version="2"]').waitFor();
    expect(await page.locator('#campaign-history li[data-version="2"]').textContent()).toContain('Lost customers, second chance');
    await page.screenshot({ path: `${artifacts}campaign-applied.png`, fullPage: true });
  });

  it('compares an edit with the live version without storing it, then rolls back to version 1 from the history', async () => {
    // Prepare: the campaigns tab, with version 2 live from the previous test
    const panel = page.getByRole('tabpanel', { name: 'Campaigns' });
    const editor = panel.getByLabel('Campaign settings (JSON)');
    await expect.poll(() => editor.inputValue(), { timeout: 30_000 }).toContain('Lost customers, second chance');
    const edited = JSON.parse(await editor.inputValue()) as { name: string; priority: number };
    // Act: compare an edit
    await editor.fill(JSON.stringify({ ...edited, priority: edited.priority + 5 }, null, 2));
    await page.getByRole('button', { name: 'Compare with live' }).click();
    // Assess: the one change, against version 2, and nothing stored
    const diff = page.getByRole('region', { name: 'Changes against live version 2' });
    await diff.waitFor();
    expect(await diff.getByRole('listitem').allTextContents()).toEqual([expect.stringMatching(new RegExp(`^campaigns\\[\\d\\]\\.priority: ${edited.priority} → ${edited.priority + 5}$`))]);
    expect(await page.locator('#campaign-history li[data-version]').first().getAttribute('data-version')).toBe('2');
    await page.screenshot({ path: `${artifacts}campaign-diff.png`, fullPage: true });
    // Act: roll back, by keyboard
    const rollback = page.getByRole('button', { name: 'Roll back to version 1' });
    await rollback.focus();
    await page.keyboard.press('Enter');
    // Assess: version 1's settings are live again as version 3, and the editor shows them
    await expect.poll(() => page.locator('#rollback-result').textContent(), { timeout: 30_000 }).toBe('Rolled back: version 1 is live again as version 3.');
    await page.locator('#campaign-history li[data-version="3"]').waitFor();
    expect(await page.locator('#campaign-history li[data-version="3"]').textContent()).toContain('rollback to version 1');
    await expect.poll(() => editor.inputValue(), { timeout: 30_000 }).not.toContain('Lost customers, second chance');
    expect(await page.locator('#rollback-problem').textContent()).toBe('');
    await page.screenshot({ path: `${artifacts}campaign-rolled-back.png`, fullPage: true });
  });

  it('keeps the selected campaign in the editor when the answer for one chosen before it arrives last', async () => {
    // Prepare: the answer for at-risk-nudge is held back until lost-winback has been chosen and shown
    const panel = page.getByRole('tabpanel', { name: 'Campaigns' });
    const editor = panel.getByLabel('Campaign settings (JSON)');
    const select = panel.getByLabel('Campaign', { exact: true });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/api/campaigns/at-risk-nudge', async (route) => {
      const response = await route.fetch();
      await released;
      await route.fulfill({ response });
    });
    // Act: choose at-risk-nudge, then lost-winback before the first answer is in
    await select.selectOption('at-risk-nudge');
    await select.selectOption('lost-winback');
    await expect.poll(() => editor.inputValue(), { timeout: 30_000 }).toContain('"id": "lost-winback"');
    const late = page.waitForEvent('requestfinished', (request) => request.url().endsWith('/api/campaigns/at-risk-nudge'));
    release();
    await late;
    // The page has the whole late answer; a moment more for its handler to run.
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 200)));
    // Assess
    expect(await select.inputValue()).toBe('lost-winback');
    expect(await editor.inputValue()).toContain('"id": "lost-winback"');
    await page.unroute('**/api/campaigns/at-risk-nudge');
  });

  it('runs a preview of a night and shows the counts and a sample email', async () => {
    // Act
    await page.getByRole('tab', { name: 'Preview' }).click();
    const panel = page.getByRole('tabpanel', { name: 'Preview' });
    await panel.getByLabel('Campaign', { exact: true }).selectOption('lost-winback');
    await panel.getByLabel('Night').fill('2026-11-22');
    await page.getByRole('button', { name: 'Run preview' }).click();
    // Assess
    const caption = page.locator('#preview-result caption');
    await caption.waitFor();
    expect(await caption.textContent()).toBe('Night of 2026-11-22: lost-winback');
    expect(await page.locator('#preview-result').textContent()).toContain('Held out');
    expect(await page.locator('#preview-problem').textContent()).toBe('');
    expect(await page.locator('#preview-result .estimate').count()).toBe(0);
    await page.screenshot({ path: `${artifacts}preview.png`, fullPage: true });
  });

  it('says a preview\'s counts are estimates when the API answered from a sample of a large shop', async () => {
    // Prepare: the API's real answer, as a shop too large to scan in 30 seconds would get it
    await page.route('**/api/campaigns/*/preview', async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as Record<string, unknown>;
      await route.fulfill({ response, json: { ...body, coverage: { complete: false, segmentsScanned: 37, totalSegments: 500, fraction: 0.074, customersScanned: 73_912 } } });
    });
    // Act
    await page.getByRole('button', { name: 'Run preview' }).click();
    // Assess
    const note = page.locator('#preview-result .estimate');
    await note.waitFor();
    expect(await note.getAttribute('role')).toBe('note');
    expect(await note.textContent()).toContain('Estimated from 73,912 customers (7.4% of the shop');
    await page.unroute('**/api/campaigns/*/preview');
  });

  it('opens every tab, Customer lookup included, without an error in the page', async () => {
    // Prepare
    const errors: string[] = [];
    const onError = (error: Error) => errors.push(error.message);
    page.on('pageerror', onError);
    try {
      // Act
      for (const name of ['Customer lookup', 'Dashboard', 'Campaigns', 'Preview', 'Customer lookup']) {
        await page.getByRole('tab', { name, exact: true }).click();
        await page.getByRole('tabpanel', { name, exact: true }).waitFor();
      }
      // The error comes from a promise chain: give it a turn of the event loop to surface
      await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 100)));
    } finally {
      page.off('pageerror', onError);
    }
    // Assess
    expect(errors).toEqual([]);
    expect(await page.locator('#customer-problem').textContent()).toBe('');
  });

  it('looks up a customer and shows status, scores and decisions', async () => {
    // Act
    await page.getByRole('tab', { name: 'Customer lookup' }).click();
    await page.getByLabel('Email address').fill(customerEmail);
    await page.getByRole('button', { name: 'Look up' }).click();
    // Assess
    const facts = page.locator('#customer-facts');
    await facts.waitFor();
    expect(await facts.textContent()).toContain(customerEmail);
    expect(await page.locator('#customer-result').textContent()).toContain('2026-11-22');
    await page.screenshot({ path: `${artifacts}customer.png`, fullPage: true });
  });
  it('says so when the deliverability guard has paused a campaign', async () => {
    // Prepare: the guard's record after a complaint spike, as the night stores it
    await shop.deps.configs.pause({
      scope: { kind: 'campaign', campaignId: 'lost-winback' },
      state: 'paused',
      reasons: ['complaint_rate'],
      reason: 'complaint rate 0.250% (2 of 800) reached 0.08% over the 7 nights to 2026-11-22',
      rates: { firstNight: '2026-11-16', lastNight: '2026-11-22', sent: 800, bounced: 0, complained: 2, bounceRate: 0, complaintRate: 0.0025 },
      thresholds: testConfig().guardrails.deliverability,
      at: '2026-11-23T02:00:00.000Z',
    });
    // Act
    await page.goto(`${api.base}/`);
    const card = page.locator('article[data-campaign="lost-winback"]');
    await card.waitFor();
    // Assess
    expect(await card.textContent()).toMatch(/Paused since .*complaint rate 0\.250% \(2 of 800\)/);
    await page.screenshot({ path: `${artifacts}dashboard-paused.png`, fullPage: true });
  });

  it('says how old the figures are when the report comes from the snapshot built after the night, in the shop\'s time zone', async () => {
    // Prepare: the API's answer for a shop whose report takes longer to build than the API may wait
    await page.route('**/api/report', async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as Record<string, unknown>;
      await route.fulfill({ response, json: { ...body, servedFrom: 'snapshot', generatedAt: '2026-11-23T03:12:00.000Z' } });
    });
    // Act
    await page.goto(`${api.base}/`);
    const status = page.locator('#dashboard-status');
    await expect.poll(() => status.textContent()).toContain('figures as of');
    // Assess: 03:12 UTC is 04:12 in Amsterdam in November
    expect(await status.textContent()).toMatch(/figures as of 23 Nov 2026, 04:12 (GMT\+1|CET), built after the night/);
    await page.unroute('**/api/report');
  });

  it("signs in through the shop's Cognito hosted login with PKCE when deployed, and calls the API with the access token", async () => {
    // Prepare: the settings infra passes on AWS, and Cognito's two endpoints played by the browser's router
    const cognito = 'https://winback-test.auth.eu-west-1.amazoncognito.com';
    vi.stubEnv('CONSOLE_SIGN_IN_URL', cognito);
    vi.stubEnv('CONSOLE_CLIENT_ID', 'consoleclient123');
    const context = await browser.newContext();
    const signInPage = await context.newPage();
    signInPage.setDefaultTimeout(30_000);
    let authorize: URLSearchParams | undefined;
    let exchange: URLSearchParams | undefined;
    await signInPage.route(`${cognito}/oauth2/authorize?*`, async (route) => {
      authorize = new URL(route.request().url()).searchParams;
      await route.fulfill({ status: 302, headers: { location: `${authorize.get('redirect_uri')}?code=one-time-code&state=${authorize.get('state')}` } });
    });
    await signInPage.route(`${cognito}/oauth2/token`, async (route) => {
      exchange = new URLSearchParams(route.request().postData() ?? '');
      // The local server accepts the admin token where API Gateway would check the Cognito JWT.
      await route.fulfill({ status: 200, headers: { 'access-control-allow-origin': '*' }, contentType: 'application/json', body: JSON.stringify({ access_token: adminToken, token_type: 'Bearer', expires_in: 3600 }) });
    });
    try {
      // Act
      await signInPage.goto(`${api.base}/`);
      await signInPage.getByRole('button', { name: 'Sign in with your marketer account' }).click();
      const card = signInPage.locator('article[data-campaign="lost-winback"]');
      await card.waitFor();
      // Assess: a code flow with S256 PKCE whose verifier matches its challenge, and a clean address bar after
      expect(Object.fromEntries(authorize!)).toMatchObject({ response_type: 'code', client_id: 'consoleclient123', redirect_uri: `${api.base}/`, code_challenge_method: 'S256', scope: 'openid email' });
      const challenge = createHash('sha256').update(exchange!.get('code_verifier')!).digest('base64url');
      expect(authorize!.get('code_challenge')).toBe(challenge);
      expect(Object.fromEntries(exchange!)).toMatchObject({ grant_type: 'authorization_code', client_id: 'consoleclient123', code: 'one-time-code', redirect_uri: `${api.base}/` });
      expect(signInPage.url()).toBe(`${api.base}/`);
      const index = await api.request('GET', '/');
      expect(index.headers.get('content-security-policy')).toContain(`connect-src 'self' ${cognito}`);
      await signInPage.screenshot({ path: `${artifacts}cognito-signed-in.png`, fullPage: true });
    } finally {
      await context.close();
      vi.stubEnv('CONSOLE_SIGN_IN_URL', undefined);
      vi.stubEnv('CONSOLE_CLIENT_ID', undefined);
    }
  });
});
