import type { CampaignConfig } from '../config/campaign-config.js';
import type { Customer } from '../domain/customer.js';
import type { CalendarDate } from '../domain/dates.js';
import {
  type CalibrationNight,
  nightCalibration,
  type ReasonObservation,
  type ReasonTallies,
  reasonCounter,
  tallyReasons,
  unchangedSince,
} from '../domain/report-churn.js';
import type { ReasonGroup, ReasonsView } from '../domain/report-view.js';
import type { ReportedSend } from '../domain/sends.js';
import type { ReportRecords, ReportSource } from '../ports/report-source.js';
import { classifierFor, type History } from './report-history.js';

/** What the report derives from the customer profiles, read in one pass a page at a time. */
export interface ProfileFindings {
  readonly calibration: readonly CalibrationNight[];
  /** The customers at risk or lost as of the latest night of record; absent without one. */
  readonly now?: { readonly asOf: CalendarDate; readonly tallies: ReasonTallies };
  /** The profiles of the customers the campaigns chose in range, and only those: the rest are counted and let go. */
  readonly chosen: ReadonlyMap<string, Customer>;
}

/**
 * One pass over the profiles, a page at a time, so a base of any size fits: what is counted over every customer (the
 * calibration, the reasons "now") is counted as the profiles pass, and only the profiles of the customers chosen in
 * range are kept, since their reasons are judged per send, as of the night that chose them.
 */
export async function readProfiles(
  source: ReportSource,
  records: ReportRecords,
  reported: readonly ReportedSend[],
  config: CampaignConfig,
  history: History,
): Promise<ProfileFindings> {
  const timeZone = config.shop.timeZone;
  const calibrations = history.calibration.map(({ model, night, horizonDays }) => nightCalibration(model, night, horizonDays, timeZone));
  const latestRun = history.latestNight ? history.nights.get(history.latestNight) : records.latestRun;
  const now = latestRun?.asOf ? { asOf: latestRun.asOf, classify: classifierFor(latestRun, config), counter: reasonCounter() } : undefined;
  const chosenIds = new Set(reported.filter(isChosen).map((send) => send.customerId));
  const chosen = new Map<string, Customer>();
  await source.forEachCustomer((customers) => {
    for (const customer of customers) {
      for (const calibration of calibrations) calibration.add(customer);
      if (now) {
        const classification = now.classify(customer, now.asOf);
        if (classification.status === 'at_risk' || classification.status === 'lost')
          now.counter.add({ status: classification.status, reasonCodes: classification.reasonCodes ?? [] });
      }
      if (chosenIds.has(customer.customerId)) chosen.set(customer.customerId, customer);
    }
  });
  return {
    calibration: calibrations.map((calibration) => calibration.finish()),
    ...(now ? { now: { asOf: now.asOf, tallies: now.counter.finish() } } : {}),
    chosen,
  };
}

function isChosen(send: ReportedSend): boolean {
  return send.status === 'sent' || send.status === 'scheduled' || send.status === 'held_out';
}

/**
 * Data-derived reason codes are never stored per customer: they are a function of the profile and the night's model.
 * "Now" classifies every profile as the latest night of record would. Per campaign and night, a customer the campaign
 * chose is classified as of that night, with that night's model, but only while their purchases are still those of
 * that night (no order since): a customer who ordered again is counted apart, as the reasons no longer apply.
 */
export function reasonCodes(
  records: ReportRecords,
  reported: readonly ReportedSend[],
  config: CampaignConfig,
  history: History,
  profiles: ProfileFindings,
): ReasonsView['codes'] {
  const classifiers = new Map<CalendarDate, ReturnType<typeof classifierFor>>();
  const classifierOf = (night: CalendarDate) =>
    classifiers.get(night) ?? classifiers.set(night, classifierFor(history.nights.get(night) ?? records.latestRun, config)).get(night)!;
  type Group = { customers: Set<string>; orderedSince: number; observations: ReasonObservation[] };
  const byCampaign = new Map<string, Group>();
  const byNight = new Map<CalendarDate, Group>();
  const groupOf = <K>(map: Map<K, Group>, key: K) => map.get(key) ?? map.set(key, { customers: new Set(), orderedSince: 0, observations: [] }).get(key)!;
  for (const send of reported) {
    if (!isChosen(send)) continue;
    const customer = profiles.chosen.get(send.customerId);
    if (!customer) continue;
    const groups = [groupOf(byCampaign, send.campaignId), groupOf(byNight, send.asOf)].filter((group) => !group.customers.has(send.customerId));
    if (groups.length === 0) continue;
    for (const group of groups) group.customers.add(send.customerId);
    if (!unchangedSince(customer, history.instantOf(send.asOf))) {
      for (const group of groups) group.orderedSince += 1;
      continue;
    }
    const classification = classifierOf(send.asOf)(customer, send.asOf);
    if (classification.status !== 'at_risk' && classification.status !== 'lost') continue;
    for (const group of groups) group.observations.push({ status: classification.status, reasonCodes: classification.reasonCodes ?? [] });
  }
  const view = (group: Group): ReasonGroup => {
    const { byStatus: _byStatus, ...tally } = tallyReasons(group.observations);
    return { ...tally, orderedSince: group.orderedSince };
  };
  return {
    now: { asOf: profiles.now?.asOf ?? null, ...(profiles.now?.tallies ?? tallyReasons([])) },
    // By campaign id: the ledger's scan hands the sends over in no set order.
    byCampaign: [...byCampaign].sort(([a], [b]) => (a < b ? -1 : 1)).map(([campaignId, group]) => ({ campaignId, ...view(group) })),
    byNight: [...byNight].sort(([a], [b]) => (a < b ? -1 : 1)).map(([night, group]) => ({ night, ...view(group) })),
  };
}
