/** The scoring models' public surface, for the nightly job and the CLI. */
export * from './types.js';
export { summariesFromEvents, compress, PurchaseDayLog, assertValidSummary, type PurchaseEvent } from './summary.js';
export { fitBgNbd, bgnbdLogLikelihood, bgnbdProbabilityAlive, bgnbdExpectedPurchases, bgnbdUnconditionalExpectedPurchases } from './bgnbd.js';
export { fitMbgNbd, mbgnbdLogLikelihood, mbgnbdProbabilityAlive, mbgnbdExpectedPurchases, mbgnbdUnconditionalExpectedPurchases } from './mbgnbd.js';
export { fitParetoNbd, paretoLogLikelihood, paretoProbabilityAlive, paretoExpectedPurchases, paretoUnconditionalExpectedPurchases } from './pareto-nbd.js';
export { fitGammaGamma, gammaGammaExpectedSpend, gammaGammaLogLikelihood } from './gamma-gamma.js';
export {
  fitModel,
  fitPurchaseModel,
  probabilityAlive,
  expectedPurchases,
  unconditionalExpectedPurchases,
  logLikelihood,
  isPurchaseModel,
  parseFittedModel,
  InvalidFittedModelError,
  paramNamesOf,
} from './models.js';
export { scoreCustomer, customerScorer, customerLifetimeValue, discountedExpectedPurchases, type ClvOptions, type ScoreOptions, type CustomerScore, type CustomerScorer } from './clv.js';
export { backtest, rocAuc, type BacktestOptions, type BacktestResult, type BacktestRow } from './backtest.js';
export { CsvInputError, parseModelInput, readModelInput, type ModelInput } from './csv.js';
