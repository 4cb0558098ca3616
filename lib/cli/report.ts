import { writeFile } from 'node:fs/promises';
import Table from 'cli-table3';
import type { Command } from 'commander';
import { DynamoCampaignConfigStore } from '../adapters/dynamodb/campaign-configs.js';
import { DynamoReportSource } from '../adapters/dynamodb/report-source.js';
import { parseScope, scopeName } from '../domain/deliverability.js';
import { formatMoney } from '../domain/money.js';
import { systemClock } from '../ports/clock.js';
import { buildReport, type CampaignReport, type DeliverabilityView, type MetricsView, type Report } from '../usecases/build-report.js';
import { parseCalendarDate, parseWholeNumber } from './arguments.js';
import { withTable } from './campaigns.js';
import { funnelCells, funnelHeadings } from './report-funnel.js';
import { reportHtml, warmUpLine } from './report-html.js';

interface TableOptions {
  readonly aws?: boolean;
  readonly port: number;
}

interface ReportCommandOptions extends TableOptions {
  readonly from?: string;
  readonly to?: string;
  readonly campaign?: string;
  readonly json?: boolean;
  readonly html?: string;
  readonly freeShippingEstimate?: string;
  readonly minConversions?: number;
  readonly reactivationDays?: number;
  readonly calibrationDays?: number;
}

/** No colour codes: the report is also read in CI logs and files. */
const plain = { head: [], border: [] };
const number = new Intl.NumberFormat('en-IE');
const out = (text: string) => process.stdout.write(`${text}\n`);

/** `winback report`, and `winback campaigns resume` (the explicit way back from a deliverability pause). */
export function registerReportCommands(program: Command): void {
  const withStore = (command: Command) =>
    command
      .option('--aws', 'use the table in AWS (TABLE_NAME, AWS credentials) instead of the local stack')
      .option('--port <port>', 'the local stack base port (DynamoDB Local answers on port+2)', parseWholeNumber(1024, 65_533), 8787);

  withStore(
    program
      .command('report')
      .description(
        'Campaign results: the funnel per campaign, variant, step and night, lift against the holdout with its 95% interval, deliverability with the pause state, churn over time (status shares, reactivation, model calibration) and why customers leave (feedback, reason codes)',
      ),
  )
    .option('--from <date>', 'first night to include, YYYY-MM-DD (default: the first night in the ledger)', parseCalendarDate)
    .option('--to <date>', 'last night to include, YYYY-MM-DD (default: the latest)', parseCalendarDate)
    .option('--campaign <id>', 'only this campaign')
    .option('--json', 'print the report as JSON')
    .option('--html <file>', 'also write one self-contained HTML page with charts')
    .option('--free-shipping-estimate <amount>', "what a redeemed free-shipping coupon costs, in the shop's currency, e.g. 4.95 (default 0)")
    .option(
      '--min-conversions <n>',
      'below this many conversions (emailed and holdout together) the verdict is "too early to tell"',
      parseWholeNumber(1, 1_000_000),
    )
    .option('--reactivation-days <n>', "days after the night a lapsed customer's order counts as a reactivation (default 30)", parseWholeNumber(1, 365))
    .option(
      '--calibration-days <n>',
      "the longest horizon over which a night's model is compared with the purchases that followed (default 90)",
      parseWholeNumber(1, 365),
    )
    .action(async (options: ReportCommandOptions) => {
      await withTable(options, async ({ client, tableName }) => {
        const report = await buildReport(
          { source: new DynamoReportSource(client, tableName), configs: new DynamoCampaignConfigStore(client, tableName), clock: systemClock },
          {
            ...(options.from ? { from: options.from } : {}),
            ...(options.to ? { to: options.to } : {}),
            ...(options.campaign ? { campaignId: options.campaign } : {}),
            ...(options.freeShippingEstimate !== undefined ? { freeShippingEstimate: options.freeShippingEstimate } : {}),
            ...(options.minConversions !== undefined ? { minConversions: options.minConversions } : {}),
            ...(options.reactivationDays !== undefined ? { reactivationDays: options.reactivationDays } : {}),
            ...(options.calibrationDays !== undefined ? { calibrationDays: options.calibrationDays } : {}),
          },
        );
        if (options.html) {
          await writeFile(options.html, reportHtml(report));
          // With --json, stdout is the JSON alone.
          (options.json ? (text: string) => process.stderr.write(`${text}\n`) : out)(`HTML report written to ${options.html}`);
        }
        out(options.json ? JSON.stringify(report, null, 2) : formatReport(report));
      });
    });

  const campaigns = program.commands.find((command) => command.name() === 'campaigns');
  if (!campaigns) throw new Error('register the campaigns commands before the report commands');
  withStore(
    campaigns
      .command('resume <id>')
      .description('resume a campaign the deliverability guard paused, or all sending with "shop"; its bounce and complaint window starts afresh'),
  )
    .option('--by <name>', 'who resumes it, kept on the pause record', process.env.USER ?? 'cli')
    .action(async (id: string, options: TableOptions & { by: string }) => {
      const scope = parseScope(id);
      await withTable(options, async ({ client, tableName }) => {
        const resumed = await new DynamoCampaignConfigStore(client, tableName).resume(scope, options.by, systemClock.now().toISOString());
        out(
          resumed
            ? `resumed ${scopeName(scope)}: the next night sends again, measuring bounces and complaints from now on`
            : `nothing to resume: ${scopeName(scope)} is not paused`,
        );
      });
    });
}

/** The report as a person reads it in a terminal. */
export function formatReport(report: Report): string {
  const money = (minor: number) => formatMoney({ minor, currency: report.shop.currency }, report.shop.locale);
  const lines: string[] = [];
  const range = report.range.from ? `nights ${report.range.from} to ${report.range.to} (${report.range.nights} with sends)` : 'no nights with sends yet';
  lines.push(`Winback report · ${report.shop.name} · ${range} · config v${report.configVersion} · attribution window ${report.attributionWindowDays} days`);

  const pausedNow = [
    ...(report.shop.paused
      ? [`ALL SENDING is paused since ${report.shop.paused.at}: ${report.shop.paused.reason}. Resume: winback campaigns resume shop`]
      : []),
  ];
  for (const campaign of report.campaigns) {
    if (campaign.paused?.scope === 'campaign')
      pausedNow.push(`${campaign.id} is PAUSED since ${campaign.paused.at}: ${campaign.paused.reason}. Resume: winback campaigns resume ${campaign.id}`);
  }
  if (pausedNow.length > 0) lines.push('', ...pausedNow);

  const funnel = new Table({
    head: ['Funnel', ...funnelHeadings],
    colAligns: ['left', ...Array<'right'>(12).fill('right')],
    style: plain,
  });
  for (const campaign of report.campaigns) funnel.push([campaign.id, ...funnelCells(campaign, money)]);
  lines.push(
    '',
    funnel.toString(),
    '* Opens are inflated by mail privacy features: shown, never decided on. Conversions and revenue are orders attributed to an email.',
  );
  for (const campaign of report.campaigns) {
    const { unconfirmed } = campaign;
    const { couponUnavailable } = campaign;
    if (couponUnavailable > 0)
      lines.push(
        `${campaign.id}: ${couponUnavailable} email${couponUnavailable === 1 ? '' : 's'} not sent: the shop's platform never confirmed ${couponUnavailable === 1 ? 'its' : 'their'} coupon code (coupon_unavailable); no email goes with a code that does not work.`,
      );
    if (unconfirmed > 0)
      lines.push(
        `${campaign.id}: ${unconfirmed} send${unconfirmed === 1 ? '' : 's'} never confirmed (a crash or timeout between reserving and SES's answer): SES may have sent ${unconfirmed === 1 ? 'it' : 'them'}; never resent, so nobody gets a second copy.`,
      );
  }

  const lift = new Table({
    head: ['Lift vs holdout', 'emailed: ordered', 'holdout: ordered', 'lift', '95% interval', 'relative', 'extra orders', 'extra revenue, net'],
    colAligns: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    style: plain,
  });
  for (const campaign of report.campaigns) {
    lift.push([campaign.id, groupCell(campaign.treated), groupCell(campaign.holdout), ...liftCells(campaign.lift, money)]);
    for (const variant of campaign.byVariant) {
      if (variant.lift && variant.treated && campaign.byVariant.filter((row) => row.variant !== 'holdout').length > 1) {
        lift.push([`  ${variant.variant}`, groupCell(variant.treated), '', ...liftCells(variant.lift, money)]);
      }
    }
  }
  lines.push('', lift.toString());
  for (const campaign of report.campaigns) lines.push(`${campaign.id}: ${campaign.verdict.text}`);

  const health = new Table({
    head: [`Deliverability, last ${report.shop.deliverability.windowDays} nights`, 'sent', 'bounced', 'bounce rate', 'complained', 'complaint rate', 'state'],
    colAligns: ['left', 'right', 'right', 'right', 'right', 'right', 'left'],
    style: plain,
  });
  health.push(['shop (all sending)', ...deliverabilityCells(report.shop.deliverability)]);
  for (const campaign of report.campaigns) health.push([campaign.id, ...deliverabilityCells(campaign.deliverability)]);
  const thresholds = report.shop.deliverability.thresholds;
  lines.push(
    '',
    health.toString(),
    `Pauses at a bounce rate of ${pct(thresholds.bounceRatePause)} or a complaint rate of ${pct(thresholds.complaintRatePause, 2)} over at least ${number.format(thresholds.minVolume)} sends; measured over the nights ${report.shop.deliverability.firstNight} to ${report.shop.deliverability.lastNight}.`,
  );
  const warmUp = warmUpLine(report);
  if (warmUp) lines.push(warmUp);

  lines.push('', ...churnLines(report), '', ...reasonLines(report));
  for (const campaign of report.campaigns) lines.push('', ...campaignDetail(campaign, money));
  lines.push(
    '',
    `Lift: ${report.notes.lift}`,
    `Discount cost: ${report.notes.discountCost}`,
    `Deliverability: ${report.notes.deliverability}`,
    `Churn: ${report.notes.churn}`,
    `Reactivation: ${report.notes.reactivation}`,
    `Calibration: ${report.notes.calibration}`,
    `Reasons: ${report.notes.reasons}`,
  );
  return lines.join('\n');
}

/** Terminal comments are a taste; --json and --html list them all (up to the report's limit). */
const commentsShown = 10;

function churnLines(report: Report): string[] {
  const { nights, reactivation, calibration } = report.churn;
  const lines: string[] = [];
  const churn = new Table({
    head: ['Churn over time', 'customers with orders', 'active', 'at risk', 'lost', 'classified by'],
    colAligns: ['left', 'right', 'right', 'right', 'right', 'left'],
    style: plain,
  });
  for (const night of nights) {
    churn.push([
      night.night,
      number.format(night.withOrders),
      withShare(night.active, night.withOrders),
      withShare(night.atRisk, night.withOrders),
      withShare(night.lost, night.withOrders),
      night.classifiedBy,
    ]);
  }
  lines.push(nights.length > 0 ? churn.toString() : 'Churn over time: no run records in range yet.');

  const tally = (row: { customers: number; reactivated: number; rate: number }) =>
    row.customers > 0 ? `${number.format(row.reactivated)} / ${number.format(row.customers)} (${pct(row.rate)})` : '-';
  lines.push(
    '',
    `Reactivation within ${reactivation.windowDays} days: ${tally(reactivation)} of the customers recorded as at risk or lost ordered again; ${number.format(reactivation.wonBack)} of them with an order attributed to a win-back email.`,
  );
  const byContact = new Table({ head: ['Reactivation', 'emailed', 'held out', 'not emailed'], colAligns: ['left', 'right', 'right', 'right'], style: plain });
  byContact.push([
    'ordered again / lapsed',
    tally(reactivation.byContact.emailed),
    tally(reactivation.byContact.held_out),
    tally(reactivation.byContact.not_emailed),
  ]);
  lines.push(byContact.toString());
  if (reactivation.byNight.length > 0) {
    const byNight = new Table({
      head: ['First recorded lapsed', 'customers', 'ordered again', 'window'],
      colAligns: ['left', 'right', 'right', 'left'],
      style: plain,
    });
    for (const night of reactivation.byNight)
      byNight.push([night.night, number.format(night.customers), tally(night), night.complete ? 'closed' : 'still open']);
    lines.push(byNight.toString());
  }

  if (calibration.nights.length === 0) {
    lines.push('', 'Model calibration: no night in range classified with a fitted model and has history after it yet.');
    return lines;
  }
  const table = new Table({
    head: ['Model calibration', 'model', 'horizon', 'customers', 'predicted purchase days', 'actual', 'error'],
    colAligns: ['left', 'left', 'right', 'right', 'right', 'right', 'right'],
    style: plain,
  });
  for (const night of calibration.nights) {
    table.push([
      night.night,
      night.model,
      `${night.horizonDays} days`,
      number.format(night.customers),
      night.predicted.toFixed(1),
      number.format(night.actual),
      night.error === null ? '-' : `${night.error >= 0 ? '+' : ''}${pct(night.error)}`,
    ]);
  }
  const longest = calibration.nights[0]!;
  const bins = new Table({
    head: [`By prior repeat purchases, ${longest.night} (${longest.horizonDays} days)`, 'customers', 'predicted', 'actual'],
    colAligns: ['left', 'right', 'right', 'right'],
    style: plain,
  });
  for (const bin of longest.bins) bins.push([bin.bin, number.format(bin.customers), bin.predicted.toFixed(1), number.format(bin.actual)]);
  lines.push('', table.toString(), bins.toString());
  return lines;
}

function reasonLines(report: Report): string[] {
  const { feedback, codes } = report.reasons;
  const lines: string[] = [];
  const campaignIds = Object.keys(feedback.byCampaign).sort();
  const answers = new Table({
    head: ['Why customers leave: feedback', 'answers', ...campaignIds],
    colAligns: ['left', 'right', ...campaignIds.map(() => 'right' as const)],
    style: plain,
  });
  for (const answer of feedback.answers)
    answers.push([
      answer.label,
      withShare(answer.count, feedback.total),
      ...campaignIds.map((id) => number.format(feedback.byCampaign[id]?.[answer.answer] ?? 0)),
    ]);
  lines.push(feedback.total > 0 ? answers.toString() : 'Why customers leave: no feedback answers in range yet.');
  if (feedback.comments.length > 0) {
    lines.push(
      `Comments, newest first${feedback.comments.length > commentsShown ? ` (${commentsShown} of ${feedback.comments.length}; all in --json and --html)` : ''}:`,
    );
    for (const comment of feedback.comments.slice(0, commentsShown))
      lines.push(`  ${comment.at.slice(0, 10)} ${comment.campaignId} (${comment.answer}): ${oneLine(comment.comment)}`);
  }

  const groups = [
    { label: `at risk now`, tally: codes.now.byStatus.at_risk },
    { label: `lost now`, tally: codes.now.byStatus.lost },
    ...codes.byCampaign.map((row) => ({ label: row.campaignId, tally: row })),
  ];
  const codeNames = [...new Set(groups.flatMap((group) => Object.keys(group.tally.codes)))].sort();
  const reasons = new Table({
    head: ['Reason codes (from the data)', ...groups.map((group) => group.label)],
    colAligns: ['left', ...groups.map(() => 'right' as const)],
    style: plain,
  });
  reasons.push(['customers', ...groups.map((group) => number.format(group.tally.customers))]);
  for (const code of codeNames) reasons.push([code, ...groups.map((group) => withShare(group.tally.codes[code] ?? 0, group.tally.customers))]);
  reasons.push(['no reason code', ...groups.map((group) => withShare(group.tally.withoutReason, group.tally.customers))]);
  reasons.push(['ordered since', '', '', ...codes.byCampaign.map((row) => number.format(row.orderedSince))]);
  lines.push(
    '',
    `Reason codes: now is as of ${codes.now.asOf ?? 'no night yet'}; per campaign, the customers it chose, as of the night that chose them.`,
    reasons.toString(),
  );
  return lines;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ');
}

function campaignDetail(campaign: CampaignReport, money: (minor: number) => string): string[] {
  const title = `${campaign.id}${campaign.name ? ` · ${campaign.name}` : ''}${campaign.inConfig ? '' : ' (no longer in the config)'}${campaign.enabled === false ? ' (disabled)' : ''}`;
  const heads = ['sent', 'held out', 'delivered', 'clicked', 'conversions', 'revenue', 'discount cost'];
  const cells = (row: MetricsView) =>
    [row.sent, row.heldOut, row.delivered, row.clicked, row.conversions]
      .map((value) => number.format(value))
      .concat([money(row.revenueMinor), money(row.discountCostMinor)]);
  const aligns = ['left', ...Array<'right'>(heads.length).fill('right')] as ('left' | 'right')[];

  const variants = new Table({ head: ['Variant', ...heads], colAligns: aligns, style: plain });
  for (const row of campaign.byVariant) variants.push([row.variant, ...cells(row)]);
  const steps = new Table({ head: ['Step', ...heads], colAligns: aligns, style: plain });
  for (const row of campaign.byStep) steps.push([`${row.step + 1}${row.delayDays !== undefined ? ` (day ${row.delayDays})` : ''}`, ...cells(row)]);
  const nights = new Table({ head: ['Night', 'eligible', ...heads], colAligns: ['left', 'right', ...aligns.slice(1)], style: plain });
  for (const row of campaign.byNight) nights.push([row.night, number.format(row.eligible), ...cells(row)]);
  return [title, variants.toString(), steps.toString(), nights.toString(), ...upliftLines(campaign, money)];
}

/** Uplift targeting and offer sizing (docs/uplift.md): whom the email moves, who was not emailed and why, what it saved. */
function upliftLines(campaign: CampaignReport, money: (minor: number) => string): string[] {
  const uplift = campaign.uplift;
  if (!uplift) return [];
  const latest = uplift.latest;
  const lines = [
    `Targeting: ${uplift.targeting}${latest ? ` (latest night ${latest.night}: ${latest.used}${latest.reason ? `, ${latest.reason}` : latest.cvQini !== undefined ? `, model Qini ${latest.cvQini.toFixed(3)} on held-out folds` : ''})` : ''}; offers: ${uplift.allocation}.`,
  ];
  const skipped = uplift.notEmailed;
  if (uplift.targeting === 'uplift' || skipped.sure_thing + skipped.lost_cause + skipped.do_not_disturb > 0) {
    lines.push(
      `Not emailed by uplift targeting: ${number.format(skipped.sure_thing)} sure things, ${number.format(skipped.lost_cause)} lost causes, ${number.format(skipped.do_not_disturb)} do-not-disturb customers; ${number.format(uplift.nights.explored)} chosen anyway to keep learning. Expected margin saved ${money(Math.round(uplift.nights.marginSavedMinor))}, discount not given away ${money(Math.round(uplift.nights.discountSavedMinor))} (over ${uplift.nights.uplift} night${uplift.nights.uplift === 1 ? '' : 's'} that targeted; ${uplift.nights.everyone} fell back to everyone).`,
    );
  }
  const segments = new Table({
    head: ['Uplift by segment', 'emailed: ordered', 'holdout: ordered', 'uplift', '95% interval'],
    colAligns: ['left', 'right', 'right', 'right', 'right'],
    style: plain,
  });
  for (const row of uplift.bySegment) {
    segments.push([
      row.segment,
      `${number.format(row.treated.converted)} / ${number.format(row.treated.customers)}`,
      `${number.format(row.holdout.converted)} / ${number.format(row.holdout.customers)}`,
      row.uplift === null ? '-' : points(row.uplift),
      row.ci95 ? `${points(row.ci95[0])} to ${points(row.ci95[1])}` : '-',
    ]);
  }
  if (uplift.bySegment.length > 0) lines.push(segments.toString());
  const offers = new Table({
    head: ['Offers by segment', 'variant', 'customers', 'margin per customer', 'vs holdout', '95% interval', 'P(best)', 'discount given'],
    colAligns: ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right'],
    style: plain,
  });
  for (const segment of uplift.offers) {
    for (const row of segment.variants) {
      offers.push([
        segment.segment,
        `${row.variant}${row.variant === segment.leader && segment.variants.length > 1 ? ' (leads)' : ''}`,
        number.format(row.customers),
        money(Math.round(row.marginPerCustomerMinor)),
        row.incrementalMinor === null ? '-' : money(Math.round(row.incrementalMinor)),
        row.ci95Minor ? `${money(Math.round(row.ci95Minor[0]))} to ${money(Math.round(row.ci95Minor[1]))}` : '-',
        pct(row.winProbability, 0),
        money(row.discountGivenMinor),
      ]);
    }
  }
  if (uplift.offers.some((segment) => segment.variants.length > 1)) lines.push(offers.toString());
  return lines;
}

function groupCell(group: CampaignReport['treated']): string {
  return group.customers > 0 ? `${number.format(group.converted)} / ${number.format(group.customers)} (${pct(group.rate)})` : '-';
}

function liftCells(lift: CampaignReport['lift'], money: (minor: number) => string): string[] {
  if (lift.absolute === null || lift.ci95 === null) return ['-', '-', '-', '-', '-'];
  return [
    points(lift.absolute),
    `${points(lift.ci95[0])} to ${points(lift.ci95[1])}`,
    lift.relative === null ? '-' : `${lift.relative >= 0 ? '+' : ''}${(lift.relative * 100).toFixed(0)}%`,
    lift.incrementalOrders === null ? '-' : lift.incrementalOrders.toFixed(1),
    lift.incrementalRevenue ? money(lift.incrementalRevenue.netMinor) : '-',
  ];
}

function deliverabilityCells(view: DeliverabilityView): string[] {
  const state = { ok: 'ok', below_min_volume: 'too few sends to judge', over_threshold: 'OVER THRESHOLD: pauses at the next night', paused: 'PAUSED' }[
    view.state
  ];
  return [
    number.format(view.sent),
    number.format(view.bounced),
    pct(view.bounceRate),
    number.format(view.complained),
    pct(view.complaintRate, 3),
    `${state}${view.resumed ? ` (resumed ${view.resumed.at} by ${view.resumed.by})` : ''}`,
  ];
}

function withShare(value: number, of: number, digits = 1): string {
  return of > 0 ? `${number.format(value)} (${pct(value / of, digits)})` : number.format(value);
}

function pct(rate: number, digits = 1): string {
  return `${(rate * 100).toFixed(digits)}%`;
}

function points(difference: number): string {
  return `${difference >= 0 ? '+' : ''}${(difference * 100).toFixed(1)} pts`;
}
