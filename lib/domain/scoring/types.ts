/** The time unit of a customer summary and of a fitted model's rate parameters (alpha, beta scale with it). */
export type TimeUnit = 'days' | 'weeks';
export const timeUnits: readonly TimeUnit[] = ['days', 'weeks'];

export function daysPerUnit(unit: TimeUnit): number {
  return unit === 'weeks' ? 7 : 1;
}

/**
 * A customer's purchase history as the buy-till-you-die literature summarises it.
 * x: repeat purchase days (distinct purchase days after the first); tx: time of the last purchase day, measured from the
 * first; T: time from the first purchase day to the end of the observation window; monetary: mean spend per repeat
 * purchase day (undefined or ignored when x = 0). Times in one {@link TimeUnit}.
 */
export interface CustomerSummary {
  readonly x: number;
  readonly tx: number;
  readonly T: number;
  readonly monetary?: number;
}

export interface IdentifiedSummary extends CustomerSummary {
  readonly customerId: string;
}

/** Customers with identical (x, tx, T) folded into one row; weight = how many. */
export interface WeightedSummary extends CustomerSummary {
  readonly weight: number;
}

export interface BgNbdParams {
  readonly r: number;
  readonly alpha: number;
  readonly a: number;
  readonly b: number;
}

export type MbgNbdParams = BgNbdParams;

export interface ParetoNbdParams {
  readonly r: number;
  readonly alpha: number;
  readonly s: number;
  readonly beta: number;
}

export interface GammaGammaParams {
  readonly p: number;
  readonly q: number;
  readonly gamma: number;
}

export type PurchaseModelName = 'bgnbd' | 'mbgnbd' | 'pareto';
export type ModelName = PurchaseModelName | 'gamma-gamma';
export const purchaseModelNames: readonly PurchaseModelName[] = ['bgnbd', 'mbgnbd', 'pareto'];
export const modelNames: readonly ModelName[] = ['bgnbd', 'mbgnbd', 'pareto', 'gamma-gamma'];

export interface FittedModel<P> {
  readonly model: ModelName;
  readonly params: P;
  /** Total log-likelihood over the customers fitted (penalty excluded), in the summaries' time unit. */
  readonly logLikelihood: number;
  /** Customers the fit used (for Gamma-Gamma: repeat customers with a positive spend). */
  readonly customers: number;
  readonly iterations: number;
  /**
   * True only for an interior maximum: false when the iteration limit was hit, the line search failed away from a
   * stationary point, a value is not finite, an estimate ran outside [1e-6, 1e6] or the information matrix is singular.
   */
  readonly converged: boolean;
  /** Why the fit does not count as converged (absent when it does): for logs and the nightly job's fallback record. */
  readonly diagnostic?: string;
  readonly ms: number;
  /** From the inverse observed information (delta method from log-parameters); NaN when the Hessian is not positive definite. */
  readonly standardErrors: { readonly [K in keyof P]: number };
  readonly timeUnit: TimeUnit;
  /** The L2 penalty on log-parameters that was used (0 = plain maximum likelihood). */
  readonly penalty: number;
}

export type FittedBgNbd = FittedModel<BgNbdParams> & { readonly model: 'bgnbd' };
export type FittedMbgNbd = FittedModel<MbgNbdParams> & { readonly model: 'mbgnbd' };
export type FittedParetoNbd = FittedModel<ParetoNbdParams> & { readonly model: 'pareto' };
export type FittedGammaGamma = FittedModel<GammaGammaParams> & { readonly model: 'gamma-gamma' };
export type FittedPurchaseModel = FittedBgNbd | FittedMbgNbd | FittedParetoNbd;
export type AnyFittedModel = FittedPurchaseModel | FittedGammaGamma;

export interface FitOptions {
  /** Time unit of the summaries, recorded with the model (default 'days'). */
  readonly timeUnit?: TimeUnit;
  /** L2 penalty on the log-parameters, added to the mean negative log-likelihood (default 0). */
  readonly penalty?: number;
  readonly maxIterations?: number;
  /** Starting values; by default derived from the data. */
  readonly initial?: Readonly<Record<string, number>>;
}
