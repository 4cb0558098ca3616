import type { EmailCopy } from './design.js';

/**
 * The words of the shipped campaigns' emails, by campaign id and step. `npm run emails:build` compiles them in the
 * shipped design into lib/config/default-campaign-config.json (test/unit/email-design.test.ts fails while the two
 * differ). Plain text with Liquid; see docs/emails.md for the variables.
 */
export const defaultEmailCopy: Readonly<Record<string, readonly EmailCopy[]>> = {
  'at-risk-nudge': [
    {
      headline: "It's been a little while",
      paragraphs: [
        "It has been a little longer than usual since your last visit{% if customer.last_products.size > 0 %}, and we hope you are enjoying your {{ customer.last_products | first }}{% endif %}. Here is what's new in the shop.",
      ],
      callToAction: "See what's new",
      recommendationsTitle: 'Picked for you',
    },
    {
      headline: 'A little something for your next order',
      paragraphs: ['We saved you a thank-you for your next order. It is yours for the next two weeks.'],
      callToAction: 'Use my code',
      recommendationsTitle: 'Picked for you',
    },
    {
      headline: 'Your code ends soon',
      paragraphs: ['Your code is still waiting, and it would be lovely to see you again before it runs out.'],
      callToAction: 'Shop with my code',
      recommendationsTitle: 'Picked for you',
    },
  ],
  'lost-winback': [
    {
      headline: 'We miss you, {{ customer.first_name }}',
      paragraphs: [
        "It has been a while. A lot has changed since your {{ customer.last_products | first | default: 'last order' }}, and we would love to show you.",
      ],
      callToAction: 'Come back and save',
      recommendationsTitle: 'New favourites in the shop',
    },
    {
      headline: 'Your welcome-back offer is still here',
      paragraphs: ['Your offer is still waiting for you, a little bigger than before.'],
      callToAction: 'Use my offer',
      recommendationsTitle: 'New favourites in the shop',
    },
    {
      headline: 'One last note from us',
      paragraphs: ['This is our last note about it: your offer ends soon. We hope to see you again.'],
      callToAction: 'Visit the shop',
      recommendationsTitle: 'New favourites in the shop',
    },
  ],
};
