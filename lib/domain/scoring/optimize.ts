/**
 * BFGS minimisation for the model fits: the parameters are log-transformed by the caller so the search is unconstrained.
 * Steps are bounded (no single step changes a log-parameter by more than `maxStep`), the line search backtracks until the
 * Armijo condition holds with a finite value, and convergence is never claimed unless the gradient is small.
 */

/** Evaluates the objective at x, writes its gradient into `gradient`, returns the value (may be non-finite). */
export type ObjectiveWithGradient = (x: Float64Array, gradient: Float64Array) => number;

export interface MinimizeOptions {
  readonly maxIterations?: number;
  /** Converged when the largest gradient component is below this (default 1e-7; the fits minimise a per-customer mean). */
  readonly gradientTolerance?: number;
  /** Also converged when the value stops changing (relative) and the gradient is below sqrt(gradientTolerance). */
  readonly relativeTolerance?: number;
  /** Largest change of any coordinate in one step (default 2: a parameter moves at most by a factor e^2 per step). */
  readonly maxStep?: number;
  /**
   * A starting approximation of the inverse Hessian (e.g. from a previous search on similar data); by default the
   * identity, scaled after the first step.
   */
  readonly initialInverseHessian?: readonly Float64Array[];
}

export interface MinimizeResult {
  readonly x: Float64Array;
  readonly value: number;
  readonly gradient: Float64Array;
  readonly iterations: number;
  readonly converged: boolean;
  /** Why the search stopped, for logs and error messages. */
  readonly reason: 'gradient' | 'no further decrease' | 'iteration limit' | 'line search failed' | 'not finite';
  /** The final BFGS approximation of the inverse Hessian. */
  readonly inverseHessian: Float64Array[];
}

function maxAbs(v: Float64Array): number {
  let m = 0;
  for (const value of v) m = Math.max(m, Math.abs(value));
  return m;
}

function allFinite(v: Float64Array): boolean {
  for (const value of v) if (!Number.isFinite(value)) return false;
  return true;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

function identity(n: number, scale = 1): Float64Array[] {
  return Array.from({ length: n }, (_, i) => {
    const row = new Float64Array(n);
    row[i] = scale;
    return row;
  });
}

/** The limits and stopping tests both optimisers share, from the options (with their defaults). */
class Stopping {
  readonly maxIterations: number;
  readonly maxStep: number;
  private readonly gtol: number;
  private readonly ftol: number;

  constructor(options: MinimizeOptions) {
    this.maxIterations = options.maxIterations ?? 500;
    this.maxStep = options.maxStep ?? 2;
    this.gtol = options.gradientTolerance ?? 1e-7;
    this.ftol = options.relativeTolerance ?? 1e-14;
  }

  /** Converged: the gradient is below the tolerance. */
  gradientSmall(g: Float64Array): boolean {
    return maxAbs(g) <= this.gtol;
  }

  /** Converged after an accepted step: the value stopped changing and the gradient is below sqrt(tolerance). */
  stalled(change: number, f: number, g: Float64Array): boolean {
    return change <= this.ftol * Math.max(1, Math.abs(f)) && maxAbs(g) <= Math.sqrt(this.gtol);
  }

  /** No step lowers the objective: stationary to machine precision when the gradient is small, else stuck. */
  stuck(g: Float64Array): { converged: boolean; reason: MinimizeResult['reason'] } {
    const converged = maxAbs(g) <= Math.sqrt(this.gtol);
    return { converged, reason: converged ? 'no further decrease' : 'line search failed' };
  }

  /** The iteration limit was reached. */
  atLimit(g: Float64Array): { converged: boolean; reason: MinimizeResult['reason'] } {
    const converged = this.gradientSmall(g);
    return { converged, reason: converged ? 'gradient' : 'iteration limit' };
  }
}

export function minimize(fg: ObjectiveWithGradient, x0: ArrayLike<number>, options: MinimizeOptions = {}): MinimizeResult {
  const stopping = new Stopping(options);
  const { maxIterations, maxStep } = stopping;
  const n = x0.length;

  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let f = fg(x, g);
  let H = options.initialInverseHessian ? options.initialInverseHessian.map((row) => Float64Array.from(row)) : identity(n);
  if (!Number.isFinite(f) || !allFinite(g)) {
    return { x, value: f, gradient: g, iterations: 0, converged: false, reason: 'not finite', inverseHessian: H };
  }
  let fresh = options.initialInverseHessian === undefined; // H is the identity: a failed line search cannot be cured by a reset
  const direction = new Float64Array(n);
  const xNew = new Float64Array(n);
  let gNew = new Float64Array(n);

  for (let iteration = 1; iteration <= maxIterations; iteration++) {
    if (stopping.gradientSmall(g)) return { x, value: f, gradient: g, iterations: iteration - 1, converged: true, reason: 'gradient', inverseHessian: H };

    for (let i = 0; i < n; i++) {
      let d = 0;
      const row = H[i] as Float64Array;
      for (let j = 0; j < n; j++) d -= (row[j] as number) * (g[j] as number);
      direction[i] = d;
    }
    let slope = dot(direction, g);
    if (!(slope < 0)) {
      // Not a descent direction (H lost positive definiteness): fall back to steepest descent.
      H = identity(n);
      fresh = true;
      for (let i = 0; i < n; i++) direction[i] = -(g[i] as number);
      slope = dot(direction, g);
    }
    const longest = maxAbs(direction);
    if (longest > maxStep) {
      const shrink = maxStep / longest;
      for (let i = 0; i < n; i++) direction[i] = (direction[i] as number) * shrink;
      slope *= shrink;
    }

    let step = 1;
    let fNew = Number.NaN;
    let accepted = false;
    for (let attempt = 0; attempt < 60; attempt++) {
      for (let i = 0; i < n; i++) xNew[i] = (x[i] as number) + step * (direction[i] as number);
      fNew = fg(xNew, gNew);
      if (Number.isFinite(fNew) && allFinite(gNew) && fNew <= f + 1e-4 * step * slope) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) {
      if (!fresh) {
        H = identity(n);
        fresh = true;
        continue;
      }
      // No decrease along steepest descent either: stationary to machine precision, or stuck.
      return { x, value: f, gradient: g, iterations: iteration, ...stopping.stuck(g), inverseHessian: H };
    }

    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = (xNew[i] as number) - (x[i] as number);
      y[i] = (gNew[i] as number) - (g[i] as number);
    }
    const sy = dot(s, y);
    if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y))) {
      if (fresh) H = identity(n, sy / dot(y, y)); // Nocedal & Wright (6.20): scale the first approximation
      bfgsUpdate(H, s, y, sy);
      fresh = false;
    }

    const change = Math.abs(f - fNew);
    x = Float64Array.from(xNew);
    const gOld = g;
    g = gNew;
    gNew = gOld;
    f = fNew;
    if (stopping.stalled(change, f, g)) {
      return { x, value: f, gradient: g, iterations: iteration, converged: true, reason: 'no further decrease', inverseHessian: H };
    }
  }
  return { x, value: f, gradient: g, iterations: maxIterations, ...stopping.atLimit(g), inverseHessian: H };
}

/** Evaluates the objective at x, writes its gradient and its Hessian (row-major, n x n) in place, returns the value. */
export type ObjectiveWithHessian = (x: Float64Array, gradient: Float64Array, hessian: Float64Array) => number;

export interface NewtonResult extends MinimizeResult {
  /** The Hessian at `x` (row-major), as the last evaluation returned it: the standard errors come from it. */
  readonly hessian: Float64Array;
}

/**
 * Newton's method with the objective's own Hessian, damped in the manner of Levenberg and Marquardt: each step solves
 * (H + lambda diag|H|) d = -g, lambda shrinking tenfold after a step that lowers the objective and growing tenfold after
 * one that does not (or while H + lambda diag|H| is not positive definite). Far from the optimum, where the likelihoods
 * of these models are not concave, that is a short gradient-like step; near it, a full Newton step, which converges
 * quadratically. A cold fit pays for each evaluation before the JIT has compiled the likelihood, so the 6 to 10
 * evaluations this takes, against BFGS's 25 to 30 plus the Hessian's n for the standard errors, are most of its time.
 * The bounds on a step and the convergence tests are those of {@link minimize}.
 */
export function minimizeNewton(fgh: ObjectiveWithHessian, x0: ArrayLike<number>, options: MinimizeOptions = {}): NewtonResult {
  const stopping = new Stopping(options);
  const { maxIterations, maxStep } = stopping;
  const n = x0.length;

  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let H = new Float64Array(n * n);
  let f = fgh(x, g, H);
  const result = (iterations: number, converged: boolean, reason: MinimizeResult['reason']): NewtonResult => {
    const rows = Array.from({ length: n }, (_, i) => H.slice(i * n, (i + 1) * n));
    return { x, value: f, gradient: g, hessian: H, iterations, converged, reason, inverseHessian: invertSpd(rows) ?? identity(n) };
  };
  if (!Number.isFinite(f) || !allFinite(g)) return result(0, false, 'not finite');

  let xNew = new Float64Array(n);
  let gNew = new Float64Array(n);
  let hNew = new Float64Array(n * n);
  const damped = Array.from({ length: n }, () => new Float64Array(n));
  const direction = new Float64Array(n);
  let lambda = 1e-3;
  for (let iteration = 1; iteration <= maxIterations; iteration++) {
    if (stopping.gradientSmall(g)) return result(iteration - 1, true, 'gradient');
    let accepted = false;
    let fNew = Number.NaN;
    // Each failed attempt raises lambda tenfold: 30 of them turn the step into a vanishing gradient step.
    for (let attempt = 0; attempt < 30 && !accepted; attempt++) {
      for (let i = 0; i < n; i++) {
        const row = damped[i] as Float64Array;
        for (let j = 0; j < n; j++) row[j] = H[i * n + j] as number;
        row[i] = (row[i] as number) + lambda * Math.max(Math.abs(H[i * n + i] as number), 1e-12);
      }
      const inverse = invertSpd(damped);
      if (!inverse) {
        lambda = Math.max(lambda * 10, 1e-3);
        continue;
      }
      for (let i = 0; i < n; i++) {
        let d = 0;
        const row = inverse[i] as Float64Array;
        for (let j = 0; j < n; j++) d -= (row[j] as number) * (g[j] as number);
        direction[i] = d;
      }
      const longest = maxAbs(direction);
      const shrink = longest > maxStep ? maxStep / longest : 1;
      for (let i = 0; i < n; i++) xNew[i] = (x[i] as number) + shrink * (direction[i] as number);
      fNew = fgh(xNew, gNew, hNew);
      if (Number.isFinite(fNew) && allFinite(gNew) && allFinite(hNew) && fNew < f) {
        accepted = true;
        lambda = Math.max(lambda / 10, 1e-12);
      } else {
        lambda = Math.max(lambda * 10, 1e-3);
      }
    }
    if (!accepted) {
      // No decrease even along a vanishing step: stationary to machine precision, or stuck.
      const { converged, reason } = stopping.stuck(g);
      return result(iteration, converged, reason);
    }
    const change = Math.abs(f - fNew);
    [x, xNew] = [xNew, x];
    [g, gNew] = [gNew, g];
    [H, hNew] = [hNew, H];
    f = fNew;
    if (stopping.stalled(change, f, g)) return result(iteration, true, 'no further decrease');
  }
  const { converged, reason } = stopping.atLimit(g);
  return result(maxIterations, converged, reason);
}

/** H <- (I - rho s y') H (I - rho y s') + rho s s', rho = 1 / (y's): the inverse-Hessian BFGS update. */
function bfgsUpdate(H: Float64Array[], s: Float64Array, y: Float64Array, sy: number): void {
  const n = s.length;
  const rho = 1 / sy;
  const Hy = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    const row = H[i] as Float64Array;
    for (let j = 0; j < n; j++) v += (row[j] as number) * (y[j] as number);
    Hy[i] = v;
  }
  const yHy = dot(y, Hy);
  for (let i = 0; i < n; i++) {
    const row = H[i] as Float64Array;
    for (let j = 0; j < n; j++) {
      row[j] =
        (row[j] as number) -
        rho * ((Hy[i] as number) * (s[j] as number) + (s[i] as number) * (Hy[j] as number)) +
        (rho * rho * yHy + rho) * (s[i] as number) * (s[j] as number);
    }
  }
}

/** Central-difference gradient, for objectives without an analytic one. */
export function numericGradient(f: (x: Float64Array) => number, x: Float64Array, gradient: Float64Array, h = 1e-5): number {
  const value = f(x);
  const probe = Float64Array.from(x);
  for (let i = 0; i < x.length; i++) {
    const xi = x[i] as number;
    probe[i] = xi + h;
    const up = f(probe);
    probe[i] = xi - h;
    const down = f(probe);
    probe[i] = xi;
    gradient[i] = (up - down) / (2 * h);
  }
  return value;
}

/**
 * Symmetric Hessian by differences of the gradient: central ones (2n gradients), or, given the gradient at x itself,
 * forward ones (n gradients, for when each gradient is expensive; truncation error of order h instead of h^2).
 */
export function numericHessian(fg: ObjectiveWithGradient, x: Float64Array, h = 1e-4, gradientAtX?: Float64Array): Float64Array[] {
  const n = x.length;
  const H = Array.from({ length: n }, () => new Float64Array(n));
  const probe = Float64Array.from(x);
  const up = new Float64Array(n);
  const down = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const xj = x[j] as number;
    probe[j] = xj + h;
    fg(probe, up);
    if (gradientAtX) {
      down.set(gradientAtX);
      probe[j] = xj;
      for (let i = 0; i < n; i++) (H[i] as Float64Array)[j] = ((up[i] as number) - (down[i] as number)) / h;
      continue;
    }
    probe[j] = xj - h;
    fg(probe, down);
    probe[j] = xj;
    for (let i = 0; i < n; i++) (H[i] as Float64Array)[j] = ((up[i] as number) - (down[i] as number)) / (2 * h);
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const mean = (((H[i] as Float64Array)[j] as number) + ((H[j] as Float64Array)[i] as number)) / 2;
      (H[i] as Float64Array)[j] = mean;
      (H[j] as Float64Array)[i] = mean;
    }
  }
  return H;
}

/** Inverse of a symmetric positive definite matrix by Cholesky; undefined when it is not positive definite. */
export function invertSpd(A: readonly Float64Array[]): Float64Array[] | undefined {
  const n = A.length;
  const L = Array.from({ length: n }, () => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = (A[i] as Float64Array)[j] as number;
      for (let k = 0; k < j; k++) sum -= ((L[i] as Float64Array)[k] as number) * ((L[j] as Float64Array)[k] as number);
      if (i === j) {
        if (!(sum > 0) || !Number.isFinite(sum)) return undefined;
        (L[i] as Float64Array)[i] = Math.sqrt(sum);
      } else {
        (L[i] as Float64Array)[j] = sum / ((L[j] as Float64Array)[j] as number);
      }
    }
  }
  // Solve L L' X = I column by column.
  const inverse = Array.from({ length: n }, () => new Float64Array(n));
  for (let c = 0; c < n; c++) {
    const z = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let sum = i === c ? 1 : 0;
      for (let k = 0; k < i; k++) sum -= ((L[i] as Float64Array)[k] as number) * (z[k] as number);
      z[i] = sum / ((L[i] as Float64Array)[i] as number);
    }
    for (let i = n - 1; i >= 0; i--) {
      let sum = z[i] as number;
      for (let k = i + 1; k < n; k++) sum -= ((L[k] as Float64Array)[i] as number) * ((inverse[k] as Float64Array)[c] as number);
      (inverse[i] as Float64Array)[c] = sum / ((L[i] as Float64Array)[i] as number);
    }
  }
  return inverse;
}
