import type { CampaignConfig } from '../config/campaign-config.js';
import { addDays, type CalendarDate } from '../domain/dates.js';
import { evaluateGuard, type GuardEvaluation, guardWindow, type PauseScope, scopeName } from '../domain/deliverability.js';
import type { CampaignConfigStore } from '../ports/campaign-configs.js';
import type { SendLedger } from '../ports/send-ledger.js';
import type { NightLog } from './step-types.js';

export interface GuardDependencies {
  readonly ledger: Pick<SendLedger, 'sentOnNights' | 'beginNight'>;
  readonly configs: Pick<CampaignConfigStore, 'pauses' | 'pause'>;
  readonly log?: NightLog;
}

/** The message CloudWatch alarms and log searches key on when the guard pauses sending. */
export const guardPausedMessage = 'deliverability guard paused sending';

/**
 * Measures the shop and every campaign over the guard's window (the nights before `asOf`), stores a pause
 * for each scope that reached a threshold, and answers what is paused. Run at the start of each night, before any
 * email goes out: the night is what starts new sends, so this is the last moment a pause can still prevent them. With
 * `store: false` (a preview) it decides the same but writes nothing.
 */
export async function guardDeliverability(
  deps: GuardDependencies,
  config: CampaignConfig,
  night: { readonly asOf: CalendarDate; readonly at: Date },
  options: { store: boolean } = { store: true },
): Promise<GuardEvaluation> {
  const settings = config.guardrails.deliverability;
  const lastNight = addDays(night.asOf, -1);
  const pauses = await deps.configs.pauses();
  const window = guardWindow(lastNight, settings);
  const sends = await deps.ledger.sentOnNights(window.firstNight, window.lastNight);
  const evaluation = evaluateGuard({
    sends,
    pauses,
    settings,
    campaignIds: config.campaigns.map((campaign) => campaign.id),
    lastNight,
    at: night.at.toISOString(),
  });
  if (!options.store) return evaluation;
  await deps.ledger.beginNight(night.asOf);
  for (const record of evaluation.newPauses) {
    const stored = await deps.configs.pause(record);
    // An error, not a warning: sending stopped by itself and someone has to look and resume it on purpose.
    if (stored)
      deps.log?.error(guardPausedMessage, { scope: scopeName(record.scope), ...scopeFields(record.scope), reason: record.reason, rates: record.rates });
  }
  return evaluation;
}

function scopeFields(scope: PauseScope): Record<string, string> {
  return scope.kind === 'campaign' ? { campaignId: scope.campaignId } : {};
}
