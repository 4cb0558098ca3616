import type { lifecycleStatuses } from './classification.js';
import { type SkipReason, skipReasonMeanings } from './decisions.js';
import type { ReasonCode } from './reasons.js';
import { type ValueTier, valueTiers } from './segments.js';
import type { TargetingSkipReason } from './uplift/targeting.js';

/**
 * The words a marketer reads for each code, in one place: the console loads them (`/console/labels.json`), so a
 * status, reason or outcome is named the same on every screen. Typed as complete records: a new code without a
 * label does not compile.
 */
export const statusLabels: Record<(typeof lifecycleStatuses)[number] | 'won_back' | 'unreadable', string> = {
  active: 'Active',
  at_risk: 'At risk',
  lost: 'Lost',
  no_orders: 'No orders yet',
  won_back: 'Won back',
  unreadable: 'Record unreadable',
};

export const reasonCodeLabels: Record<ReasonCode, string> = {
  overdue_own_cadence: 'Overdue by their own buying rhythm',
  one_time_never_returned: 'Bought once, never came back',
  last_order_undone: 'Last order cancelled or refunded',
  negative_feedback: 'Said why they stopped (negative)',
  complained: 'Marked an email as spam',
  discount_only: 'Buys only with a discount',
  spend_falling: 'Spending less each time',
  regular_gone_quiet: 'A regular gone quiet',
};

export const outcomeLabels: Record<'sent' | 'held_out' | 'scheduled' | 'skipped', string> = {
  sent: 'Emailed',
  held_out: 'Held out (gets nothing, to measure lift)',
  scheduled: 'Waiting for the end of quiet hours',
  skipped: 'Not emailed',
};

export const valueTierLabels: Record<ValueTier, string> = {
  high: 'High value (top 20%)',
  medium: 'Medium value (next 30%)',
  low: 'Low value',
  none: 'Nothing at stake',
};

/** Uplift targeting (docs/uplift.md): how a campaign chooses whom to email, and why it skipped a customer. */
export const targetingLabels: Record<'everyone' | 'uplift', string> = {
  everyone: 'Everyone eligible is emailed',
  uplift: 'By uplift: only customers the email is expected to move',
};

export const allocationLabels: Record<'fixed' | 'thompson', string> = {
  fixed: 'Fixed shares, as configured',
  thompson: 'Sized by incremental margin (Thompson sampling)',
};

export const upliftSkipLabels: Record<TargetingSkipReason, string> = {
  sure_thing: 'Would order anyway (sure thing)',
  lost_cause: 'Unlikely to order either way (lost cause)',
  do_not_disturb: 'Put off by the email (do not disturb)',
};

const sentence = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** Every label, as the console reads it; skip reasons say in full why a customer was not emailed. */
export function consoleLabels() {
  return {
    statuses: statusLabels,
    reasons: reasonCodeLabels,
    outcomes: outcomeLabels,
    valueTiers: Object.fromEntries(valueTiers.map((tier) => [tier, valueTierLabels[tier]])),
    targeting: targetingLabels,
    allocation: allocationLabels,
    upliftSkips: upliftSkipLabels,
    skipReasons: Object.fromEntries(Object.entries(skipReasonMeanings).map(([reason, meaning]) => [reason, sentence(meaning)])) as Record<SkipReason, string>,
  };
}
export type ConsoleLabels = ReturnType<typeof consoleLabels>;
