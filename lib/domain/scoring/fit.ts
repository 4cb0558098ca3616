import {
  invertSpd,
  type MinimizeResult,
  minimize,
  minimizeNewton,
  numericGradient,
  numericHessian,
  type ObjectiveWithGradient,
  type ObjectiveWithHessian,
} from './optimize.js';
import type { WeightedColumns } from './summary.js';
import type { FitOptions, FittedModel, ModelName, WeightedSummary } from './types.js';

/** What the maximum-likelihood driver needs to know about a model. */
export interface LikelihoodSpec<P> {
  readonly model: ModelName;
  readonly paramNames: readonly (keyof P & string)[];
  /** False: the fit differentiates the likelihood numerically. */
  readonly analyticGradient: boolean;
  /** True: the likelihood also gives its Hessian, and the fit takes Newton steps ({@link minimizeNewton}). */
  readonly analyticHessian?: boolean;
}

/** The rows a fit runs on, with the model's likelihood over them. */
export interface LikelihoodData<P> {
  /** The sum of the weights. */
  readonly customers: number;
  readonly rows: number;
  /**
   * Total weighted log-likelihood. When `gradient` is given (and the model has an analytic one) it receives
   * d(total)/d(log parameter), in the spec's `paramNames` order; when `hessian` is given too (and the model has an
   * analytic one) it receives the second derivatives in log parameters, row-major.
   */
  total(params: P, gradient?: Float64Array, hessian?: Float64Array): number;
  /** The same over every stride-th row, each with its weight. */
  subsample(stride: number): LikelihoodData<P>;
}

/** Rows as summary objects, evaluated by a model's total log-likelihood function. */
export function rowsData<P>(
  rows: readonly WeightedSummary[],
  total: (params: P, rows: readonly WeightedSummary[], gradient?: Float64Array, hessian?: Float64Array) => number,
): LikelihoodData<P> {
  return {
    customers: rows.reduce((sum, row) => sum + row.weight, 0),
    rows: rows.length,
    total: (params, gradient, hessian) => total(params, rows, gradient, hessian),
    subsample: (stride) =>
      rowsData(
        rows.filter((_, i) => i % stride === 0),
        total,
      ),
  };
}

/** Rows as columns, laid out once by `prepare` for the tens of evaluations a fit makes (see prepared-rows.ts). */
export function columnsData<P>(
  columns: WeightedColumns,
  prepare: (columns: WeightedColumns) => (params: P, gradient?: Float64Array, hessian?: Float64Array) => number,
): LikelihoodData<P> {
  let customers = 0;
  for (let i = 0; i < columns.length; i++) customers += columns.weight[i] as number;
  return { customers, rows: columns.length, total: prepare(columns), subsample: (stride) => columnsData(everyNthRow(columns, stride), prepare) };
}

function everyNthRow(columns: WeightedColumns, stride: number): WeightedColumns {
  const length = Math.ceil(columns.length / stride);
  const pick = (values: Float64Array) => {
    const picked = new Float64Array(length);
    for (let i = 0; i < length; i++) picked[i] = values[i * stride] as number;
    return picked;
  };
  return { length, x: pick(columns.x), tx: pick(columns.tx), T: pick(columns.T), weight: pick(columns.weight) };
}

export function paramsFromLog<P>(names: readonly (keyof P & string)[], theta: ArrayLike<number>): P {
  const params: Record<string, number> = {};
  names.forEach((name, i) => {
    params[name] = Math.exp(theta[i] as number);
  });
  return params as P;
}

/**
 * Maximises the mean log-likelihood over log-parameters, optionally minus an L2 penalty on the log-parameters: by damped
 * Newton steps when the model gives its Hessian, by BFGS otherwise.
 *
 * Standard errors: with an analytic Hessian, the one at the estimate (the optimiser's last evaluation); otherwise the Hessian of the total negative log-likelihood (plus the penalty, when there is one) is taken in
 * log-parameter space by differences of the gradient (central; forward for many rows) and inverted; the delta method
 * maps it back, se(p) = p * se(log p). At a stationary point this equals the inverse of the Hessian in natural parameters.
 */
export function fitMaximumLikelihood<P>(spec: LikelihoodSpec<P>, data: LikelihoodData<P>, initial: P, options: FitOptions): FittedModel<P> {
  const started = performance.now();
  const names = spec.paramNames;
  const n = names.length;
  const penalty = options.penalty ?? 0;
  const customers = data.customers;
  if (!(customers > 0)) throw new RangeError(`${spec.model}: no customers to fit`);

  const start = new Float64Array(n);
  names.forEach((name, i) => {
    const value = options.initial?.[name] ?? (initial[name] as number);
    if (!(value > 0) || !Number.isFinite(value)) throw new RangeError(`${spec.model}: initial ${name} must be a positive number`);
    start[i] = Math.log(value);
  });

  const penaltyOf = (theta: Float64Array): number => {
    let sum = 0;
    for (const t of theta) sum += t * t;
    return penalty * sum;
  };
  // The optimiser works on the per-customer mean so that its tolerances do not depend on the number of customers.
  const objectiveOf = (over: LikelihoodData<P>): ObjectiveWithGradient => {
    const count = over.customers;
    const meanObjective = (theta: Float64Array): number => -over.total(paramsFromLog<P>(names, theta)) / count + penaltyOf(theta);
    return spec.analyticGradient
      ? (theta, gradient) => {
          const value = -over.total(paramsFromLog<P>(names, theta), gradient) / count + penaltyOf(theta);
          for (let i = 0; i < n; i++) gradient[i] = -(gradient[i] as number) / count + 2 * penalty * (theta[i] as number);
          return value;
        }
      : // A model without an analytic gradient: central differences in log-parameter space.
        (theta, gradient) => numericGradient(meanObjective, theta, gradient);
  };
  const objective = objectiveOf(data);
  const maxIterations = options.maxIterations ?? 500;
  if (spec.analyticHessian) return fitByNewton(spec, data, start, penalty, maxIterations, options, started);

  // With many distinct rows, most BFGS iterations would be spent finding the neighbourhood of the maximum and the
  // curvature there. A fit on an evenly spread subsample of the rows (each kept with its weight, so the subsample's mean
  // log-likelihood estimates the full one) finds both for a fraction of the cost; the fit on all rows then starts there,
  // with that curvature, and runs to its own convergence: the estimate is the full data's maximum, not the subsample's.
  // The same holds for a fit in a fresh process (Pareto/NBD on CDNOW's thousand rows): most of its time is the JIT's
  // warm-up, paid per row evaluated, so a quarter of the rows find the neighbourhood at a quarter of the price.
  let inverseHessian: Float64Array[] | undefined;
  const stride = data.rows > warmStartAbove ? Math.ceil(data.rows / warmStartRows) : data.rows > quarterWarmStartAbove ? 4 : 1;
  if (stride > 1) {
    const warm = minimize(objectiveOf(data.subsample(stride)), start, { maxIterations });
    if (warm.converged) {
      start.set(warm.x);
      inverseHessian = warm.inverseHessian;
    }
  }

  const result = minimize(objective, start, { maxIterations, ...(inverseHessian ? { initialInverseHessian: inverseHessian } : {}) });
  const params = paramsFromLog<P>(names, result.x);
  // The optimiser's last value is the mean objective at these very parameters: no need to evaluate them again.
  const logLikelihood = -(result.value - penaltyOf(result.x)) * customers;

  const totalObjective: ObjectiveWithGradient = (theta, gradient) => {
    const value = objective(theta, gradient);
    for (let i = 0; i < n; i++) gradient[i] = (gradient[i] as number) * customers;
    return value * customers;
  };
  // Forward differences from the gradient the optimiser already has at the estimate: half the evaluations, with a
  // relative truncation error of about h = 1e-5 (standard errors are quoted to three digits). Central ones only for a
  // numeric gradient, whose own error forward differences would divide by h. A fit that runs once in its process (the
  // night, the CLI) pays for each evaluation before the JIT has compiled the likelihood: fewer of them count twice.
  const hessian =
    (data.rows > warmStartAbove || spec.analyticGradient) && allFinite(result.gradient)
      ? numericHessian(
          totalObjective,
          result.x,
          1e-5,
          result.gradient.map((g) => g * customers),
        )
      : numericHessian(totalObjective, result.x);
  return fittedModel(spec, result, params, logLikelihood, customers, invertSpd(hessian), options, penalty, started);
}

/**
 * The fit by {@link minimizeNewton}: the same objective (the per-customer mean, in log parameters, with the penalty), and
 * the same subsample warm start for many rows (its estimate only: Newton needs no curvature carried over). The standard
 * errors come from the Hessian of the last evaluation, at the estimate itself: no further evaluation.
 */
function fitByNewton<P>(
  spec: LikelihoodSpec<P>,
  data: LikelihoodData<P>,
  start: Float64Array,
  penalty: number,
  maxIterations: number,
  options: FitOptions,
  started: number,
): FittedModel<P> {
  const names = spec.paramNames;
  const n = names.length;
  const customers = data.customers;
  const objectiveOf = (over: LikelihoodData<P>): ObjectiveWithHessian => {
    const count = over.customers;
    return (theta, gradient, hessian) => {
      const value = -over.total(paramsFromLog<P>(names, theta), gradient, hessian) / count;
      let penaltyValue = 0;
      for (let i = 0; i < n; i++) {
        const t = theta[i] as number;
        penaltyValue += penalty * t * t;
        gradient[i] = -(gradient[i] as number) / count + 2 * penalty * t;
      }
      for (let k = 0; k < n * n; k++) hessian[k] = -(hessian[k] as number) / count;
      for (let i = 0; i < n; i++) hessian[i * n + i] = (hessian[i * n + i] as number) + 2 * penalty;
      return value + penaltyValue;
    };
  };
  if (data.rows > warmStartAbove) {
    const warm = minimizeNewton(objectiveOf(data.subsample(Math.ceil(data.rows / warmStartRows))), start, { maxIterations });
    if (warm.converged) start.set(warm.x);
  }
  const result = minimizeNewton(objectiveOf(data), start, { maxIterations });
  const params = paramsFromLog<P>(names, result.x);
  let penaltyValue = 0;
  for (const t of result.x) penaltyValue += penalty * t * t;
  const logLikelihood = -(result.value - penaltyValue) * customers;
  // The Hessian of the total objective is the mean's times the customers.
  const hessian = Array.from({ length: n }, (_, i) => Float64Array.from(result.hessian.subarray(i * n, (i + 1) * n), (value) => value * customers));
  const covariance = allFinite(result.hessian) ? invertSpd(hessian) : undefined;
  return fittedModel(spec, result, params, logLikelihood, customers, covariance, options, penalty, started);
}

/**
 * The fit's result, from either optimiser: standard errors by the delta method from the covariance in log parameters
 * (se(p) = p se(log p); NaN when the information matrix is singular), and converged only when {@link diagnose} finds
 * nothing wrong.
 */
function fittedModel<P>(
  spec: LikelihoodSpec<P>,
  result: MinimizeResult,
  params: P,
  logLikelihood: number,
  customers: number,
  covariance: Float64Array[] | undefined,
  options: FitOptions,
  penalty: number,
  started: number,
): FittedModel<P> {
  const names = spec.paramNames;
  const standardErrors: Record<string, number> = {};
  names.forEach((name, i) => {
    const variance = covariance ? ((covariance[i] as Float64Array)[i] as number) : Number.NaN;
    standardErrors[name] = (params[name] as number) * Math.sqrt(variance);
  });
  const diagnostic = diagnose(
    result.reason,
    result.converged,
    logLikelihood,
    names.map((name) => [name, params[name] as number] as const),
    covariance !== undefined,
  );
  return {
    model: spec.model,
    params,
    logLikelihood,
    customers,
    iterations: result.iterations,
    converged: diagnostic === undefined,
    ...(diagnostic === undefined ? {} : { diagnostic }),
    ms: performance.now() - started,
    standardErrors: standardErrors as FittedModel<P>['standardErrors'],
    timeUnit: options.timeUnit ?? 'days',
    penalty,
  };
}

function allFinite(values: Float64Array): boolean {
  return values.every(Number.isFinite);
}

/** Rows (distinct summaries) above which a fit first runs on a subsample of about `warmStartRows` of them. */
const warmStartAbove = 50_000;
const warmStartRows = 20_000;
/** Rows above which a fit by BFGS first runs on every fourth row. */
const quarterWarmStartAbove = 800;

/** Estimates outside this range mean the likelihood has no interior maximum: the data cannot pin the parameter down. */
export const parameterRange = { min: 1e-6, max: 1e6 } as const;

/** Why a fit does not count as converged, or undefined when it does. */
function diagnose(
  reason: string,
  optimizerConverged: boolean,
  logLikelihood: number,
  params: readonly (readonly [string, number])[],
  informationInvertible: boolean,
): string | undefined {
  if (!Number.isFinite(logLikelihood) || params.some(([, value]) => !Number.isFinite(value))) return 'the log-likelihood or a parameter is not finite';
  if (!optimizerConverged) return `the optimiser stopped: ${reason}`;
  const runaway = params.filter(([, value]) => value < parameterRange.min || value > parameterRange.max);
  if (runaway.length > 0) {
    return `${runaway.map(([name, value]) => `${name} = ${value.toPrecision(3)}`).join(', ')}: no interior maximum, the data cannot pin ${runaway.length > 1 ? 'these' : 'it'} down (more history or --penalty helps)`;
  }
  if (!informationInvertible) return 'the information matrix is singular: some parameters are not identified by these data (more history or --penalty helps)';
  return undefined;
}
