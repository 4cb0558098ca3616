import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { runNight } from '../../lib/usecases/run-night.js';
import { customerFrom, testConfig } from '../support/customers.js';
import { localApi } from '../support/http.js';
import { localShop, testUnsubscribeSecret } from '../support/local-aws.js';

const chromiumPath = '/usr/bin/chromium';
const artifacts = fileURLToPath(new URL('./artifacts/', import.meta.url));
const adminToken = 'test-admin-token-console-0123456789';
const lostOrderDays = ['2026-03-01', '2026-04-01', '2026-05-01'];

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
    vi.stubEnv('TABLE_NAME', shop.tableName);
    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', shop.dynamoEndpoint);
    vi.stubEnv('AWS_ENDPOINT_URL_SESV2', shop.sesEndpoint);
    vi.stubEnv('UNSUBSCRIBE_SECRET', testUnsubscribeSecret);
    vi.stubEnv('UNSUBSCRIBE_BASE_URL', 'https://shop.example/winback');
    vi.stubEnv('WINBACK_ADMIN_TOKEN', adminToken);
    api = await localApi();
    mkdirSync(artifacts, { recursive: true });
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(10_000);
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

  it('shows the validation problem beside the editor, then applies the fixed campaign as a new version', async () => {
    // Prepare
    await page.getByRole('tab', { name: 'Campaigns' }).click();
    const panel = page.getByRole('tabpanel', { name: 'Campaigns' });
    const editor = panel.getByLabel('Campaign settings (JSON)');
    await panel.getByLabel('Campaign', { exact: true }).selectOption('lost-winback');
    await expect.poll(() => editor.inputValue(), { timeout: 10_000 }).toContain('"id": "lost-winback"');
    const original = JSON.parse(await editor.inputValue()) as Record<string, unknown>;
    // Act: a typo the schema refuses
    await editor.fill(JSON.stringify({ ...original, discuont: 1 }, null, 2));
    await page.getByRole('button', { name: 'Validate & apply' }).click();
    // Assess
    await expect.poll(() => page.locator('#campaign-problem').textContent(), { timeout: 10_000 }).toContain('discuont');
    expect(await editor.getAttribute('aria-invalid')).toBe('true');
    await page.screenshot({ path: `${artifacts}campaign-invalid.png`, fullPage: true });
    // Act: the fix, a real change
    await editor.fill(JSON.stringify({ ...original, name: 'Lost customers, second chance' }, null, 2));
    await page.getByRole('button', { name: 'Validate & apply' }).click();
    // Assess
    await expect.poll(() => page.locator('#campaign-result').textContent(), { timeout: 10_000 }).toMatch(/Applied: version 2 is live/);
    expect(await page.locator('#campaign-problem').textContent()).toBe('');
    await page.locator('#campaign-history li[data-version="2"]').waitFor();
    expect(await page.locator('#campaign-history li[data-version="2"]').textContent()).toContain('Lost customers, second chance');
    await page.screenshot({ path: `${artifacts}campaign-applied.png`, fullPage: true });
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
    await page.screenshot({ path: `${artifacts}preview.png`, fullPage: true });
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
});
