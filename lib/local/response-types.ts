import { unitHash } from '../domain/assignment.js';

/**
 * Simulated customers whose response to a win-back email is known (issue 28, item 6): the four kinds uplift modelling
 * tells apart. The probabilities are of ordering within the attribution window, without and with the email.
 * - persuadable: the email brings them back;
 * - sure_thing: they come back anyway (an offer sent to them is given away);
 * - lost_cause: they do not come back either way;
 * - do_not_disturb: the email puts them off (they would have come back on their own more often).
 */
export const responseTypes = ['persuadable', 'sure_thing', 'lost_cause', 'do_not_disturb'] as const;
export type ResponseType = (typeof responseTypes)[number];

export const responseProbabilities: Readonly<Record<ResponseType, { readonly notEmailed: number; readonly emailed: number }>> = {
  persuadable: { notEmailed: 0.03, emailed: 0.15 },
  sure_thing: { notEmailed: 0.3, emailed: 0.32 },
  lost_cause: { notEmailed: 0.01, emailed: 0.015 },
  do_not_disturb: { notEmailed: 0.1, emailed: 0.04 },
};

export interface ResponseTraits {
  readonly recencyDays: number;
  readonly orders: number;
  /** Every order used a coupon, or the customer complained once. */
  readonly discountOnly: boolean;
}

/**
 * A customer's kind, mostly from what the shop can see (so a learner can find it), partly at random (so it cannot be
 * read off perfectly): 75% of customers follow the pattern, the rest are drawn uniformly, stably per customer id.
 * - recent regulars come back anyway; one-time buyers gone for long do not; coupon-only customers resent more email;
 *   the rest, lapsed repeat buyers and recent one-timers, can be persuaded.
 */
export function responseTypeOf(customerId: string, traits: ResponseTraits): ResponseType {
  if (unitHash(`response-noise:${customerId}`) < 0.25) return responseTypes[Math.floor(unitHash(`response-type:${customerId}`) * responseTypes.length)]!;
  if (traits.discountOnly) return 'do_not_disturb';
  if (traits.orders >= 4 && traits.recencyDays < 120) return 'sure_thing';
  if (traits.orders <= 1 && traits.recencyDays > 240) return 'lost_cause';
  return 'persuadable';
}
