// @ts-check
// The live campaign config as every screen names campaigns and steps: by name and day, the id beside it.

import { stepLabel } from './format.js';

/** @typedef {import('../config/campaign-config.js').CampaignConfig} CampaignConfig */

/** @type {() => CampaignConfig | undefined} */
let liveConfig = () => undefined;
/** @param {() => CampaignConfig | undefined} read */
export const useLiveConfig = (read) => (liveConfig = read);

/** The campaign as the live config has it; undefined once it is gone from the config. @param {string | undefined} campaignId */
export const liveCampaign = (campaignId) => liveConfig()?.campaigns.find((candidate) => candidate.id === campaignId);

/** "Email 2 (day 7)", the day where the live config still has the campaign. @param {string | undefined} campaignId @param {number | undefined} step */
export function stepOf(campaignId, step) {
  return stepLabel(step, step === undefined ? undefined : liveCampaign(campaignId)?.steps[step]?.delayDays);
}

/** "Lost customers (lost-winback)", or the id alone for a campaign the live config no longer has. @param {string | undefined} campaignId */
export const campaignName = (campaignId) => {
  const campaign = liveCampaign(campaignId);
  return campaign ? `${campaign.name} (${campaign.id})` : (campaignId ?? '–');
};
