import { formatMoney } from '../domain/money.js';
import type { CampaignReport, DeliverabilityView, MetricsView, Report } from '../usecases/build-report.js';
import { funnelCells, funnelHeadings } from './report-funnel.js';

/**
 * `winback report --html FILE`: one self-contained page, inline CSS and inline SVG, no script and no request to the
 * network, so it can be mailed or archived as one file. The charts are hand-rolled SVG: four simple shapes (bars, a
 * forest plot of intervals, threshold markers) do not justify a chart library, and none in node_modules inlines
 * without a script runtime.
 */
export function reportHtml(report: Report): string {
  const money = (minor: number) => formatMoney({ minor, currency: report.shop.currency }, report.shop.locale);
  const range = report.range.from ? `nights ${report.range.from} to ${report.range.to}` : 'no nights with sends yet';
  const pauses = [
    ...(report.shop.paused
      ? [
          `<strong>All sending is paused</strong> since ${esc(report.shop.paused.at)}: ${esc(report.shop.paused.reason)}. Resume with <code>winback campaigns resume shop</code>.`,
        ]
      : []),
    ...report.campaigns
      .filter((campaign) => campaign.paused?.scope === 'campaign')
      .map(
        (campaign) =>
          `<strong>${esc(campaign.id)} is paused</strong> since ${esc(campaign.paused!.at)}: ${esc(campaign.paused!.reason)}. Resume with <code>winback campaigns resume ${esc(campaign.id)}</code>.`,
      ),
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Winback report · ${esc(report.shop.name)}</title>
<style>${css}</style>
</head>
<body>
<header>
<h1>Winback report · ${esc(report.shop.name)}</h1>
<p>${esc(range)} · ${report.range.nights} nights with sends · config v${report.configVersion} · attribution window ${report.attributionWindowDays} days · generated ${esc(report.generatedAt)}</p>
</header>
<main>
${pauses.map((text) => `<p class="alert" role="alert">${text}</p>`).join('\n')}
<section>
<h2>Did it work? Lift against the holdout</h2>
<p class="note">${esc(report.notes.lift)}</p>
${forestPlot(report)}
${liftTable(report, money)}
<ul class="verdicts">${report.campaigns.map((campaign) => `<li class="${campaign.verdict.kind}"><strong>${esc(campaign.id)}</strong>: ${esc(campaign.verdict.text)}</li>`).join('')}</ul>
</section>
<section>
<h2>Funnel</h2>
<p class="note">${esc(report.notes.opened)} ${esc(report.notes.conversions)}</p>
<div class="charts">${report.campaigns.map((campaign) => funnelChart(campaign)).join('')}</div>
${funnelTable(report.campaigns, money)}
<p class="note">Discount cost: ${esc(report.notes.discountCost)}</p>
</section>
<section>
<h2>Sending health</h2>
<p class="note">${esc(report.notes.deliverability)}</p>
${deliverabilityChart(report)}
${deliverabilityTable(report)}
${warmUpLine(report) ? `<p class="note" id="warm-up">${esc(warmUpLine(report)!)}</p>` : ''}
</section>
${churnSection(report)}
${reasonsSection(report)}
${report.campaigns.map((campaign) => campaignSection(campaign, money)).join('\n')}
</main>
</body>
</html>
`;
}

const count = new Intl.NumberFormat('en-IE');

/** The warm-up's backlog, while the sending domain warms up (nothing once it sends at the daily cap). */
export function warmUpLine(report: Report): string | undefined {
  const warmUp = report.shop.warmUp;
  if (!warmUp?.warmingUp) return undefined;
  return `Warm-up: the night of ${warmUp.night} could send at most ${count.format(warmUp.limit)} emails; ${count.format(warmUp.backlog)} customer${warmUp.backlog === 1 ? '' : 's'} still wait${warmUp.backlog === 1 ? 's' : ''} for a later night (most at stake first; each night may send up to twice the last).`;
}

const css = `
:root{--ink:#1d2433;--muted:#5a6478;--line:#d5dae3;--good:#1b7f4c;--bad:#b42318;--warn:#9a5b00;--bar:#3b5bdb;--bar2:#94a3c4;--bg:#fff}
*{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
header,main{max-width:1100px;margin:0 auto;padding:0 20px}header{padding-top:24px}h1{font-size:1.5rem;margin:0 0 4px}h2{font-size:1.2rem;margin:32px 0 8px}h3{font-size:1.05rem;margin:20px 0 6px}
header p,.note{color:var(--muted);font-size:.9rem;margin:4px 0 12px}
table{border-collapse:collapse;width:100%;margin:8px 0 16px;font-variant-numeric:tabular-nums;font-size:.9rem}
th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}th:first-child,td:first-child{text-align:left}th{font-weight:600;background:#f4f6fa}
.table{overflow-x:auto}.alert{border:2px solid var(--bad);color:var(--bad);padding:8px 12px;border-radius:6px;background:#fff5f4}
.verdicts{padding-left:20px}.verdicts li{margin:4px 0}.positive strong{color:var(--good)}.negative strong{color:var(--bad)}.too_small strong,.inconclusive strong{color:var(--warn)}
.charts{display:flex;flex-wrap:wrap;gap:16px}.comments{padding-left:20px}.comments li{margin:6px 0}.comments q{white-space:pre-wrap}.legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}.legend .active{background:#1b7f4c}.legend .at_risk{background:#9a5b00}.legend .lost{background:#b42318}svg{max-width:100%;height:auto}svg text{font:12px system-ui,sans-serif;fill:var(--ink)}code{background:#f4f6fa;padding:1px 4px;border-radius:3px}
`;

/** Each campaign's (and variant's) lift as a point with its 95% interval, around a zero line. */
function forestPlot(report: Report): string {
  const rows = report.campaigns.flatMap((campaign) => [
    { label: campaign.id, lift: campaign.lift, kind: campaign.verdict.kind },
    ...campaign.byVariant
      .filter((variant) => variant.lift && campaign.byVariant.filter((row) => row.variant !== 'holdout').length > 1)
      .map((variant) => ({ label: `  ${campaign.id} / ${variant.variant}`, lift: variant.lift!, kind: variant.verdict?.kind ?? 'too_small' })),
  ]);
  const measured = rows.filter((row) => row.lift.ci95 !== null);
  if (measured.length === 0) return '<p class="note">No lift to chart yet: no campaign has both emailed and holdout customers.</p>';
  const low = Math.min(0, ...measured.map((row) => row.lift.ci95![0]));
  const high = Math.max(0, ...measured.map((row) => row.lift.ci95![1]));
  const pad = (high - low) * 0.05 || 0.01;
  const [min, max] = [low - pad, high + pad];
  const left = 230;
  const width = 820;
  const rowHeight = 28;
  const height = 40 + rows.length * rowHeight;
  const x = (value: number) => left + ((value - min) / (max - min)) * (width - left - 20);
  const colour = (kind: string) => (kind === 'positive' ? '#1b7f4c' : kind === 'negative' ? '#b42318' : '#9a5b00');
  const ticks = niceTicks(min, max, 6);
  return svg(width, height, 'Lift in percentage points with 95% intervals, per campaign', [
    ...ticks.map(
      (tick) =>
        `<line x1="${x(tick)}" x2="${x(tick)}" y1="20" y2="${height - 16}" stroke="#e6e9ef"/><text x="${x(tick)}" y="${height - 2}" text-anchor="middle">${(tick * 100).toFixed(1)}</text>`,
    ),
    `<line x1="${x(0)}" x2="${x(0)}" y1="16" y2="${height - 16}" stroke="#1d2433" stroke-width="1.5"/>`,
    `<text x="${x(0)}" y="12" text-anchor="middle">0 (no effect)</text>`,
    `<text x="4" y="${height - 2}" fill="#5a6478">lift, percentage points</text>`,
    ...rows.map((row, index) => {
      const y = 34 + index * rowHeight;
      const label = `<text x="4" y="${y + 4}">${esc(row.label)}</text>`;
      if (!row.lift.ci95 || row.lift.absolute === null) return `${label}<text x="${left}" y="${y + 4}" fill="#5a6478">no holdout yet</text>`;
      const [a, b] = row.lift.ci95;
      return `${label}<line x1="${x(a)}" x2="${x(b)}" y1="${y}" y2="${y}" stroke="${colour(row.kind)}" stroke-width="3"/><circle cx="${x(row.lift.absolute)}" cy="${y}" r="5" fill="${colour(row.kind)}"><title>${esc(`${row.label.trim()}: ${(row.lift.absolute * 100).toFixed(1)} points (95% interval ${(a * 100).toFixed(1)} to ${(b * 100).toFixed(1)})`)}</title></circle>`;
    }),
  ]);
}

/** Horizontal bars from the customers chosen down to the orders, each labelled with its count. */
function funnelChart(campaign: CampaignReport): string {
  const stages: [string, number, string][] = [
    ['eligible', campaign.eligible, '#94a3c4'],
    ['held out', campaign.heldOut, '#c9d1e3'],
    ['sent', campaign.sent, '#3b5bdb'],
    ['delivered', campaign.delivered, '#3b5bdb'],
    ['opened (inflated)', campaign.opened, '#c9d1e3'],
    ['clicked', campaign.clicked, '#3b5bdb'],
    ['conversions', campaign.conversions, '#1b7f4c'],
  ];
  const width = 520;
  const left = 130;
  const top = Math.max(1, ...stages.map(([, value]) => value));
  const height = 30 + stages.length * 24;
  return svg(width, height, `Funnel of ${campaign.id}`, [
    `<text x="4" y="14" font-weight="600">${esc(campaign.id)}</text>`,
    ...stages.map(([label, value, fill], index) => {
      const y = 24 + index * 24;
      const barWidth = Math.max(value > 0 ? 1 : 0, (value / top) * (width - left - 70));
      return `<text x="4" y="${y + 13}">${esc(label)}</text><rect x="${left}" y="${y}" width="${barWidth.toFixed(1)}" height="17" fill="${fill}"/><text x="${left + barWidth + 6}" y="${y + 13}">${value.toLocaleString('en-IE')}</text>`;
    }),
  ]);
}

/** Bounce and complaint rates against their pause thresholds, for the shop and each campaign. */
function deliverabilityChart(report: Report): string {
  const scopes: [string, DeliverabilityView][] = [
    ['shop (all sending)', report.shop.deliverability],
    ...report.campaigns.map((campaign): [string, DeliverabilityView] => [campaign.id, campaign.deliverability]),
  ];
  const panel = (title: string, rate: (view: DeliverabilityView) => number, threshold: number, offset: number) => {
    const width = 400;
    const left = 150;
    const scaleMax = Math.max(threshold * 1.5, ...scopes.map(([, view]) => rate(view)));
    const x = (value: number) => left + (value / scaleMax) * (width - left - 60);
    return [
      `<g transform="translate(${offset},0)"><text x="4" y="14" font-weight="600">${esc(title)}</text>`,
      ...scopes.map(([label, view], index) => {
        const y = 26 + index * 24;
        const value = rate(view);
        const fill = value >= threshold && view.sent >= view.thresholds.minVolume ? '#b42318' : '#3b5bdb';
        return `<text x="4" y="${y + 13}">${esc(label)}</text><rect x="${left}" y="${y}" width="${(x(value) - left).toFixed(1)}" height="17" fill="${fill}"/><text x="${x(value) + 6}" y="${y + 13}">${(value * 100).toFixed(threshold < 0.01 ? 3 : 2)}%</text>`;
      }),
      `<line x1="${x(threshold)}" x2="${x(threshold)}" y1="20" y2="${30 + scopes.length * 24}" stroke="#b42318" stroke-dasharray="4 3"/><text x="${x(threshold)}" y="${44 + scopes.length * 24}" text-anchor="middle" fill="#b42318">pause at ${(threshold * 100).toFixed(threshold < 0.01 ? 2 : 1)}%</text></g>`,
    ].join('');
  };
  const thresholds = report.shop.deliverability.thresholds;
  return svg(820, 60 + scopes.length * 24, 'Bounce and complaint rates against the pause thresholds', [
    panel('Bounce rate', (view) => view.bounceRate, thresholds.bounceRatePause, 0),
    panel('Complaint rate', (view) => view.complaintRate, thresholds.complaintRatePause, 420),
  ]);
}

/** Per night: emails sent (bars) and held out (light bars) side by side, with attributed orders marked. */
function nightChart(campaign: CampaignReport): string {
  const nights = campaign.byNight;
  if (nights.length === 0) return '';
  const width = 820;
  const height = 200;
  const bottom = height - 30;
  const top = Math.max(1, ...nights.map((night) => Math.max(night.sent, night.heldOut)));
  const step = (width - 50) / nights.length;
  const barWidth = Math.max(2, step / 2 - 2);
  const y = (value: number) => bottom - (value / top) * (bottom - 20);
  return svg(width, height, `Emails sent, held out and attributed orders per night for ${campaign.id}`, [
    `<text x="4" y="12">sent (dark), held out (light), attributed orders (green dots)</text>`,
    `<line x1="40" x2="${width}" y1="${bottom}" y2="${bottom}" stroke="#d5dae3"/>`,
    `<text x="36" y="${y(top) + 4}" text-anchor="end">${top.toLocaleString('en-IE')}</text>`,
    ...nights.map((night, index) => {
      const x = 44 + index * step;
      const label =
        index % Math.ceil(nights.length / 12) === 0
          ? `<text x="${x + step / 2}" y="${height - 14}" text-anchor="middle">${esc(night.night.slice(5))}</text>`
          : '';
      return `<rect x="${x}" y="${y(night.sent)}" width="${barWidth}" height="${bottom - y(night.sent)}" fill="#3b5bdb"><title>${esc(`${night.night}: ${night.sent} sent`)}</title></rect><rect x="${x + barWidth + 1}" y="${y(night.heldOut)}" width="${barWidth}" height="${bottom - y(night.heldOut)}" fill="#c9d1e3"><title>${esc(`${night.night}: ${night.heldOut} held out`)}</title></rect>${night.conversions > 0 ? `<circle cx="${x + barWidth}" cy="${y(night.conversions)}" r="3.5" fill="#1b7f4c"><title>${esc(`${night.night}: ${night.conversions} attributed orders`)}</title></circle>` : ''}${label}`;
    }),
  ]);
}

const statusColours = { active: '#1b7f4c', atRisk: '#9a5b00', lost: '#b42318' } as const;

function churnSection(report: Report): string {
  const { nights, reactivation, calibration } = report.churn;
  const tally = (row: { customers: number; reactivated: number; rate: number }) =>
    row.customers > 0 ? `${n(row.reactivated)} / ${n(row.customers)} (${(row.rate * 100).toFixed(1)}%)` : '–';
  const longest = calibration.nights[0];
  return `<section>
<h2>Churn over time</h2>
<p class="note">${esc(report.notes.churn)}</p>
${nights.length > 0 ? `${statusChart(report)}<p class="legend note"><span class="active"></span>active<span class="at_risk"></span>at risk<span class="lost"></span>lost</p>` : '<p class="note">No run records in range yet.</p>'}
${table(
  ['Night', 'customers with orders', 'active', 'at risk', 'lost', 'classified by'],
  nights.map((night) => [
    night.night,
    n(night.withOrders),
    share(night.active, night.shares.active),
    share(night.atRisk, night.shares.atRisk),
    share(night.lost, night.shares.lost),
    night.classifiedBy,
  ]),
)}
<h3>Reactivation within ${reactivation.windowDays} days</h3>
<p class="note">${esc(report.notes.reactivation)}</p>
<p>${esc(tally(reactivation))} of the customers recorded as at risk or lost ordered again; ${n(reactivation.wonBack)} of them with an order attributed to a win-back email.</p>
${table(
  ['Group', 'ordered again / lapsed'],
  [
    ['emailed', tally(reactivation.byContact.emailed)],
    ['held out', tally(reactivation.byContact.held_out)],
    ['not emailed', tally(reactivation.byContact.not_emailed)],
  ],
)}
${table(
  ['First recorded lapsed', 'customers', 'ordered again', 'window'],
  reactivation.byNight.map((night) => [night.night, n(night.customers), tally(night), night.complete ? 'closed' : 'still open']),
)}
<h3>Model calibration: predicted against actual repeat purchases</h3>
<p class="note">${esc(report.notes.calibration)}</p>
${
  longest
    ? `${calibrationChart(longest)}
${table(
  ['Night', 'model', 'horizon', 'customers', 'predicted purchase days', 'actual', 'error'],
  calibration.nights.map((night) => [
    night.night,
    night.model,
    `${night.horizonDays} days`,
    n(night.customers),
    night.predicted.toFixed(1),
    n(night.actual),
    night.error === null ? '–' : `${night.error >= 0 ? '+' : ''}${(night.error * 100).toFixed(1)}%`,
  ]),
)}`
    : '<p class="note">No night in range classified with a fitted model and has history after it yet.</p>'
}
</section>`;
}

/** Per night, one bar split into the shares active, at risk and lost. */
function statusChart(report: Report): string {
  const nights = report.churn.nights;
  const width = 820;
  const height = 200;
  const bottom = height - 30;
  const step = (width - 50) / nights.length;
  const barWidth = Math.min(40, Math.max(2, step - 3));
  const y = (share: number) => (bottom - 10) * share;
  return svg(width, height, 'Share of customers active, at risk and lost per night', [
    `<line x1="40" x2="${width}" y1="${bottom}" y2="${bottom}" stroke="#d5dae3"/><text x="36" y="14" text-anchor="end">100%</text><text x="36" y="${bottom}" text-anchor="end">0%</text>`,
    ...nights.map((night, index) => {
      const x = 44 + index * step;
      let top = bottom;
      const parts = (['lost', 'atRisk', 'active'] as const).map((status) => {
        const barHeight = y(night.shares[status]);
        top -= barHeight;
        return `<rect x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${barHeight.toFixed(1)}" fill="${statusColours[status]}"><title>${esc(`${night.night}: ${status === 'atRisk' ? 'at risk' : status} ${(night.shares[status] * 100).toFixed(1)}%`)}</title></rect>`;
      });
      const label =
        index % Math.ceil(nights.length / 12) === 0
          ? `<text x="${(x + step / 2).toFixed(1)}" y="${height - 14}" text-anchor="middle">${esc(night.night.slice(5))}</text>`
          : '';
      return parts.join('') + label;
    }),
  ]);
}

/** Predicted (light) and actual (dark) purchase days by prior repeat purchases, for one night. */
function calibrationChart(night: Report['churn']['calibration']['nights'][number]): string {
  const width = 820;
  const height = 220;
  const bottom = height - 40;
  const top = Math.max(1, ...night.bins.flatMap((bin) => [bin.predicted, bin.actual]));
  const step = (width - 60) / night.bins.length;
  const barWidth = step / 2 - 4;
  const y = (value: number) => bottom - (value / top) * (bottom - 24);
  return svg(width, height, `Predicted and actual purchase days by prior repeat purchases, night ${night.night}, next ${night.horizonDays} days`, [
    `<text x="4" y="12">${esc(`Night ${night.night}, ${night.model}, next ${night.horizonDays} days: predicted (light) and actual (dark) purchase days, by prior repeat purchases`)}</text>`,
    `<line x1="50" x2="${width}" y1="${bottom}" y2="${bottom}" stroke="#d5dae3"/><text x="46" y="${y(top) + 4}" text-anchor="end">${top.toFixed(0)}</text>`,
    ...night.bins.map((bin, index) => {
      const x = 54 + index * step;
      return `<rect x="${x.toFixed(1)}" y="${y(bin.predicted).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${(bottom - y(bin.predicted)).toFixed(1)}" fill="#94a3c4"><title>${esc(`${bin.bin} prior: predicted ${bin.predicted.toFixed(1)}`)}</title></rect><rect x="${(x + barWidth + 2).toFixed(1)}" y="${y(bin.actual).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${(bottom - y(bin.actual)).toFixed(1)}" fill="#3b5bdb"><title>${esc(`${bin.bin} prior: actual ${bin.actual}`)}</title></rect><text x="${(x + step / 2 - 2).toFixed(1)}" y="${bottom + 16}" text-anchor="middle">${esc(bin.bin)}</text><text x="${(x + step / 2 - 2).toFixed(1)}" y="${bottom + 30}" text-anchor="middle" fill="#5a6478">${n(bin.customers)}</text>`;
    }),
  ]);
}

function reasonsSection(report: Report): string {
  const { feedback, codes } = report.reasons;
  const campaignIds = Object.keys(feedback.byCampaign).sort();
  const groups = [
    { label: 'at risk now', tally: codes.now.byStatus.at_risk },
    { label: 'lost now', tally: codes.now.byStatus.lost },
    ...codes.byCampaign.map((row) => ({ label: `chosen by ${row.campaignId}`, tally: row })),
  ];
  const codeNames = [...new Set(groups.flatMap((group) => Object.keys(group.tally.codes)))].sort();
  const ofGroup = (value: number, customers: number) => (customers > 0 ? `${n(value)} (${((100 * value) / customers).toFixed(0)}%)` : n(value));
  return `<section>
<h2>Why customers leave</h2>
<p class="note">${esc(report.notes.reasons)}</p>
<h3>Feedback answers</h3>
${
  feedback.total > 0
    ? barChart(
        'Feedback answers',
        feedback.answers.map((answer) => [answer.label, answer.count]),
      )
    : '<p class="note">No feedback answers in range yet.</p>'
}
${table(
  ['Answer', 'answers', ...campaignIds],
  feedback.answers.map((answer) => [answer.label, n(answer.count), ...campaignIds.map((id) => n(feedback.byCampaign[id]?.[answer.answer] ?? 0))]),
)}
${table(
  ['Night of the email', 'answers', ...feedback.answers.map((answer) => answer.label)],
  feedback.byNight.map((night) => [night.night, n(night.total), ...feedback.answers.map((answer) => n(night.answers[answer.answer] ?? 0))]),
)}
<h3>Comments, newest first</h3>
${feedback.comments.length > 0 ? `<ul class="comments">${feedback.comments.map((comment) => `<li>${esc(comment.at.slice(0, 10))} · ${esc(comment.campaignId)} · ${esc(comment.answer)}: <q>${esc(comment.comment)}</q></li>`).join('')}</ul>` : '<p class="note">No comments yet.</p>'}
<h3>Reason codes, from the data</h3>
<p class="note">Now: as of ${esc(codes.now.asOf ?? 'no night yet')}. A customer can carry several codes.</p>
${table(
  ['Reason', ...groups.map((group) => group.label)],
  [
    ['customers', ...groups.map((group) => n(group.tally.customers))],
    ...codeNames.map((code) => [code, ...groups.map((group) => ofGroup(group.tally.codes[code] ?? 0, group.tally.customers))]),
    ['no reason code', ...groups.map((group) => ofGroup(group.tally.withoutReason, group.tally.customers))],
  ],
)}
${table(
  ['Night', 'customers chosen, still lapsed', 'ordered since', ...codeNames],
  codes.byNight.map((night) => [night.night, n(night.customers), n(night.orderedSince), ...codeNames.map((code) => n(night.codes[code] ?? 0))]),
)}
</section>`;
}

/** Horizontal bars, one per label. */
function barChart(label: string, rows: readonly (readonly [string, number])[]): string {
  const width = 520;
  const left = 190;
  const top = Math.max(1, ...rows.map(([, value]) => value));
  return svg(
    width,
    10 + rows.length * 24,
    label,
    rows.map(([name, value], index) => {
      const y = 4 + index * 24;
      const barWidth = Math.max(value > 0 ? 1 : 0, (value / top) * (width - left - 50));
      return `<text x="4" y="${y + 13}">${esc(name)}</text><rect x="${left}" y="${y}" width="${barWidth.toFixed(1)}" height="17" fill="#3b5bdb"/><text x="${(left + barWidth + 6).toFixed(1)}" y="${y + 13}">${n(value)}</text>`;
    }),
  );
}

function share(count: number, rate: number): string {
  return `${n(count)} (${(rate * 100).toFixed(1)}%)`;
}

function liftTable(report: Report, money: (minor: number) => string): string {
  const rows = report.campaigns.map((campaign) => {
    const lift = campaign.lift;
    const cells =
      lift.ci95 && lift.absolute !== null
        ? [
            pts(lift.absolute),
            `${pts(lift.ci95[0])} to ${pts(lift.ci95[1])}`,
            lift.relative === null ? '–' : `${(lift.relative * 100).toFixed(0)}%`,
            lift.incrementalOrders?.toFixed(1) ?? '–',
            lift.incrementalRevenue ? money(lift.incrementalRevenue.netMinor) : '–',
          ]
        : ['–', '–', '–', '–', '–'];
    return [campaign.id, group(campaign.treated), group(campaign.holdout), ...cells];
  });
  return table(['Campaign', 'emailed: ordered', 'holdout: ordered', 'lift', '95% interval', 'relative', 'extra orders', 'extra revenue, net'], rows);
}

function funnelTable(campaigns: readonly CampaignReport[], money: (minor: number) => string): string {
  return table(
    ['Campaign', ...funnelHeadings],
    campaigns.map((campaign) => [campaign.id, ...funnelCells(campaign, money)]),
  );
}

function deliverabilityTable(report: Report): string {
  const row = (label: string, view: DeliverabilityView) => [
    label,
    n(view.sent),
    n(view.bounced),
    `${(view.bounceRate * 100).toFixed(2)}%`,
    n(view.complained),
    `${(view.complaintRate * 100).toFixed(3)}%`,
    { ok: 'ok', below_min_volume: 'too few sends to judge', over_threshold: 'over threshold: pauses at the next night', paused: 'PAUSED' }[view.state] +
      (view.resumed ? ` (resumed ${view.resumed.at} by ${view.resumed.by})` : ''),
  ];
  return table(
    [
      `Nights ${report.shop.deliverability.firstNight} to ${report.shop.deliverability.lastNight}`,
      'sent',
      'bounced',
      'bounce rate',
      'complained',
      'complaint rate',
      'state',
    ],
    [row('shop (all sending)', report.shop.deliverability), ...report.campaigns.map((campaign) => row(campaign.id, campaign.deliverability))],
  );
}

function campaignSection(campaign: CampaignReport, money: (minor: number) => string): string {
  const heads = ['sent', 'held out', 'delivered', 'clicked', 'conversions', 'revenue', 'discount cost'];
  const cells = (row: MetricsView) => [
    n(row.sent),
    n(row.heldOut),
    n(row.delivered),
    n(row.clicked),
    n(row.conversions),
    money(row.revenueMinor),
    money(row.discountCostMinor),
  ];
  return `<section>
<h2>${esc(campaign.id)}${campaign.name ? ` · ${esc(campaign.name)}` : ''}${campaign.paused ? ' · <span class="alert">paused</span>' : ''}</h2>
${nightChart(campaign)}
<h3>By variant</h3>
${table(
  ['Variant', ...heads],
  campaign.byVariant.map((row) => [row.variant, ...cells(row)]),
)}
<h3>By step</h3>
${table(
  ['Step', ...heads],
  campaign.byStep.map((row) => [`${row.step + 1}${row.delayDays !== undefined ? ` (day ${row.delayDays})` : ''}`, ...cells(row)]),
)}
<h3>By night</h3>
${table(
  ['Night', 'eligible', ...heads],
  campaign.byNight.map((row) => [row.night, n(row.eligible), ...cells(row)]),
)}
${upliftSection(campaign, money)}
</section>`;
}

/** Uplift targeting and offer sizing (docs/uplift.md): whom the email moves, who was not emailed and why, what it saved. */
function upliftSection(campaign: CampaignReport, money: (minor: number) => string): string {
  const uplift = campaign.uplift;
  if (!uplift) return '';
  const latest = uplift.latest;
  const used = latest
    ? ` Latest night ${latest.night}: ${latest.used}${latest.reason ? ` (${latest.reason})` : latest.cvQini !== undefined ? ` (model Qini ${latest.cvQini.toFixed(3)} on held-out folds)` : ''}.`
    : '';
  const skipped = uplift.notEmailed;
  const whole = (minor: number) => money(Math.round(minor));
  return `<h3>Uplift: whom the email moves</h3>
<p>Targeting: ${esc(uplift.targeting)}; offers: ${esc(uplift.allocation)}.${esc(used)}</p>
<p>Not emailed by uplift targeting: ${n(skipped.sure_thing)} sure things (would order anyway), ${n(skipped.lost_cause)} lost causes, ${n(skipped.do_not_disturb)} do-not-disturb customers; ${n(uplift.nights.explored)} chosen anyway to keep learning. Expected margin saved ${esc(whole(uplift.nights.marginSavedMinor))}; discount not given away ${esc(whole(uplift.nights.discountSavedMinor))}.</p>
${table(
  ['Segment', 'emailed: ordered', 'holdout: ordered', 'uplift', '95% interval'],
  uplift.bySegment.map((row) => [
    row.segment,
    `${n(row.treated.converted)} / ${n(row.treated.customers)}`,
    `${n(row.holdout.converted)} / ${n(row.holdout.customers)}`,
    row.uplift === null ? '–' : pts(row.uplift),
    row.ci95 ? `${pts(row.ci95[0])} to ${pts(row.ci95[1])}` : '–',
  ]),
)}
${
  uplift.offers.some((segment) => segment.variants.length > 1)
    ? `<h3>Which offer wins where</h3>
${table(
  ['Segment', 'variant', 'customers', 'margin per customer', 'vs holdout', '95% interval', 'P(best)', 'discount given'],
  uplift.offers.flatMap((segment) =>
    segment.variants.map((row) => [
      segment.segment,
      `${row.variant}${row.variant === segment.leader ? ' (leads)' : ''}`,
      n(row.customers),
      whole(row.marginPerCustomerMinor),
      row.incrementalMinor === null ? '–' : whole(row.incrementalMinor),
      row.ci95Minor ? `${whole(row.ci95Minor[0])} to ${whole(row.ci95Minor[1])}` : '–',
      `${Math.round(row.winProbability * 100)}%`,
      money(row.discountGivenMinor),
    ]),
  ),
)}`
    : ''
}`;
}

function group(outcome: CampaignReport['treated']): string {
  return outcome.customers > 0 ? `${n(outcome.converted)} / ${n(outcome.customers)} (${(outcome.rate * 100).toFixed(1)}%)` : '–';
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  return `<div class="table"><table><thead><tr>${head.map((cell) => `<th scope="col">${esc(cell)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((row) => `<tr>${row.map((cell, index) => (index === 0 ? `<th scope="row">${esc(cell)}</th>` : `<td>${esc(cell)}</td>`)).join('')}</tr>`)
    .join('')}</tbody></table></div>`;
}

function svg(width: number, height: number, label: string, parts: readonly string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(label)}"><title>${esc(label)}</title>${parts.join('')}</svg>`;
}

function niceTicks(min: number, max: number, count: number): number[] {
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((factor) => factor * magnitude).find((candidate) => candidate >= raw) ?? raw;
  const ticks: number[] = [];
  for (let tick = Math.ceil(min / step) * step; tick <= max + 1e-12; tick += step) ticks.push(Math.round(tick / step) * step);
  return ticks;
}

function pts(value: number): string {
  return `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)} pts`;
}

function n(value: number): string {
  return value.toLocaleString('en-IE');
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
