/**
 * Reading a model back from its JSON (a file written by `winback uplift fit`, or a stored one): checked whole, so a
 * hand-edited or truncated file is refused with the path of the problem instead of scoring garbage.
 */
import { z } from 'zod';
import type { Tree } from './gbm.js';
import { type UpliftComponent, type UpliftModel, upliftMethods } from './learners.js';

export class InvalidUpliftModelError extends Error {
  override readonly name = 'InvalidUpliftModelError';
}

const finite = z.number().refine(Number.isFinite, 'expected a finite number');
const tree = z.object({
  feature: z.array(z.number().int().min(-1)),
  threshold: z.array(finite),
  categories: z.array(z.array(z.number().int().min(0)).nullable()),
  left: z.array(z.number().int().min(-1)),
  right: z.array(z.number().int().min(-1)),
  value: z.array(finite),
});
const gbm = z.object({ loss: z.enum(['logistic', 'squared']), base: finite, trees: z.array(tree) });
const component = z.discriminatedUnion('method', [
  z.object({ method: z.literal('two-model'), treated: gbm, control: gbm }),
  z.object({ method: z.literal('transformed'), model: gbm }),
  z.object({ method: z.literal('x-learner'), treated: gbm, control: gbm, effectTreated: gbm, effectControl: gbm }),
]);
const params = z.object({
  trees: z.number().int().min(0),
  depth: z.number().int().min(0),
  learningRate: finite,
  minLeafShare: finite,
  lambda: finite,
  subsample: finite,
});
const feature = z.discriminatedUnion('kind', [
  z.object({ name: z.string(), kind: z.literal('numeric'), edges: z.array(finite) }),
  z.object({ name: z.string(), kind: z.literal('categorical'), categories: z.array(z.string()) }),
]);
const model = z.looseObject({
  format: z.literal('winback-uplift-model'),
  version: z.literal(1),
  method: z.enum(upliftMethods),
  params,
  features: z.array(feature),
  treatedShare: finite.refine((p) => p > 0 && p < 1, 'expected a share between 0 and 1'),
  probability: component,
  value: component.nullable(),
  training: z.looseObject({ rows: z.number(), treated: z.number(), control: z.number(), treatedRate: finite, controlRate: finite, seed: z.number() }),
  selection: z.looseObject({}),
});

function treesOf(c: UpliftComponent): Tree[] {
  switch (c.method) {
    case 'two-model':
      return [...c.treated.trees, ...c.control.trees];
    case 'transformed':
      return c.model.trees;
    case 'x-learner':
      return [...c.treated.trees, ...c.control.trees, ...c.effectTreated.trees, ...c.effectControl.trees];
  }
}

/** A tree must be walkable: equal-length arrays, children inside it and after their parent (so no loops), features known. */
function checkTree(t: Tree, features: number): string | null {
  const n = t.feature.length;
  if (n === 0) return 'a tree has no nodes';
  if ([t.threshold, t.categories, t.left, t.right, t.value].some((array) => array.length !== n)) return 'a tree has arrays of different lengths';
  for (let i = 0; i < n; i++) {
    const f = t.feature[i] as number;
    if (f === -1) continue;
    if (f >= features) return `a tree splits on feature ${f} of ${features}`;
    for (const child of [t.left[i] as number, t.right[i] as number]) if (!(child > i && child < n)) return `a tree node points to node ${child}`;
  }
  return null;
}

export function parseUpliftModel(json: unknown): UpliftModel {
  const parsed = model.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.join('.') || '(top)';
    throw new InvalidUpliftModelError(`not a winback uplift model: ${path}: ${issue?.message ?? 'invalid'}`);
  }
  const result = parsed.data as unknown as UpliftModel;
  for (const c of [result.probability, result.value]) {
    if (!c) continue;
    for (const t of treesOf(c)) {
      const problem = checkTree(t, result.features.length);
      if (problem) throw new InvalidUpliftModelError(`not a winback uplift model: ${problem}`);
    }
  }
  return result;
}
