import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CampaignConfig } from '../../lib/config/campaign-config.js';
import { signFeedbackToken } from '../../lib/domain/unsubscribe-token.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { recordFeedback } from '../../lib/usecases/record-feedback.js';
import { customerFrom, testConfig } from '../support/customers.js';
import { localApi } from '../support/http.js';
import { inboxOf, localShop, testUnsubscribeSecret, useShopEnvironment } from '../support/local-aws.js';
import { workflowNight } from '../support/night.js';

const chromiumPath = '/usr/bin/chromium';
/** A wait, not a speed target: drafts are checked half a second after the last keystroke, then by the API. */
const patiently = { timeout: 30_000 };
const artifacts = fileURLToPath(new URL('./artifacts/', import.meta.url));
/** The README's screenshots: one per screen, rewritten by every run so they show the console as it is. */
const docsImages = fileURLToPath(new URL('../../docs/images/', import.meta.url));
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
    await workflowNight(shop, '2026-11-22');
    const sends = (await Promise.all(customers.map(({ customer }) => shop.deps.ledger.sendsOf(customer.customerId)))).flat();
    const sent = sends.find((send) => send.status === 'sent')!;
    expect(
      await recordFeedback(signFeedbackToken(sent, testUnsubscribeSecret), 'delivery', feedbackComment, { ...shop.deps, secret: testUnsubscribeSecret }),
    ).toBe('recorded');
    useShopEnvironment(shop, { WINBACK_ADMIN_TOKEN: adminToken });
    api = await localApi();
    mkdirSync(artifacts, { recursive: true });
    mkdirSync(docsImages, { recursive: true });
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-quic',
        '--no-first-run',
        '--disable-component-update',
        '--disable-sync',
      ],
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
    const module = await api.request('GET', '/console/schema-form.js');
    const frame = await api.request('GET', '/console/email-frame.html');
    const schema = await api.request('GET', '/console/campaign-config.schema.json');
    const outside = await api.request('GET', '/console/..%2Fpackage.json');
    // Assess
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect(index.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(index.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(module.status).toBe(200);
    // The email frame lets an email's inline styles apply, never a script of its own
    expect(frame.headers.get('content-security-policy')).toContain("style-src 'unsafe-inline'");
    expect(frame.headers.get('content-security-policy')).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(schema.json).toMatchObject({ properties: { campaigns: { items: { properties: { steps: expect.any(Object) } } } } });
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
    await page.screenshot({ path: `${docsImages}console-dashboard.png` });
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
    expect(await comments.textContent()).toContain(`Delivery: ${feedbackComment}`);
    expect(await comments.locator('b').count()).toBe(0);
    expect(await reasons.getByRole('table', { name: /^Customers by reason code/ }).textContent()).toContain('Overdue by their own buying rhythm');
    await page.locator('#dashboard-churn').screenshot({ path: `${artifacts}dashboard-churn.png` });
    await page.locator('#dashboard-reasons').screenshot({ path: `${artifacts}dashboard-reasons.png` });
  });

  it("shows each campaign's uplift view in words: how it targets, who was not emailed and why, the uplift by segment and which offer wins", async () => {
    // Prepare: the dashboard as the one night left it (lost-winback emails everyone; its ledger keeps the decision features)
    const section = page.locator('article[data-campaign="lost-winback"]').getByRole('region', { name: 'Uplift: whom the email moves' });
    await section.waitFor();
    // Assess: the real report, in words: everyone is emailed, the 8 lost repeat buyers split between emailed and held out
    expect(await section.locator('[data-fact="targeting"]').textContent()).toBe('Everyone eligible is emailed');
    expect(await section.locator('[data-fact="allocation"]').textContent()).toBe('Fixed shares, as configured');
    const segments = section.getByRole('table', { name: /^Uplift by segment/ });
    expect(await segments.getByRole('row').nth(1).textContent()).toMatch(/^Lost, repeat buyers0 of \d \(0\.0%\)0 of \d \(0\.0%\)\+0\.0 pts/);
    expect(await section.getByRole('table', { name: /^Not emailed by uplift targeting/ }).count()).toBe(0);
    // Prepare: the same report for a shop whose campaign has targeted by uplift and sized its offers for 15 nights
    await page.route('**/api/report', async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as { campaigns: { id: string }[] };
      const uplift = {
        targeting: 'uplift',
        allocation: 'thompson',
        bySegment: [
          {
            segment: 'lost/repeat',
            treated: { customers: 1200, converted: 96 },
            holdout: { customers: 300, converted: 15 },
            uplift: 0.03,
            ci95: [0.004, 0.052],
          },
        ],
        offers: [
          {
            segment: 'lost/repeat',
            leader: 'fifteen-off',
            variants: [
              {
                variant: 'fifteen-off',
                customers: 640,
                marginPerCustomerMinor: 412.4,
                incrementalMinor: 181.6,
                ci95Minor: [20.2, 343.1],
                winProbability: 0.81,
                discountGivenMinor: 90_000,
              },
              {
                variant: 'twenty-off',
                customers: 560,
                marginPerCustomerMinor: 301.9,
                incrementalMinor: 71.1,
                ci95Minor: [-95.5, 237.7],
                winProbability: 0.19,
                discountGivenMinor: 112_000,
              },
            ],
          },
        ],
        notEmailed: { sure_thing: 1402, lost_cause: 35, do_not_disturb: 12 },
        nights: { uplift: 12, everyone: 3, explored: 9, marginSavedMinor: 123_456, discountSavedMinor: 45_600 },
        latest: { night: '2026-11-22', targeting: 'uplift', used: 'uplift', cvQini: 0.084, treated: 1200, control: 300 },
        marginSaved: '1234.56',
        discountSaved: '456.00',
      };
      await route.fulfill({
        response,
        json: { ...body, campaigns: body.campaigns.map((campaign) => (campaign.id === 'lost-winback' ? { ...campaign, uplift } : campaign)) },
      });
    });
    try {
      // Act
      await page.reload();
      await section.waitFor();
      // Assess: every code in words, counts and money in the shop's formats, the leading offer marked
      expect(await section.locator('[data-fact="targeting"]').textContent()).toBe('By uplift: only customers the email is expected to move');
      expect(await section.locator('[data-fact="allocation"]').textContent()).toBe('Sized by incremental margin (Thompson sampling)');
      expect(await section.locator('[data-fact="latest"]').textContent()).toBe("22 Nov 2026: targeted by uplift (the model's Qini on held-out folds: 0.084)");
      expect(await section.locator('[data-fact="margin-saved"]').textContent()).toBe('€1,234.56');
      expect(await section.locator('[data-fact="discount-saved"]').textContent()).toBe('€456.00');
      const skipped = section.getByRole('table', { name: /^Not emailed by uplift targeting/ });
      expect(await skipped.getByRole('row').allTextContents()).toEqual([
        'WhyCustomers',
        'Would order anyway (sure thing)1,402',
        'Unlikely to order either way (lost cause)35',
        'Put off by the email (do not disturb)12',
        'Chosen anyway, to keep learning9',
      ]);
      expect(await segments.getByRole('row').nth(1).textContent()).toBe('Lost, repeat buyers96 of 1,200 (8.0%)15 of 300 (5.0%)+3.0 pts+0.4 pts to +5.2 pts');
      const offers = section.getByRole('table', { name: /^Which offer wins where/ });
      expect(await offers.getByRole('row').nth(1).textContent()).toBe('Lost, repeat buyersfifteen-off (leads)640€4.12€1.82€0.20 to €3.4381%€900.00');
      // Chromium and Node may write the minus sign differently (- or U+2212)
      expect(await offers.getByRole('row').nth(2).locator('td').allTextContents()).toEqual([
        'Lost, repeat buyers',
        'twenty-off',
        '560',
        '€3.02',
        '€0.71',
        expect.stringMatching(/^[-\u2212]€0\.9[56] to €2\.38$/),
        '19%',
        '€1,120.00',
      ]);
      expect(await section.textContent()).not.toMatch(/sure_thing|lost_cause|do_not_disturb|lost\/repeat|thompson/);
      await section.screenshot({ path: `${docsImages}console-uplift.png` });
    } finally {
      await page.unroute('**/api/report');
    }
  });

  it('edits a field in the form, shows each problem beside its field and the change in the diff, applies it, then rolls it back', async () => {
    // Prepare
    await page.getByRole('tab', { name: 'Campaigns' }).click();
    const panel = page.getByRole('tabpanel', { name: 'Campaigns' });
    await panel.getByLabel('Campaign', { exact: true }).selectOption('lost-winback');
    const name = panel.locator('[data-path="name"]');
    await expect.poll(() => name.inputValue(), patiently).toBe('Lost: we miss you');
    const holdout = panel.locator('[data-path="experiment.holdoutPercent"]');
    const holdoutBefore = await holdout.inputValue();
    // Act: a holdout above the schema's 50%
    await holdout.fill('80');
    // Assess: the problem beside that field, the field marked
    const holdoutProblem = panel.locator('[data-problem-for="experiment.holdoutPercent"]');
    await expect.poll(() => holdoutProblem.textContent(), patiently).toMatch(/50/);
    expect(await panel.locator('[data-path="experiment.holdoutPercent"]').getAttribute('aria-invalid')).toBe('true');
    await page.screenshot({ path: `${artifacts}campaign-invalid.png`, fullPage: true });
    // Act: the fix, and a real change
    await holdout.fill(holdoutBefore);
    await name.fill('Lost customers, second chance');
    // Assess: the one change, against version 1, and no problem left
    const diff = page.getByRole('region', { name: 'Changes against live version 1' });
    await expect
      .poll(() => diff.getByRole('listitem').allTextContents(), patiently)
      .toEqual([expect.stringMatching(/^campaigns\[\d\]\.name: Lost: we miss you → Lost customers, second chance$/)]);
    expect(await holdoutProblem.textContent()).toBe('');
    // Act: apply
    await page.getByRole('button', { name: 'Validate & apply' }).click();
    // Assess
    await expect.poll(() => page.locator('#campaign-result').textContent(), patiently).toMatch(/Applied: version 2 is live/);
    await expect.poll(() => page.locator('#shop-line').textContent(), patiently).toContain('live config version 2');
    await page.locator('#campaign-history li[data-version="2"]').waitFor();
    expect(await page.locator('#campaign-history li[data-version="2"]').textContent()).toContain('Lost customers, second chance');
    // Act: roll back, by keyboard
    const rollback = page.getByRole('button', { name: 'Roll back to version 1' });
    await rollback.focus();
    await page.keyboard.press('Enter');
    // Assess: version 1's settings are live again as version 3, and the form shows them
    await expect.poll(() => page.locator('#rollback-result').textContent(), patiently).toBe('Rolled back: version 1 is live again as version 3.');
    await expect.poll(() => page.locator('#shop-line').textContent(), patiently).toContain('live config version 3');
    await expect.poll(() => name.inputValue(), patiently).toBe('Lost: we miss you');
    expect(await page.locator('#campaign-history li[data-version="3"]').textContent()).toContain('rollback to version 1');
  });

  it('keeps a draft across a reload until it is discarded, and shows it as JSON too', async () => {
    // Prepare
    const panel = page.getByRole('tabpanel', { name: 'Campaigns' });
    await panel.getByLabel('Campaign', { exact: true }).selectOption('at-risk-nudge');
    const priority = panel.locator('[data-path="priority"]');
    await expect.poll(() => panel.locator('[data-path="name"]').inputValue(), patiently).toContain('At risk');
    const original = await priority.inputValue();
    // Act
    await priority.fill('42');
    await expect.poll(() => page.locator('#draft-status').textContent(), patiently).toContain('Draft based on version 3');
    await page.reload();
    await panel.getByLabel('Campaign', { exact: true }).selectOption('at-risk-nudge');
    // Assess: the draft is back in the form, and the JSON view shows the same draft
    await expect.poll(() => priority.inputValue(), patiently).toBe('42');
    await page.screenshot({ path: `${docsImages}console-campaign-editor.png` });
    await panel.getByRole('tab', { name: 'JSON (advanced)' }).click();
    expect(JSON.parse(await panel.getByLabel('Campaign settings (JSON)').inputValue())).toMatchObject({ id: 'at-risk-nudge', priority: 42 });
    await panel.getByRole('tab', { name: 'Form' }).click();
    // Act: discard
    await page.getByRole('button', { name: 'Discard draft' }).click();
    // Assess
    await expect.poll(() => priority.inputValue(), patiently).toBe(original);
    expect(await page.locator('#draft-status').textContent()).toContain('this is the live campaign');
  });

  it('creates a campaign, changes its offer and subject, previews it as HTML, sends a test, applies it and rolls it back, all without JSON', async () => {
    // Prepare
    const panel = page.getByRole('tabpanel', { name: 'Campaigns' });
    await panel.getByLabel('Campaign', { exact: true }).selectOption('lost-winback');
    await expect.poll(() => panel.locator('[data-path="name"]').inputValue(), patiently).toBe('Lost: we miss you');
    // Act: a new campaign, from the form
    await panel.getByText('New campaign').click();
    const newCampaign = panel.locator('#new-campaign-form');
    await newCampaign.getByLabel('Name', { exact: true }).fill('Spring comeback');
    await newCampaign.getByLabel('Id', { exact: true }).fill('spring-comeback');
    await panel.getByRole('button', { name: 'Create as a draft' }).click();
    await expect.poll(() => page.locator('#draft-status').textContent(), patiently).toContain('New campaign, not live yet');
    const firstEmail = panel.getByRole('group', { name: /^Email 1/ });
    await firstEmail.getByRole('group', { name: 'Offer' }).getByLabel('Value', { exact: true }).fill('25');
    await firstEmail
      .getByRole('group', { name: 'Content' })
      .getByLabel('Subject', { exact: true })
      .fill('Spring is here, {{ customer.first_name }}: {{ offer.text }}');
    await expect.poll(() => page.locator('#campaign-diff-list').textContent(), patiently).toContain('Spring comeback');
    // Act: preview the draft
    await panel.getByLabel('Night').fill('2026-11-22');
    await page.getByRole('button', { name: 'Run preview' }).click();
    // Assess: the counts, and the email as HTML at a phone's and a desktop's width, as the renderer wrote it
    await page.locator('#email-samples').waitFor();
    expect(await page.locator('#preview-result caption').textContent()).toBe('Night of 22 Nov 2026: Spring comeback (draft)');
    expect(await page.locator('#preview-result').textContent()).toContain('Held out');
    expect(await page.locator('.sample-subject').textContent()).toBe('Subject: Spring is here, Sam: 25% off your next order');
    for (const size of ['phone', 'desktop']) {
      const frame = page.frameLocator(`iframe[data-size="${size}"]`);
      await expect.poll(() => frame.locator('body').textContent(), patiently).toContain('25%');
    }
    expect(await page.locator('iframe[data-size="phone"]').getAttribute('sandbox')).toBe('allow-scripts');
    expect(Number(await page.locator('iframe[data-size="phone"]').getAttribute('width'))).toBeLessThan(
      Number(await page.locator('iframe[data-size="desktop"]').getAttribute('width')),
    );
    await page.locator('#preview-result').screenshot({ path: `${docsImages}console-preview.png` });
    // Act: send a test
    await page.getByLabel('Send to').fill('marketer@example.org');
    await page.getByRole('button', { name: 'Send a test to me' }).click();
    // Assess: it arrived, marked as a test, written for the sample customer
    await expect
      .poll(() => page.locator('#test-send-result').textContent(), patiently)
      .toBe('Sent "[Test] Spring is here, Sam: 25% off your next order" to marketer@example.org.');
    const inbox = await inboxOf(shop.sesEndpoint, 'marketer@example.org');
    expect(inbox.map((email) => email.subject)).toEqual(['[Test] Spring is here, Sam: 25% off your next order']);
    // Act: apply
    await page.getByRole('button', { name: 'Validate & apply' }).click();
    // Assess
    await expect.poll(() => page.locator('#campaign-result').textContent(), patiently).toMatch(/Applied: version 4 is live/);
    const live = (await shop.deps.configs.latest())!.raw as CampaignConfig;
    const spring = live.campaigns.find((campaign) => campaign.id === 'spring-comeback')!;
    expect(spring.steps[0]!.offer).toMatchObject({ kind: 'percent', value: 25 });
    expect(spring.steps[0]!.content.subject).toBe('Spring is here, {{ customer.first_name }}: {{ offer.text }}');
    // Act: roll back
    await page.getByRole('button', { name: 'Roll back to version 3' }).click();
    // Assess
    await expect.poll(() => page.locator('#rollback-result').textContent(), patiently).toBe('Rolled back: version 3 is live again as version 5.');
    expect(((await shop.deps.configs.latest())!.raw as CampaignConfig).campaigns.map((campaign) => campaign.id)).not.toContain('spring-comeback');
    await page.screenshot({ path: `${artifacts}campaign-rolled-back.png`, fullPage: true });
  });

  it('keeps the selected campaign in the editor when the answer for one chosen before it arrives last', async () => {
    // Prepare: the answer for at-risk-nudge is held back until lost-winback has been chosen and shown
    const panel = page.getByRole('tabpanel', { name: 'Campaigns' });
    const name = panel.locator('[data-path="name"]');
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
    await expect.poll(() => name.inputValue(), patiently).toBe('Lost: we miss you');
    const late = page.waitForEvent('requestfinished', (request) => request.url().endsWith('/api/campaigns/at-risk-nudge'));
    release();
    await late;
    // The page has the whole late answer; a moment more for its handler to run.
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 200)));
    // Assess
    expect(await select.inputValue()).toBe('lost-winback');
    expect(await name.inputValue()).toBe('Lost: we miss you');
    await page.unroute('**/api/campaigns/at-risk-nudge');
  });

  it("says a preview's counts are estimates when the API answered from a sample of a large shop", async () => {
    // Prepare: the API's real answer, as a shop too large to scan in 30 seconds would get it
    await page.route('**/api/campaigns/*/preview', async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as Record<string, unknown>;
      await route.fulfill({
        response,
        json: { ...body, coverage: { complete: false, segmentsScanned: 37, totalSegments: 500, fraction: 0.074, customersScanned: 73_912 } },
      });
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

  it('opens every tab without an error in the page', async () => {
    // Prepare
    const errors: string[] = [];
    const onError = (error: Error) => errors.push(error.message);
    page.on('pageerror', onError);
    try {
      // Act
      for (const name of ['Customer', 'Dashboard', 'Campaigns', 'Segments', 'Customer']) {
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

  it('shows segments with counts, filters them, exports the segment as CSV and opens a customer with their journey in words', async () => {
    // Act
    await page.getByRole('tab', { name: 'Segments' }).click();
    const panel = page.getByRole('tabpanel', { name: 'Segments' });
    await expect.poll(() => page.locator('#segments-status').textContent(), patiently).toMatch(/customers match/);
    await panel.getByLabel('Status').selectOption('lost');
    // Assess: the 8 lost customers, each with the latest decision in words
    await expect.poll(() => page.locator('#segments-status').textContent(), patiently).toMatch(/^8 of 8 customers match/);
    const rows = page.locator('#segment-table tr[data-customer]');
    expect(await rows.count()).toBe(8);
    expect(await rows.first().textContent()).toMatch(/Lost.*(Emailed|Held out)/);
    // Campaigns by their name with the id beside it, and steps by their day, as on the customer page
    const lostCampaign = testConfig().campaigns.find((campaign) => campaign.id === 'lost-winback')!;
    const named = `${lostCampaign.name} (${lostCampaign.id})`;
    for (const text of await rows.allTextContents()) expect(text).toContain(`${named}, Email 1 (day ${lostCampaign.steps[0]!.delayDays})`);
    expect(await page.locator('#segment-counts').textContent()).toContain(named);
    expect(await page.locator('#segment-counts').textContent()).toContain('Overdue by their own buying rhythm');
    await page.screenshot({ path: `${docsImages}console-segments.png` });
    // Act: export
    const downloaded = page.waitForEvent('download');
    await panel.getByRole('button', { name: 'Export CSV' }).click();
    const file = await downloaded;
    const csv = readFileSync((await file.path())!, 'utf8');
    // Assess: a header and one line per lost customer
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).toBe(
      'customer_id,email,first_name,status,value_tier,value_at_stake,reasons,campaign,last_order_at,decision_night,decision,decision_reason,decision_step',
    );
    expect(lines).toHaveLength(9);
    expect(lines.slice(1).every((line) => line.split(',')[3] === 'lost')).toBe(true);
    // Act: open the first customer
    await rows.first().getByRole('button').click();
    // Assess: the customer page, with the journey and decisions in words and one step numbering
    const facts = page.locator('#customer-facts');
    await facts.waitFor();
    expect(await facts.textContent()).toContain('Lost');
    expect(await page.locator('#customer-journey').textContent()).toMatch(
      /^In Lost: we miss you \(lost-winback\), (variant [\w-]+|in the holdout \(gets nothing, to measure lift\)), since 22 Nov 2026; .*next: Email 2 \(day 7\)\.$/,
    );
    expect(await page.locator('#customer-result').textContent()).toContain('Email 1 (day 0)');
    expect(await page.locator('#customer-result').textContent()).not.toMatch(/step-0|Step 1\b/);
    await page.screenshot({ path: `${docsImages}console-customer.png` });
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

  it("says how old the figures are when the report comes from the snapshot built after the night, in the shop's time zone", async () => {
    // Prepare: the API's answer for a shop whose report takes longer to build than the API may wait
    await page.route('**/api/report', async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as Record<string, unknown>;
      await route.fulfill({ response, json: { ...body, servedFrom: 'snapshot', generatedAt: '2026-11-23T03:12:00.000Z' } });
    });
    // Act
    await page.goto(`${api.base}/`);
    const status = page.locator('#dashboard-status');
    await expect.poll(() => status.textContent(), patiently).toContain('figures as of');
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
      await route.fulfill({
        status: 200,
        headers: { 'access-control-allow-origin': '*' },
        contentType: 'application/json',
        body: JSON.stringify({ access_token: adminToken, token_type: 'Bearer', expires_in: 3600 }),
      });
    });
    try {
      // Act
      await signInPage.goto(`${api.base}/`);
      await signInPage.getByRole('button', { name: 'Sign in with your marketer account' }).click();
      const card = signInPage.locator('article[data-campaign="lost-winback"]');
      await card.waitFor();
      // Assess: a code flow with S256 PKCE whose verifier matches its challenge, and a clean address bar after
      expect(Object.fromEntries(authorize!)).toMatchObject({
        response_type: 'code',
        client_id: 'consoleclient123',
        redirect_uri: `${api.base}/`,
        code_challenge_method: 'S256',
        scope: 'openid email',
      });
      const challenge = createHash('sha256').update(exchange!.get('code_verifier')!).digest('base64url');
      expect(authorize!.get('code_challenge')).toBe(challenge);
      expect(Object.fromEntries(exchange!)).toMatchObject({
        grant_type: 'authorization_code',
        client_id: 'consoleclient123',
        code: 'one-time-code',
        redirect_uri: `${api.base}/`,
      });
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
