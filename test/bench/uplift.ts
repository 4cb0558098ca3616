/**
 * `npm run bench:uplift [-- --seed N]`: the uplift learner on the public Hillstrom e-mail experiment (MineThatData
 * 2008; ../shared/datasets/hillstrom/): women's e-mail against no e-mail, outcome `visit`. The same fixed split as
 * docs/uplift.md (all 64,000 rows, 70/30 within each `segment` value, seed 42; the men's e-mail rows are then left out), a
 * fit with `--method auto` and one with `--method two-model` (the tuned two-model GBM baseline), each timed, and their
 * figures on the 30% test rows against random targeting, as one JSON line.
 */
import { createReadStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import { eachRecord, parseNumber } from '../../lib/domain/uplift/csv.js';
import { evaluateUplift } from '../../lib/domain/uplift/evaluation.js';
import { fitUplift, predictUplift, type UpliftMethod, type UpliftRow } from '../../lib/domain/uplift/learners.js';
import { stratifiedSplit } from '../../lib/domain/uplift/random.js';

export const hillstromPath = fileURLToPath(new URL('../../../shared/datasets/hillstrom/hillstrom.csv', import.meta.url));
export const hillstromFeatures = ['recency', 'history', 'mens', 'womens', 'zip_code', 'newbie', 'channel'];
const categorical = new Set(['zip_code', 'channel']);

/** The rows of Hillstrom, split as `winback uplift split --share 0.7 --seed SEED` splits them; women's vs no e-mail. */
export async function hillstromSplit(seed: number, limit = Number.POSITIVE_INFINITY, path = hillstromPath): Promise<{ train: UpliftRow[]; test: UpliftRow[] }> {
  const records: string[][] = [];
  let header: string[] | undefined;
  const file = createReadStream(path);
  await eachRecord(path.endsWith('.gz') ? file.pipe(createGunzip()) : file, (fields) => {
    if (!header) header = fields;
    else if (records.length < limit) records.push(fields);
  });
  const column = (name: string) => (header as string[]).indexOf(name);
  const segment = column('segment');
  const first = stratifiedSplit(
    records.map((fields) => fields[segment] as string),
    0.7,
    seed,
  );
  const train: UpliftRow[] = [];
  const test: UpliftRow[] = [];
  records.forEach((fields, index) => {
    const arm = fields[segment];
    if (arm !== 'Womens E-Mail' && arm !== 'No E-Mail') return;
    const row: UpliftRow = {
      features: hillstromFeatures.map((name) => {
        const text = fields[column(name)] as string;
        return categorical.has(name) ? text : (parseNumber(text) ?? null);
      }),
      treated: arm === 'Womens E-Mail',
      outcome: Number(fields[column('visit')]),
    };
    (first[index] ? train : test).push(row);
  });
  return { train, test };
}

function round(value: number, digits = 4): number {
  return Number(value.toFixed(digits));
}

async function bench(): Promise<void> {
  const argv = process.argv.slice(2);
  const seedAt = argv.indexOf('--seed');
  const seed = seedAt >= 0 ? Number(argv[seedAt + 1]) : 42;
  const { train, test } = await hillstromSplit(seed);
  const results: Record<string, unknown> = {};
  let randomUplift = 0;
  for (const method of ['auto', 'two-model'] as const satisfies readonly (UpliftMethod | 'auto')[]) {
    const started = performance.now();
    const model = fitUplift({ featureNames: hillstromFeatures, rows: train }, { method, seed: 1 });
    const fitMs = performance.now() - started;
    const evaluation = evaluateUplift(
      test.map((row) => row.outcome),
      test.map((row) => row.treated),
      predictUplift(model, test).map((p) => p.uplift),
    );
    randomUplift = evaluation.random.uplift;
    results[method] = {
      fitSeconds: round(fitMs / 1000, 1),
      chosen: { method: model.method, depth: model.params.depth, trees: model.params.trees, learningRate: model.params.learningRate },
      settingsTried: model.selection.candidates.length,
      qini: round(evaluation.qini),
      upliftTop10: round(evaluation.atK[0]?.uplift ?? Number.NaN),
      upliftTop20: round(evaluation.atK[1]?.uplift ?? Number.NaN),
      upliftTop30: round(evaluation.atK[2]?.uplift ?? Number.NaN),
      note: model.selection.note,
    };
  }
  process.stdout.write(
    `${JSON.stringify({ dataset: 'hillstrom womens-email vs no-email, outcome visit', split: { share: 0.7, seed, trainRows: train.length, testRows: test.length }, random: { qini: 0, uplift: round(randomUplift) }, ...results })}\n`,
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await bench();
