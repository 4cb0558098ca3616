import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { testConfig } from '../support/customers.js';
import { localApi } from '../support/http.js';
import { localShop, useShopEnvironment } from '../support/local-aws.js';

const chromiumPath = '/usr/bin/chromium';
const adminToken = 'test-admin-token-coupons-0123456789';

describe.skipIf(!existsSync(chromiumPath))('the console says whether offer codes work at checkout', () => {
  let api: Awaited<ReturnType<typeof localApi>>;
  let browser: Browser;
  let page: Page;
  let shop: Awaited<ReturnType<typeof localShop>>;

  beforeAll(async () => {
    // Prepare: the shipped campaigns, whose codes Winback makes alone (coupon.provider "local", the default).
    shop = await localShop();
    await applyCampaignConfig(testConfig(), 'test', shop.deps);
    useShopEnvironment(shop, { WINBACK_ADMIN_TOKEN: adminToken });
    api = await localApi();
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(30_000);
  });
  afterAll(async () => {
    await browser?.close();
    await api?.close();
    vi.unstubAllEnvs();
  });

  it("warns on every screen while codes are made by Winback alone, and stops once the shop's platform makes them", async () => {
    // Act
    await page.goto(`${api.base}/`);
    await page.getByLabel('Admin token').fill(adminToken);
    await page.getByRole('button', { name: 'Open the console' }).click();
    const notice = page.locator('#coupon-notice');
    await notice.waitFor();
    const local = await notice.textContent();
    await page.getByRole('tab', { name: 'Segments', exact: true }).click();
    const onSegments = await notice.isVisible();
    // Prepare: the shop connected, its campaigns' codes made in Shopify.
    await applyCampaignConfig(
      testConfig((raw) => {
        (raw.shop as { shopifyDomain?: string }).shopifyDomain = 'alder-finch.myshopify.com';
        for (const campaign of raw.campaigns) if (campaign.coupon) (campaign.coupon as { provider?: string }).provider = 'shopify';
      }),
      'test',
      shop.deps,
    );
    await page.reload();
    await page.locator('#shop-line', { hasText: 'live config version 2' }).waitFor();
    // Assess
    expect(local).toContain("will not work at checkout until the shop's platform is connected");
    expect(local).toContain('winback connect');
    expect(local).toMatch(/"[^"]+"/);
    expect(onSegments).toBe(true);
    expect(await notice.isHidden()).toBe(true);
  });
});
