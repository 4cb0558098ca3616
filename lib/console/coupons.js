// @ts-check
// Whether the codes in the emails work at checkout. A campaign whose codes Winback makes alone (coupon.provider
// "local") sends codes the shop's platform has never heard of, unless the shop loads them itself: a customer who
// types one is told it does not exist. So the console says so on every screen until a platform makes the codes.

import { byId as $ } from './dom.js';

/** @typedef {import('../config/campaign-config.js').CampaignConfig} CampaignConfig */

/**
 * The notice for this config, or '' when every campaign with codes makes them in the shop's platform.
 * @param {CampaignConfig} config
 */
export function localCouponNotice(config) {
  const local = config.campaigns.filter((campaign) => campaign.coupon && (campaign.coupon.provider ?? 'local') === 'local');
  if (!local.length) return '';
  const names = local.map((campaign) => `"${campaign.name}"`).join(', ');
  return (
    `Offer codes in ${names} are made by Winback alone: they will not work at checkout until the shop's platform is connected. ` +
    "Run `winback connect shopify` (or `winback connect woocommerce`), then set the campaign's coupon provider to that platform; or load the codes into the shop yourself."
  );
}

/** Shows or hides the notice for the live config. @param {CampaignConfig} config */
export function showCouponNotice(config) {
  const notice = $('coupon-notice');
  const text = localCouponNotice(config);
  notice.textContent = text;
  notice.hidden = text === '';
}
