/**
 * `winback uplift fit|score|evaluate|split`: the uplift learner of lib/domain/uplift on any CSV, so it can be checked
 * on public experiments (docs/uplift.md reproduces the Hillstrom benchmark with these commands).
 * Bad input (a file, a column, a value) exits with code 2 and a message naming the file, line, column and problem.
 */

import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import Table from 'cli-table3';
import { type Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { type ExperimentColumns, type ExperimentInput, eachRecord, readExperimentCsv, readScoringCsv, UpliftInputError } from '../domain/uplift/csv.js';
import { evaluateUplift, type UpliftEvaluation } from '../domain/uplift/evaluation.js';
import { fitUplift, predictUplift, UpliftDataError, type UpliftMethod, type UpliftModel, upliftMethods, upliftScorer } from '../domain/uplift/learners.js';
import { InvalidUpliftModelError, parseUpliftModel } from '../domain/uplift/model-json.js';
import { stratifiedSplit } from '../domain/uplift/random.js';

const plain = { head: [], border: [] };

/** Bad input: printed as is, exit code 2 (usage and data errors, as commander's own). */
class BadInput extends Error {}

function write(line: string): void {
  process.stdout.write(line.endsWith('\n') ? line : `${line}\n`);
}

function note(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Runs a command; any input problem becomes one line on stderr and exit code 2. */
function guarded<A extends unknown[]>(action: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (error) {
      if (error instanceof BadInput || error instanceof UpliftDataError || error instanceof InvalidUpliftModelError) {
        process.stderr.write(`winback: ${error.message}\n`);
        throw new CommanderError(2, 'winback.uplift.input', error.message);
      }
      throw error;
    }
  };
}

/** Turns a reading error into a message naming the file. */
function inputProblem(path: string, error: unknown): unknown {
  if (error instanceof UpliftInputError) return new BadInput(`${path}: ${error.message}`);
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new BadInput(`cannot read ${path}: no such file`);
  if (code === 'EISDIR') return new BadInput(`cannot read ${path}: it is a directory`);
  if (code === 'EACCES') return new BadInput(`cannot read ${path}: permission denied`);
  return error;
}

async function readExperiment(path: string, columns: ExperimentColumns): Promise<ExperimentInput> {
  try {
    return await readExperimentCsv(createReadStream(path), columns);
  } catch (error) {
    throw inputProblem(path, error);
  }
}

function reportIgnored(path: string, input: ExperimentInput, column: string): void {
  if (input.ignored === 0) return;
  const values = input.ignoredValues
    .slice(0, 5)
    .map(({ value, rows }) => `${JSON.stringify(value)} ${rows}`)
    .join(', ');
  note(
    `${path}: ignored ${input.ignored} rows whose ${column} is neither the treatment nor the control value (${values}${input.ignoredValues.length > 5 ? ', ...' : ''})`,
  );
}

/** What the model file keeps beside the model: where it came from, so `evaluate` needs no repeated options. */
interface ModelFile extends UpliftModel {
  readonly columns: { treatmentColumn: string; treatmentValue: string; controlValue: string; outcome: string; value?: string };
}

function parseFeatureList(text: string): string[] {
  const names = text.split(',').map((name) => name.trim());
  if (names.some((name) => name === '')) throw new InvalidArgumentError('expected column names separated by commas, e.g. recency,history,channel.');
  return names;
}

function parseSeed(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > 4_294_967_295) throw new InvalidArgumentError('expected a whole number from 0 to 4294967295.');
  return value;
}

function parseShare(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !(value > 0 && value < 1)) throw new InvalidArgumentError('expected a share between 0 and 1, e.g. 0.7.');
  return value;
}

function fixed(value: number | null | undefined, digits = 4): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits);
}

interface FitOptions {
  readonly input: string;
  readonly treatmentColumn: string;
  readonly treatment: string;
  readonly control: string;
  readonly outcome: string;
  readonly value?: string;
  readonly features: string[];
  readonly out: string;
  readonly seed: number;
  readonly method: UpliftMethod | 'auto';
  readonly json?: boolean;
}

async function fitCommand(options: FitOptions): Promise<void> {
  const columns = {
    treatmentColumn: options.treatmentColumn,
    treatmentValue: options.treatment,
    controlValue: options.control,
    outcome: options.outcome,
    ...(options.value === undefined ? {} : { value: options.value }),
  };
  const input = await readExperiment(options.input, { ...columns, features: options.features });
  reportIgnored(options.input, input, options.treatmentColumn);
  const started = performance.now();
  let model: UpliftModel;
  try {
    model = fitUplift(input.data, { method: options.method, seed: options.seed });
  } catch (error) {
    if (error instanceof UpliftDataError) throw new BadInput(`${options.input}: ${error.message}`);
    throw error;
  }
  const ms = performance.now() - started;
  const file: ModelFile = { ...model, columns };
  await writeFile(options.out, `${JSON.stringify(file)}\n`);
  const summary = {
    out: options.out,
    method: model.method,
    params: model.params,
    rows: model.training.rows,
    treated: model.training.treated,
    control: model.training.control,
    ignored: input.ignored,
    ms: Math.round(ms),
    note: model.selection.note,
    tried: model.selection.candidates.map((c) => ({ method: c.method, depth: c.params.depth, trees: c.params.trees, cvQini: c.cvQini })),
  };
  if (options.json) {
    write(JSON.stringify(summary));
    return;
  }
  const table = new Table({ head: ['method', 'depth', 'trees', 'CV Qini'], colAligns: ['left', 'right', 'right', 'right'], style: plain });
  for (const c of model.selection.candidates) table.push([c.method, String(c.params.depth), String(c.params.trees), fixed(c.cvQini)]);
  write(
    [
      `Fitted on ${model.training.rows} rows (${model.training.treated} treated, ${model.training.control} control) in ${(ms / 1000).toFixed(1)} s; written to ${options.out}`,
      `Outcome rate: treated ${fixed(model.training.treatedRate)}, control ${fixed(model.training.controlRate)}`,
      ...(model.selection.candidates.length > 0 ? [`Tried (mean out-of-fold Qini coefficient, ${model.selection.folds} folds):`, table.toString()] : []),
      model.selection.note,
    ].join('\n'),
  );
}

async function readModelFile(path: string): Promise<ModelFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw inputProblem(path, error);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BadInput(`${path} is not valid JSON (expected the file \`winback uplift fit --out\` writes)`);
  }
  try {
    const model = parseUpliftModel(json);
    const columns = (json as { columns?: unknown }).columns;
    return { ...model, columns: (typeof columns === 'object' && columns !== null ? columns : {}) as ModelFile['columns'] };
  } catch (error) {
    if (error instanceof InvalidUpliftModelError) throw new BadInput(`${path}: ${error.message}`);
    throw error;
  }
}

async function scoreCommand(options: { model: string; input: string; json?: boolean }): Promise<void> {
  const model = await readModelFile(options.model);
  const score = upliftScorer(model);
  const out = process.stdout;
  const withProbabilities = model.method !== 'transformed';
  if (!options.json) write(['uplift', ...(withProbabilities ? ['p_treated', 'p_control'] : []), ...(model.value ? ['value_uplift'] : [])].join(','));
  // Lines are batched: one write per row would make a million-row file slow.
  let batch: string[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const text = `${batch.join('\n')}\n`;
    batch = [];
    if (!out.write(text)) await once(out, 'drain');
  };
  try {
    const pending: Promise<void>[] = [];
    await readScoringCsv(createReadStream(options.input), model.features, (features) => {
      const p = score(features);
      batch.push(
        options.json
          ? JSON.stringify(p)
          : [p.uplift, ...(withProbabilities ? [p.pTreated, p.pControl] : []), ...(model.value ? [p.valueUplift] : [])].map((value) => String(value)).join(','),
      );
      if (batch.length >= 1000) pending.push(flush());
    });
    await Promise.all(pending);
  } catch (error) {
    throw inputProblem(options.input, error);
  }
  await flush();
}

interface EvaluateOptions {
  readonly model: string;
  readonly input: string;
  readonly treatmentColumn?: string;
  readonly treatment?: string;
  readonly control?: string;
  readonly outcome?: string;
  readonly json?: boolean;
}

function formatEvaluation(evaluation: UpliftEvaluation, model: UpliftModel): string {
  const table = new Table({
    head: ['targeting', 'Qini coefficient', 'uplift top 10%', 'uplift top 20%', 'uplift top 30%'],
    colAligns: ['left', 'right', 'right', 'right', 'right'],
    style: plain,
  });
  table.push([`model (${model.method})`, fixed(evaluation.qini), ...evaluation.atK.map((k) => fixed(k.uplift))]);
  table.push(['random', fixed(evaluation.random.qini), ...evaluation.atK.map(() => fixed(evaluation.random.uplift))]);
  const top30 = evaluation.atK.find((k) => k.k === 0.3);
  const lines = [
    `${evaluation.rows} rows (${evaluation.treated} treated, ${evaluation.control} control)`,
    table.toString(),
    "Uplift at top k%: the outcome rate of treated minus control rows among the k% with the highest predicted uplift; random targeting gets the whole population's uplift.",
  ];
  if (top30 && Number.isFinite(top30.uplift)) {
    const gain = (per: number) => (per * 0.3 * 1000).toFixed(1);
    lines.push(
      `Treating 30% of 1,000 customers: ${gain(top30.uplift)} extra outcomes chosen by the model, ${gain(evaluation.random.uplift)} chosen at random.`,
    );
  }
  return lines.join('\n');
}

async function evaluateCommand(options: EvaluateOptions): Promise<void> {
  const model = await readModelFile(options.model);
  const known = model.columns;
  const pick = (given: string | undefined, stored: string | undefined, flag: string): string => {
    const value = given ?? stored;
    if (value === undefined) throw new BadInput(`${options.model} does not say its ${flag}: pass --${flag}`);
    return value;
  };
  const columns: ExperimentColumns = {
    treatmentColumn: pick(options.treatmentColumn, known.treatmentColumn, 'treatment-column'),
    treatmentValue: pick(options.treatment, known.treatmentValue, 'treatment'),
    controlValue: pick(options.control, known.controlValue, 'control'),
    outcome: pick(options.outcome, known.outcome, 'outcome'),
    features: model.features.map((spec) => spec.name),
    kinds: model.features.map((spec) => spec.kind),
  };
  const input = await readExperiment(options.input, columns);
  reportIgnored(options.input, input, columns.treatmentColumn);
  const rows = input.data.rows;
  if (!rows.some((row) => row.treated) || !rows.some((row) => !row.treated)) {
    throw new BadInput(
      `${options.input}: evaluation needs both treated (${JSON.stringify(columns.treatmentValue)}) and control (${JSON.stringify(columns.controlValue)}) rows`,
    );
  }
  const uplift = predictUplift(model, rows).map((p) => p.uplift);
  const evaluation = evaluateUplift(
    rows.map((row) => row.outcome),
    rows.map((row) => row.treated),
    uplift,
  );
  write(options.json ? JSON.stringify({ method: model.method, ...evaluation }) : formatEvaluation(evaluation, model));
}

/** Quotes a field when CSV needs it. */
function csvField(text: string): string {
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replaceAll('"', '""')}"` : text;
}

async function splitCommand(options: { input: string; treatmentColumn: string; share: number; seed: number; train: string; test: string }): Promise<void> {
  const records: string[][] = [];
  let header: string[] | undefined;
  let arm = -1;
  try {
    await eachRecord(createReadStream(options.input), (fields, line) => {
      if (!header) {
        header = fields;
        arm = fields.findIndex((name) => name === options.treatmentColumn);
        if (arm < 0)
          throw new UpliftInputError(line, options.treatmentColumn, `no such column (the treatment column); the header has: ${fields.slice(0, 12).join(', ')}`);
        return;
      }
      if (fields.length !== header.length)
        throw new UpliftInputError(line, '(record)', `expected ${header.length} fields as in the header, found ${fields.length}`);
      records.push(fields);
    });
  } catch (error) {
    throw inputProblem(options.input, error);
  }
  if (!header) throw new BadInput(`${options.input}: line 1, column (header): empty file`);
  const first = stratifiedSplit(
    records.map((fields) => fields[arm] as string),
    options.share,
    options.seed,
  );
  const outputs = [createWriteStream(options.train), createWriteStream(options.test)];
  const head = `${header.map(csvField).join(',')}\n`;
  for (const out of outputs) out.write(head);
  let inTrain = 0;
  for (const [index, fields] of records.entries()) {
    const out = first[index] ? outputs[0]! : outputs[1]!;
    if (first[index]) inTrain++;
    if (!out.write(`${fields.map(csvField).join(',')}\n`)) await once(out, 'drain');
  }
  await Promise.all(outputs.map((out) => new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())))));
  note(
    `${options.input}: ${inTrain} rows to ${options.train}, ${records.length - inTrain} to ${options.test} (stratified by ${options.treatmentColumn}, seed ${options.seed})`,
  );
}

/** `winback uplift fit|score|evaluate|split`. */
export function registerUpliftCommands(program: Command): void {
  const uplift = program.command('uplift').description('Uplift: who is moved by an email, learned from a randomized experiment (treated vs control) in a CSV');

  uplift
    .command('fit')
    .description('fit an uplift model on an experiment CSV, choosing the method by cross-validated Qini; non-numeric features are categorical')
    .requiredOption('--input <file>', 'the experiment CSV (one row per customer)')
    .requiredOption('--treatment-column <column>', 'the column saying treated or control')
    .requiredOption('--treatment <value>', "the treatment column's value for treated rows")
    .requiredOption('--control <value>', "the treatment column's value for control rows (rows with any other value are ignored and counted)")
    .requiredOption('--outcome <column>', 'the 0/1 outcome column')
    .option('--value <column>', 'a numeric value column (e.g. revenue): also estimate the incremental value')
    .requiredOption('--features <columns>', 'feature columns, separated by commas', parseFeatureList)
    .requiredOption('--out <file>', 'where to write the model (JSON)')
    .option('--seed <n>', 'seed of the folds and subsamples: the same data and seed give the same model', parseSeed, 1)
    .addOption(new Option('--method <method>', 'the learner, or auto to choose on evidence').choices(['auto', ...upliftMethods]).default('auto'))
    .option('--json', 'print the summary as one JSON line')
    .action(guarded(fitCommand));

  uplift
    .command('score')
    .description('predict the uplift of every row of a CSV, in order')
    .requiredOption('--model <file>', 'a model written by `uplift fit`')
    .requiredOption('--input <file>', "a CSV with the model's feature columns")
    .option('--json', 'one JSON line per row: {"uplift": ..., "pTreated": ..., "pControl": ..., "valueUplift": ...} (default: CSV)')
    .action(guarded(scoreCommand));

  uplift
    .command('evaluate')
    .description('Qini coefficient and uplift at the top 10/20/30% of an experiment CSV the model was not fitted on, against random targeting')
    .requiredOption('--model <file>', 'a model written by `uplift fit`')
    .requiredOption('--input <file>', 'the experiment CSV to evaluate on')
    .option('--treatment-column <column>', 'default: as in the model')
    .option('--treatment <value>', 'default: as in the model')
    .option('--control <value>', 'default: as in the model')
    .option('--outcome <column>', 'default: as in the model')
    .option('--json', 'print the evaluation as one JSON line (with the Qini curve at every 5%)')
    .action(guarded(evaluateCommand));

  uplift
    .command('split')
    .description('split a CSV into a training and a test file, at random with a seed, stratified by the treatment column')
    .requiredOption('--input <file>', 'the CSV to split')
    .requiredOption('--treatment-column <column>', 'the column to stratify by')
    .option('--share <share>', 'share of each treatment value going to the training file', parseShare, 0.7)
    .option('--seed <n>', 'seed of the split', parseSeed, 1)
    .requiredOption('--train <file>', 'where to write the training rows')
    .requiredOption('--test <file>', 'where to write the test rows')
    .action(guarded(splitCommand));
}
