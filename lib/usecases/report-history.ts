import type { CampaignConfig } from '../config/campaign-config.js';
import { type Classification, classify, classifyWithModel } from '../domain/classification.js';
import type { Customer } from '../domain/customer.js';
import { type CalendarDate, daysBetween, instantAt } from '../domain/dates.js';
import {
  type ChurnNight,
  calibrationNights,
  churnByNight,
  type NightRecord,
  nightsOfRecord,
  type ReactivationUnit,
  reactivationUnits,
} from '../domain/report-churn.js';
import type { FittedPurchaseModel } from '../domain/scoring/types.js';
import { storedNightModel } from '../domain/stored-model.js';
import type { ReportRecords } from '../ports/report-source.js';

/** The report's options that shape the history (ReportOptions carries them, documented there). */
export interface HistoryOptions {
  readonly reactivationDays?: number;
  readonly calibrationDays?: number;
  readonly calibrationNights?: number;
}

export interface History {
  readonly churn: ChurnNight[];
  readonly reactivationUnits: ReactivationUnit[];
  readonly reactivationDays: number;
  /** The latest instant the data covers: now, or the latest night of record when the nights are replayed ahead of it. */
  readonly dataEnd: string;
  /** The model nights to calibrate, each with its model and horizon: the profiles are read after the nights. */
  readonly calibration: readonly { readonly night: CalendarDate; readonly model: FittedPurchaseModel; readonly horizonDays: number }[];
  readonly calibrationDays: number;
  /** Run records that stand, by night, and the night's instant. */
  readonly nights: ReadonlyMap<CalendarDate, NightRecord>;
  readonly instantOf: (night: CalendarDate) => string;
  readonly latestNight: CalendarDate | undefined;
}

/**
 * Churn over time from the run records, the customers to follow for reactivation, and which nights' stored models to
 * calibrate against the purchase days their customers then made. The end of the data is the latest night of
 * record: at that night the orders before it were known, and nights replayed ahead of the clock stay comparable.
 */
export function historyOf(
  records: ReportRecords,
  config: CampaignConfig,
  range: { from: CalendarDate; to: CalendarDate; now: Date },
  options: HistoryOptions,
): History {
  const timeZone = config.shop.timeZone;
  const stood = nightsOfRecord(records.runs.filter((run) => run.asOf >= range.from && run.asOf <= range.to));
  const nights = new Map(stood.map((run) => [run.asOf, run]));
  const reservedAt = new Map<CalendarDate, string>();
  for (const send of records.sends) if (!reservedAt.has(send.asOf)) reservedAt.set(send.asOf, send.reservedAt);
  // A replayed night runs at 03:00 shop time: without a run record, that is the best guess of its instant.
  const instantOf = (night: CalendarDate) => nights.get(night)?.nightAt ?? reservedAt.get(night) ?? instantAt(night, 180, timeZone).toISOString();
  const latestNight = stood.at(-1)?.asOf;
  const now = range.now.toISOString();
  const lastInstant = latestNight ? instantOf(latestNight) : now;
  const dataEnd = lastInstant > now ? lastInstant : now;
  const reactivationDays = options.reactivationDays ?? defaultReactivationDays;
  const sends = records.sends.filter((send) => send.asOf >= range.from && send.asOf <= range.to);
  const decisions = records.decisions.filter((decision) => decision.asOf >= range.from && decision.asOf <= range.to);
  const calibrationDays = options.calibrationDays ?? defaultCalibrationDays;
  const calibration: History['calibration'][number][] = [];
  if (latestNight) {
    const models = new Map<CalendarDate, FittedPurchaseModel>();
    for (const run of stood) {
      const model = storedNightModel(run.scoring, config.classification)?.purchases;
      if (model) models.set(run.asOf, model);
    }
    for (const night of calibrationNights([...models.keys()], latestNight, options.calibrationNights ?? defaultCalibrationNightCount)) {
      calibration.push({ night, model: models.get(night)!, horizonDays: Math.min(calibrationDays, daysBetween(night, latestNight)) });
    }
  }
  return {
    churn: churnByNight(stood),
    reactivationUnits: reactivationUnits(sends, decisions, instantOf, reactivationDays),
    reactivationDays,
    dataEnd,
    calibration,
    calibrationDays,
    nights,
    instantOf,
    latestNight,
  };
}

const defaultReactivationDays = 30;
const defaultCalibrationDays = 90;
export const defaultCalibrationNightCount = 12;

/** Classifies as the given night did: with its fitted model when it used one, else with the cadence rule and its pace. */
export function classifierFor(run: NightRecord | undefined, config: CampaignConfig): (customer: Customer, asOf: CalendarDate) => Classification {
  const pace = run?.shopPace ?? { secondOrderGapDays: config.classification.fallbackSecondOrderGapDays, measuredOn: 0 };
  const timeZone = config.shop.timeZone;
  const model = storedNightModel(run?.scoring, config.classification);
  if (!model) return (customer, asOf) => classify(customer, asOf, pace, config.classification, timeZone);
  return (customer, asOf) => classifyWithModel(customer, asOf, pace, config.classification, timeZone, model);
}
