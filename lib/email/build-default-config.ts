// Writes the shipped campaigns' HTML and text templates into lib/config/default-campaign-config.json, compiled from
// lib/email/default-emails.ts in the shipped design. Run: npm run emails:build
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultEmailCopy } from './default-emails.js';
import { designEmail } from './design.js';

export const defaultConfigPath = fileURLToPath(new URL('../config/default-campaign-config.json', import.meta.url));

interface RawConfig {
  campaigns: { id: string; steps: { content: { html: string; text: string } }[] }[];
}

/** The default config's text with every shipped step's templates compiled from its copy. */
export function buildDefaultConfig(text: string): string {
  const config = JSON.parse(text) as RawConfig;
  for (const campaign of config.campaigns) {
    const copies = defaultEmailCopy[campaign.id];
    if (!copies) continue;
    campaign.steps.forEach((step, index) => {
      const copy = copies[index];
      if (!copy) throw new Error(`lib/email/default-emails.ts has no copy for step ${index + 1} of "${campaign.id}"`);
      const designed = designEmail(copy);
      step.content.html = designed.html;
      step.content.text = designed.text;
    });
  }
  return `${JSON.stringify(config, null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const before = readFileSync(defaultConfigPath, 'utf8');
  const after = buildDefaultConfig(before);
  if (after !== before) writeFileSync(defaultConfigPath, after);
  process.stdout.write(after === before ? 'default-campaign-config.json is up to date\n' : 'default-campaign-config.json rewritten\n');
}
