/** One entry point over the four models: fit by name, score by the fitted model's name, read a fitted model back from JSON. */
import { z } from 'zod';
import { bgnbdExpectedPurchases, bgnbdLogLikelihood, bgnbdProbabilityAlive, bgnbdUnconditionalExpectedPurchases, fitBgNbd } from './bgnbd.js';
import { fitGammaGamma } from './gamma-gamma.js';
import { fitMbgNbd, mbgnbdExpectedPurchases, mbgnbdLogLikelihood, mbgnbdProbabilityAlive, mbgnbdUnconditionalExpectedPurchases } from './mbgnbd.js';
import { fitParetoNbd, paretoExpectedPurchases, paretoLogLikelihood, paretoProbabilityAlive, paretoUnconditionalExpectedPurchases } from './pareto-nbd.js';
import {
  type AnyFittedModel,
  type CustomerSummary,
  type FitOptions,
  type FittedPurchaseModel,
  type ModelName,
  modelNames,
  type PurchaseModelName,
  timeUnits,
} from './types.js';

export const paramNamesOf: Readonly<Record<ModelName, readonly string[]>> = {
  bgnbd: ['r', 'alpha', 'a', 'b'],
  mbgnbd: ['r', 'alpha', 'a', 'b'],
  pareto: ['r', 'alpha', 's', 'beta'],
  'gamma-gamma': ['p', 'q', 'gamma'],
};

export function isPurchaseModel(model: AnyFittedModel): model is FittedPurchaseModel {
  return model.model !== 'gamma-gamma';
}

export function fitPurchaseModel(name: PurchaseModelName, rows: Iterable<CustomerSummary>, options: FitOptions = {}): FittedPurchaseModel {
  switch (name) {
    case 'bgnbd':
      return fitBgNbd(rows, options);
    case 'mbgnbd':
      return fitMbgNbd(rows, options);
    case 'pareto':
      return fitParetoNbd(rows, options);
  }
}

/** Fits any of the four models; summaries in one time unit (pass it as `options.timeUnit`, default 'days'). */
export function fitModel(name: ModelName, rows: Iterable<CustomerSummary>, options: FitOptions = {}): AnyFittedModel {
  return name === 'gamma-gamma' ? fitGammaGamma(rows, options) : fitPurchaseModel(name, rows, options);
}

/** Per-customer log-likelihood under a fitted purchase model. */
export function logLikelihood(model: FittedPurchaseModel, summary: CustomerSummary): number {
  switch (model.model) {
    case 'bgnbd':
      return bgnbdLogLikelihood(model.params, summary);
    case 'mbgnbd':
      return mbgnbdLogLikelihood(model.params, summary);
    case 'pareto':
      return paretoLogLikelihood(model.params, summary);
  }
}

/** P(alive | x, tx, T); the summary in the model's time unit. */
export function probabilityAlive(model: FittedPurchaseModel, summary: CustomerSummary): number {
  switch (model.model) {
    case 'bgnbd':
      return bgnbdProbabilityAlive(model.params, summary);
    case 'mbgnbd':
      return mbgnbdProbabilityAlive(model.params, summary);
    case 'pareto':
      return paretoProbabilityAlive(model.params, summary);
  }
}

/** Expected purchases in the next t (model time unit) given the customer's history. */
export function expectedPurchases(model: FittedPurchaseModel, summary: CustomerSummary, t: number): number {
  switch (model.model) {
    case 'bgnbd':
      return bgnbdExpectedPurchases(model.params, summary, t);
    case 'mbgnbd':
      return mbgnbdExpectedPurchases(model.params, summary, t);
    case 'pareto':
      return paretoExpectedPurchases(model.params, summary, t);
  }
}

/** Expected purchases in (0, t] for a customer just acquired. */
export function unconditionalExpectedPurchases(model: FittedPurchaseModel, t: number): number {
  switch (model.model) {
    case 'bgnbd':
      return bgnbdUnconditionalExpectedPurchases(model.params, t);
    case 'mbgnbd':
      return mbgnbdUnconditionalExpectedPurchases(model.params, t);
    case 'pareto':
      return paretoUnconditionalExpectedPurchases(model.params, t);
  }
}

const positive = z.number().positive().finite();
/** JSON writes NaN as null: a standard error that could not be computed reads back as NaN. */
const standardError = z
  .number()
  .nullable()
  .transform((value) => value ?? Number.NaN);

function paramsSchema<K extends string>(names: readonly [K, ...K[]]) {
  const shape = Object.fromEntries(names.map((name) => [name, positive])) as Record<K, typeof positive>;
  const errors = Object.fromEntries(names.map((name) => [name, standardError])) as Record<K, typeof standardError>;
  return { params: z.object(shape), standardErrors: z.object(errors).optional() };
}

const common = {
  logLikelihood: z.number(),
  customers: z.number().nonnegative(),
  iterations: z.number().int().nonnegative(),
  ms: z.number().nonnegative(),
  converged: z.boolean().default(true),
  diagnostic: z.string().optional(),
  timeUnit: z.enum(timeUnits as [string, ...string[]]).default('days'),
  penalty: z.number().nonnegative().default(0),
};

const fittedModelSchema = z.discriminatedUnion('model', [
  z.object({ model: z.literal('bgnbd'), ...common, ...paramsSchema(['r', 'alpha', 'a', 'b']) }),
  z.object({ model: z.literal('mbgnbd'), ...common, ...paramsSchema(['r', 'alpha', 'a', 'b']) }),
  z.object({ model: z.literal('pareto'), ...common, ...paramsSchema(['r', 'alpha', 's', 'beta']) }),
  z.object({ model: z.literal('gamma-gamma'), ...common, ...paramsSchema(['p', 'q', 'gamma']) }),
]);

export class InvalidFittedModelError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`not a fitted model (the --json output of \`winback model fit\`): ${problems.join('; ')}`);
    this.name = 'InvalidFittedModelError';
  }
}

/** Reads a fitted model back (e.g. the JSON line `winback model fit --json` prints); missing standard errors become NaN. */
export function parseFittedModel(json: unknown): AnyFittedModel {
  const parsed = fittedModelSchema.safeParse(json);
  if (!parsed.success) {
    throw new InvalidFittedModelError(parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`));
  }
  const value = parsed.data;
  const names = paramNamesOf[value.model];
  const standardErrors = value.standardErrors ?? Object.fromEntries(names.map((name) => [name, Number.NaN]));
  return { ...value, standardErrors } as AnyFittedModel;
}

export { modelNames };
