import type { ClassificationSettings } from '../config/campaign-config.js';
import type { NightModel } from './classification.js';
import { isPurchaseModel, parseFittedModel } from './scoring/models.js';
import type { AnyFittedModel, FittedGammaGamma, FittedPurchaseModel } from './scoring/types.js';

/** A night's scoring as its run record stores it: the fitted models are JSON, read back as anything. */
export interface StoredScoring {
  readonly used?: string;
  readonly model?: unknown;
  readonly spendModel?: unknown;
}

/**
 * The model a night classified by, read back from its run record with today's thresholds, or undefined when it used
 * the rule or its stored model no longer reads (the caller then classifies by the rule, as that night would have).
 * The spend model comes along only when it converged, as the night used it.
 */
export function storedNightModel(scoring: StoredScoring | undefined, settings: ClassificationSettings): NightModel | undefined {
  if (scoring?.used !== 'model') return undefined;
  const purchaseModel = readStored(scoring.model);
  if (!purchaseModel || !isPurchaseModel(purchaseModel)) return undefined;
  const purchases: FittedPurchaseModel = purchaseModel;
  const spendModel = readStored(scoring.spendModel);
  return nightModel(purchases, spendModel?.model === 'gamma-gamma' ? (spendModel as FittedGammaGamma) : undefined, settings);
}

/** The model a night classifies by: the purchase model, the spend model only when it converged, the config's thresholds. */
export function nightModel(purchases: FittedPurchaseModel, spend: FittedGammaGamma | undefined, settings: ClassificationSettings): NightModel {
  return {
    purchases,
    ...(spend?.converged ? { spend } : {}),
    atRiskBelowPAlive: settings.model.atRiskBelowPAlive,
    lostBelowPAlive: settings.model.lostBelowPAlive,
  };
}

function readStored(stored: unknown): AnyFittedModel | undefined {
  if (stored === undefined || stored === null) return undefined;
  try {
    return parseFittedModel(stored);
  } catch {
    // A stored model that no longer reads (an older shape, a damaged record) is not used; the rule stands in.
    return undefined;
  }
}
