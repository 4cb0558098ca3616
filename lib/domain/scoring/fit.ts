import { invertSpd, minimize, numericGradient, numericHessian, type ObjectiveWithGradient } from './optimize.js';
import type { FitOptions, FittedModel, ModelName, WeightedSummary } from './types.js';

/** What the maximum-likelihood driver needs from a model. */
export interface LikelihoodSpec<P> {
  readonly model: ModelName;
  readonly paramNames: readonly (keyof P & string)[];
  /**
   * Total weighted log-likelihood of the rows. When `gradient` is given (and the model has an analytic one) it receives
   * d(total)/d(log parameter), in `paramNames` order.
   */
  total(params: P, rows: readonly WeightedSummary[], gradient?: Float64Array): number;
  readonly analyticGradient: boolean;
}

export function paramsFromLog<P>(names: readonly (keyof P & string)[], theta: ArrayLike<number>): P {
  const params: Record<string, number> = {};
  names.forEach((name, i) => {
    params[name] = Math.exp(theta[i] as number);
  });
  return params as P;
}

/**
 * Maximises the mean log-likelihood over log-parameters (BFGS), optionally minus an L2 penalty on the log-parameters.
 *
 * Standard errors: the Hessian of the total negative log-likelihood (plus the penalty, when there is one) is taken in
 * log-parameter space by central differences of the gradient and inverted; the delta method maps it back,
 * se(p) = p * se(log p). At a stationary point this equals the inverse of the Hessian in natural parameters.
 */
export function fitMaximumLikelihood<P>(
  spec: LikelihoodSpec<P>,
  rows: readonly WeightedSummary[],
  initial: P,
  options: FitOptions,
): FittedModel<P> {
  const started = performance.now();
  const names = spec.paramNames;
  const n = names.length;
  const penalty = options.penalty ?? 0;
  const customers = rows.reduce((sum, row) => sum + row.weight, 0);
  if (customers <= 0) throw new RangeError(`${spec.model}: no customers to fit`);

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
  const meanObjective = (theta: Float64Array): number => -spec.total(paramsFromLog<P>(names, theta), rows) / customers + penaltyOf(theta);

  // The optimiser works on the per-customer mean so that its tolerances do not depend on the number of customers.
  const objective: ObjectiveWithGradient = spec.analyticGradient
    ? (theta, gradient) => {
        const value = -spec.total(paramsFromLog<P>(names, theta), rows, gradient) / customers + penaltyOf(theta);
        for (let i = 0; i < n; i++) gradient[i] = -(gradient[i] as number) / customers + 2 * penalty * (theta[i] as number);
        return value;
      }
    : // No analytic gradient (Pareto/NBD): central differences in log-parameter space.
      (theta, gradient) => numericGradient(meanObjective, theta, gradient);

  const result = minimize(objective, start, { maxIterations: options.maxIterations ?? 500 });
  const params = paramsFromLog<P>(names, result.x);
  const logLikelihood = spec.total(params, rows);

  const hessian = numericHessian((theta, gradient) => {
    const value = objective(theta, gradient);
    for (let i = 0; i < n; i++) gradient[i] = (gradient[i] as number) * customers;
    return value * customers;
  }, result.x);
  const covariance = invertSpd(hessian);
  const standardErrors: Record<string, number> = {};
  names.forEach((name, i) => {
    const variance = covariance ? ((covariance[i] as Float64Array)[i] as number) : Number.NaN;
    standardErrors[name] = (params[name] as number) * Math.sqrt(variance);
  });

  const diagnostic = diagnose(result.reason, result.converged, logLikelihood, names.map((name) => [name, params[name] as number] as const), covariance !== undefined);
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

/** Estimates outside this range mean the likelihood has no interior maximum: the data cannot pin the parameter down. */
export const parameterRange = { min: 1e-6, max: 1e6 } as const;

/** Why a fit does not count as converged, or undefined when it does. */
function diagnose(reason: string, optimizerConverged: boolean, logLikelihood: number, params: readonly (readonly [string, number])[], informationInvertible: boolean): string | undefined {
  if (!Number.isFinite(logLikelihood) || params.some(([, value]) => !Number.isFinite(value))) return 'the log-likelihood or a parameter is not finite';
  if (!optimizerConverged) return `the optimiser stopped: ${reason}`;
  const runaway = params.filter(([, value]) => value < parameterRange.min || value > parameterRange.max);
  if (runaway.length > 0) {
    return `${runaway.map(([name, value]) => `${name} = ${value.toPrecision(3)}`).join(', ')}: no interior maximum, the data cannot pin ${runaway.length > 1 ? 'these' : 'it'} down (more history or --penalty helps)`;
  }
  if (!informationInvertible) return 'the information matrix is singular: some parameters are not identified by these data (more history or --penalty helps)';
  return undefined;
}
