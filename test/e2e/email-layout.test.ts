import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCampaignConfig } from '../../lib/config/campaign-config.js';
import defaultCampaignConfig from '../../lib/config/default-campaign-config.json' with { type: 'json' };
import { sampleEmails } from '../../lib/usecases/sample-emails.js';

const chromiumPath = '/usr/bin/chromium';
const ctaLabels = /^(See what's new|Use my code|Shop with my code|Come back and save|Use my offer|Visit the shop)$/;

/** Every shipped email (each campaign, variant and step), as the night composes it for the sample customer. */
const config = parseCampaignConfig(defaultCampaignConfig);
const emails = config.campaigns.flatMap((campaign) =>
  sampleEmails(config, campaign, { now: () => new Date('2026-11-22T02:00:00Z') }).map((email) => ({
    name: `${campaign.id} ${email.variant} step ${email.step}`,
    html: email.html,
  })),
);

describe.skipIf(!existsSync(chromiumPath))('the shipped emails, in headless Chromium at phone and desktop widths', { timeout: 120_000 }, () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  for (const width of [375, 1200]) {
    it(`shows the call-to-action button and scrolls nothing sideways at ${width} px`, async () => {
      // Prepare: images never load (the shop's hosts do not exist), as in a mail client that blocks them
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      await page.route('**/*', (route) => route.abort());
      const problems: string[] = [];
      for (const email of emails) {
        // Act
        await page.setContent(email.html, { waitUntil: 'domcontentloaded' });
        const layout = await page.evaluate<{ scrollWidth: number; innerWidth: number }>(
          '({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })',
        );
        const button = page.getByRole('link', { name: ctaLabels }).first();
        const box = (await button.count()) > 0 ? await button.boundingBox() : null;
        // Assess (collected, so one run names every email that fails)
        if (layout.scrollWidth > layout.innerWidth) problems.push(`${email.name}: ${layout.scrollWidth} px wide in a ${layout.innerWidth} px window`);
        if (!box || box.width < 44 || box.height < 30 || box.x < 0 || box.x + box.width > width)
          problems.push(`${email.name}: call-to-action not fully visible (${JSON.stringify(box)})`);
      }
      await page.close();
      expect(emails.length).toBeGreaterThan(0);
      expect(problems).toEqual([]);
    });
  }
});
