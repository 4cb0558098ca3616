import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import Table from 'cli-table3';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { type CalendarDate, fromEpochDay } from '../domain/dates.js';
import { type BacktestResult, backtest } from '../domain/scoring/backtest.js';
import { scoreCustomer } from '../domain/scoring/clv.js';
import { CsvInputError, type ModelInput, readModelInput } from '../domain/scoring/csv.js';
import { fitModel, isPurchaseModel, paramNamesOf, parseFittedModel } from '../domain/scoring/models.js';
import {
  type AnyFittedModel,
  daysPerUnit,
  type FittedGammaGamma,
  type IdentifiedSummary,
  type ModelName,
  modelNames,
  type TimeUnit,
  timeUnits,
} from '../domain/scoring/types.js';
import { parseCalendarDate } from './arguments.js';

/** No colour codes: output is also read in CI logs and files. */
const plain = { head: [], border: [] };
const modelTitle: Record<ModelName, string> = { bgnbd: 'BG/NBD', mbgnbd: 'MBG/NBD', pareto: 'Pareto/NBD', 'gamma-gamma': 'Gamma-Gamma' };

function parseNonNegative(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) throw new InvalidArgumentError('expected a number >= 0.');
  return value;
}

function parsePositive(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0) throw new InvalidArgumentError('expected a number > 0.');
  return value;
}

function parseWhole(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) throw new InvalidArgumentError('expected a whole number >= 0.');
  return value;
}

function write(line: string): void {
  process.stdout.write(line.endsWith('\n') ? line : `${line}\n`);
}

function note(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Reads a model input CSV, naming the file in any error. */
async function readInput(path: string): Promise<ModelInput> {
  try {
    return await readModelInput(createReadStream(path));
  } catch (error) {
    if (error instanceof CsvInputError) throw new Error(`${path}: ${error.message}`, { cause: error });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`cannot read ${path}: no such file`, { cause: error });
    if (code === 'EISDIR') throw new Error(`cannot read ${path}: it is a directory`, { cause: error });
    throw error;
  }
}

interface SummaryOptions {
  readonly calibrationEnd?: CalendarDate;
  readonly timeUnit?: TimeUnit;
}

/** Summaries from either input; an event log is summarised at the calibration end (default: its latest purchase day). */
function summariesOf(input: ModelInput, path: string, options: SummaryOptions): { summaries: IdentifiedSummary[]; timeUnit: TimeUnit } {
  const timeUnit = options.timeUnit ?? 'days';
  if (input.format === 'summary') {
    if (options.calibrationEnd) throw new Error(`--calibration-end applies to an event log; ${path} is a customer summary (ID,frequency,recency,T)`);
    if (!options.timeUnit) note(`${path}: recency and T read as days (say --time-unit weeks if they are weeks)`);
    return { summaries: input.summaries, timeUnit };
  }
  const latest = input.log.latestDay;
  if (latest === undefined) throw new Error(`${path} has a header but no purchases`);
  const calibrationEnd = options.calibrationEnd ?? fromEpochDay(latest);
  if (!options.calibrationEnd) note(`calibration end: ${calibrationEnd} (the latest purchase day in ${path}; set --calibration-end to choose)`);
  return { summaries: input.log.summaries(calibrationEnd, timeUnit), timeUnit };
}

/** The fitted model as the one JSON line `fit --json` prints and `score --model-file` reads. */
function modelJson(model: AnyFittedModel): string {
  return JSON.stringify({
    model: model.model,
    params: model.params,
    logLikelihood: model.logLikelihood,
    customers: model.customers,
    iterations: model.iterations,
    ms: Math.round(model.ms * 10) / 10,
    converged: model.converged,
    ...(model.diagnostic === undefined ? {} : { diagnostic: model.diagnostic }),
    standardErrors: model.standardErrors,
    timeUnit: model.timeUnit,
    penalty: model.penalty,
  });
}

function significant(value: number, digits = 4): string {
  if (!Number.isFinite(value)) return '-';
  return Number(value.toPrecision(digits)).toString();
}

function formatFit(model: AnyFittedModel): string {
  const table = new Table({ head: ['parameter', 'estimate', 'std. error'], colAligns: ['left', 'right', 'right'], style: plain });
  const params = model.params as unknown as Record<string, number>;
  const errors = model.standardErrors as unknown as Record<string, number>;
  for (const name of paramNamesOf[model.model]) table.push([name, significant(params[name] ?? Number.NaN), significant(errors[name] ?? Number.NaN, 3)]);
  const status = model.converged ? 'converged' : `DID NOT CONVERGE (${model.diagnostic ?? 'unknown reason'})`;
  return [
    `${modelTitle[model.model]} on ${model.customers.toLocaleString('en-IE')} customers (time in ${model.timeUnit}): ${status} after ${model.iterations} iterations, ${model.ms.toFixed(0)} ms` +
      (model.penalty > 0 ? `, L2 penalty ${model.penalty}` : ''),
    table.toString(),
    `log-likelihood ${model.logLikelihood.toFixed(2)} (total over customers)`,
  ].join('\n');
}

interface FitOptions extends SummaryOptions {
  readonly input: string;
  readonly model: ModelName;
  readonly penalty?: number;
  readonly maxIterations?: number;
  readonly json?: boolean;
}

async function fitCommand(options: FitOptions): Promise<void> {
  const input = await readInput(options.input);
  const { summaries, timeUnit } = summariesOf(input, options.input, options);
  if (summaries.length === 0) throw new Error(`${options.input}: no customers to fit`);
  if (options.model === 'gamma-gamma' && input.format === 'summary' && !input.hasMonetary) {
    throw new Error(`${options.input}: gamma-gamma needs a monetary_value column`);
  }
  const fitted = fitModel(options.model, summaries, {
    timeUnit,
    penalty: options.penalty ?? 0,
    ...(options.maxIterations === undefined ? {} : { maxIterations: options.maxIterations }),
  });
  write(options.json ? modelJson(fitted) : formatFit(fitted));
  if (!fitted.converged) {
    throw new Error(`the ${modelTitle[fitted.model]} fit did not converge (${fitted.iterations} iterations): ${fitted.diagnostic ?? 'unknown reason'}`);
  }
}

/** Reads the JSON written by `fit --json`: the whole file, or else its last non-empty line (a captured stdout). */
async function readModelFile(path: string): Promise<AnyFittedModel> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const last = text.trim().split('\n').pop() ?? '';
    try {
      json = JSON.parse(last);
    } catch {
      throw new Error(`${path} is not valid JSON (expected the output of \`winback model fit --json\`)`);
    }
  }
  try {
    return parseFittedModel(json);
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`, { cause: error });
  }
}

interface ScoreOptions extends SummaryOptions {
  readonly modelFile: string;
  readonly spendModelFile?: string;
  readonly input?: string;
  readonly x?: number;
  readonly tx?: number;
  readonly T?: number;
  readonly monetary?: number;
  readonly t: number;
  readonly horizon: number;
  readonly json?: boolean;
}

async function scoreCommand(options: ScoreOptions): Promise<void> {
  const model = await readModelFile(options.modelFile);
  if (!isPurchaseModel(model)) {
    throw new Error(
      `${options.modelFile} holds a gamma-gamma (spend) model: pass a bgnbd, mbgnbd or pareto model as --model-file and the spend model as --spend-model-file`,
    );
  }
  let spendModel: FittedGammaGamma | undefined;
  if (options.spendModelFile) {
    const read = await readModelFile(options.spendModelFile);
    if (read.model !== 'gamma-gamma') throw new Error(`${options.spendModelFile} holds a ${read.model} model, not a gamma-gamma spend model`);
    spendModel = read;
  }
  const single = options.x !== undefined || options.tx !== undefined || options.T !== undefined;
  if (single === Boolean(options.input)) throw new Error('give either --input FILE or a single summary as --x N --tx N --T N');

  let summaries: IdentifiedSummary[];
  if (options.input) {
    if (options.timeUnit && options.timeUnit !== model.timeUnit)
      throw new Error(`the model is in ${model.timeUnit}; --time-unit ${options.timeUnit} does not match`);
    summaries = summariesOf(await readInput(options.input), options.input, { ...options, timeUnit: model.timeUnit }).summaries;
  } else {
    const { x, tx, T } = options;
    if (x === undefined || tx === undefined || T === undefined) throw new Error('a single summary needs all of --x, --tx and --T');
    if (tx > T) throw new Error(`--tx ${tx} exceeds --T ${T}`);
    if (x === 0 && tx !== 0) throw new Error('--tx must be 0 when --x is 0');
    summaries = [{ customerId: '-', x, tx, T, ...(options.monetary === undefined ? {} : { monetary: options.monetary }) }];
  }

  const unit = daysPerUnit(model.timeUnit);
  const scoring = { t: options.t / unit, horizon: options.horizon / unit };
  const scored = summaries.map((summary) => ({ summary, score: scoreCustomer(model, spendModel, summary, scoring) }));
  if (options.json) {
    for (const { summary, score } of scored) write(JSON.stringify({ customerId: summary.customerId, x: summary.x, tx: summary.tx, T: summary.T, ...score }));
    return;
  }
  const table = new Table({
    head: ['customer', 'x', 'tx', 'T', 'P(alive)', `purchases next ${options.t} d`, 'spend/purchase', `CLV ${options.horizon} d`],
    colAligns: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    style: plain,
  });
  for (const { summary, score } of scored) {
    table.push([
      summary.customerId,
      String(summary.x),
      significant(summary.tx),
      significant(summary.T),
      score.pAlive.toFixed(3),
      score.expectedPurchases.toFixed(3),
      score.expectedSpend === null ? '-' : score.expectedSpend.toFixed(2),
      score.clv === null ? '-' : score.clv.toFixed(2),
    ]);
  }
  write(
    `${modelTitle[model.model]} (time in ${model.timeUnit}); CLV discounted 1% a month${spendModel ? ', spend from Gamma-Gamma' : ", spend = the customer's own mean"}`,
  );
  write(table.toString());
}

interface BacktestCommandOptions {
  readonly input: string;
  readonly calibrationEnd: CalendarDate;
  readonly holdoutEnd: CalendarDate;
  readonly timeUnit?: TimeUnit;
  readonly penalty?: number;
  readonly json?: boolean;
}

function formatBacktest(result: BacktestResult): string {
  const table = new Table({
    head: ['method', 'AUC', 'predicted', 'actual', 'MAE / customer', 'log-likelihood', 'converged'],
    colAligns: ['left', 'right', 'right', 'right', 'right', 'right', 'left'],
    style: plain,
  });
  for (const row of result.rows) {
    table.push([
      row.method === 'recency' ? 'recency rule' : modelTitle[row.method],
      Number.isFinite(row.auc) ? row.auc.toFixed(3) : '-',
      row.predicted === null ? '-' : row.predicted.toFixed(0),
      String(row.actual),
      row.meanAbsoluteError === null ? '-' : row.meanAbsoluteError.toFixed(3),
      row.logLikelihood === undefined ? '-' : row.logLikelihood.toFixed(1),
      row.converged === undefined ? '-' : row.converged ? 'yes' : 'NO',
    ]);
  }
  return [
    `Calibration to ${result.calibrationEnd}, holdout to ${result.holdoutEnd}: ${result.customers.toLocaleString('en-IE')} customers, ` +
      `${result.buyersInHoldout.toLocaleString('en-IE')} bought again in the holdout`,
    'AUC: how well the ranking (expected holdout purchases; recency for the rule) separates who bought again from who did not.',
    table.toString(),
  ].join('\n');
}

async function backtestCommand(options: BacktestCommandOptions): Promise<void> {
  const input = await readInput(options.input);
  if (input.format !== 'events') throw new Error(`${options.input}: backtest needs an event log (customer_id,date,amount), not a customer summary`);
  const result = backtest(input.log, {
    calibrationEnd: options.calibrationEnd,
    holdoutEnd: options.holdoutEnd,
    timeUnit: options.timeUnit ?? 'days',
    penalty: options.penalty ?? 0,
  });
  write(options.json ? JSON.stringify(result) : formatBacktest(result));
}

/** `winback model fit|score|backtest`. */
export function registerModelCommands(program: Command): void {
  const model = program.command('model').description('Fit, score and backtest the customer-base models (BG/NBD, MBG/NBD, Pareto/NBD, Gamma-Gamma)');
  const timeUnit = () =>
    new Option('--time-unit <unit>', 'time unit of recency/T (summary CSV) or of the summaries built from an event log (default days)').choices(timeUnits);
  const calibrationEnd = () =>
    new Option('--calibration-end <date>', 'event log only: summarise purchases up to this day, YYYY-MM-DD (default: the latest purchase day)').argParser(
      parseCalendarDate,
    );

  model
    .command('fit')
    .description('fit a model on a customer summary CSV (ID,frequency,recency,T[,monetary_value]) or an event log CSV (customer_id,date,amount)')
    .requiredOption('--input <file>', 'the CSV to fit on')
    .addOption(new Option('--model <name>', 'the model').choices(modelNames).makeOptionMandatory())
    .addOption(calibrationEnd())
    .addOption(timeUnit())
    .option('--penalty <l2>', 'L2 penalty on the log-parameters, for small shops (default 0)', parseNonNegative)
    .option('--max-iterations <n>', 'iteration limit of the optimiser (default 500)', parseWhole)
    .option('--json', 'print the fitted model as one JSON line (the input of `model score --model-file`)')
    .action(fitCommand);

  model
    .command('score')
    .description('score customers with a fitted model: probability alive, expected purchases, expected spend and CLV')
    .requiredOption('--model-file <file>', 'a fitted purchase model (the output of `model fit --json`)')
    .option('--spend-model-file <file>', "a fitted gamma-gamma model for the expected spend (default: the customer's own mean)")
    .option('--input <file>', 'a customer summary or event log CSV to score')
    .option('--x <n>', 'a single customer: repeat purchase days', parseWhole)
    .option('--tx <n>', "a single customer: time of the last purchase from the first, in the model's time unit", parseNonNegative)
    .option('--T <n>', "a single customer: time from the first purchase to now, in the model's time unit", parseNonNegative)
    .option('--monetary <amount>', 'a single customer: mean spend per repeat purchase', parseNonNegative)
    .addOption(calibrationEnd())
    .addOption(timeUnit())
    .option('--t <days>', 'window for expected purchases, in days', parsePositive, 90)
    .option('--horizon <days>', 'CLV horizon, in days', parsePositive, 365)
    .option('--json', 'print one JSON line per customer')
    .action(scoreCommand);

  model
    .command('backtest')
    .description('fit each purchase model on a calibration period and compare, on the holdout, who buys again (AUC) and how often, next to the recency rule')
    .requiredOption('--input <file>', 'an event log CSV (customer_id,date,amount)')
    .requiredOption('--calibration-end <date>', 'last day of the calibration period, YYYY-MM-DD', parseCalendarDate)
    .requiredOption('--holdout-end <date>', 'last day of the holdout period, YYYY-MM-DD', parseCalendarDate)
    .addOption(timeUnit())
    .option('--penalty <l2>', 'L2 penalty on the log-parameters (default 0)', parseNonNegative)
    .option('--json', 'print the result as one JSON line')
    .action(backtestCommand);
}
