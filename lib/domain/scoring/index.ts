/** The scoring models' public surface, for the nightly job and the CLI. */

export { type BacktestOptions, type BacktestResult, type BacktestRow, backtest, rocAuc } from './backtest.js';
export { bgnbdExpectedPurchases, bgnbdLogLikelihood, bgnbdProbabilityAlive, bgnbdUnconditionalExpectedPurchases, fitBgNbd } from './bgnbd.js';
export {
  type ClvOptions,
  type CustomerScore,
  type CustomerScorer,
  customerLifetimeValue,
  customerScorer,
  discountedExpectedPurchases,
  type ScoreOptions,
  scoreCustomer,
} from './clv.js';
export { CsvInputError, type ModelInput, parseModelInput, readModelInput } from './csv.js';
export { fitGammaGamma, gammaGammaExpectedSpend, gammaGammaLogLikelihood } from './gamma-gamma.js';
export { fitMbgNbd, mbgnbdExpectedPurchases, mbgnbdLogLikelihood, mbgnbdProbabilityAlive, mbgnbdUnconditionalExpectedPurchases } from './mbgnbd.js';
export {
  expectedPurchases,
  fitModel,
  fitPurchaseModel,
  InvalidFittedModelError,
  isPurchaseModel,
  logLikelihood,
  paramNamesOf,
  parseFittedModel,
  probabilityAlive,
  unconditionalExpectedPurchases,
} from './models.js';
export { fitParetoNbd, paretoExpectedPurchases, paretoLogLikelihood, paretoProbabilityAlive, paretoUnconditionalExpectedPurchases } from './pareto-nbd.js';
export { assertValidSummary, compress, PurchaseDayLog, type PurchaseEvent, summariesFromEvents } from './summary.js';
export * from './types.js';
