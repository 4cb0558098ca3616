import { z } from 'zod';
import { adminToken } from '../../lib/adapters/secrets.js';
import { type CampaignConfig, InvalidCampaignConfigError, parseCampaignConfig } from '../../lib/config/campaign-config.js';
import { readEnvironment } from '../../lib/config/environment.js';
import { lifecycleStatuses } from '../../lib/domain/classification.js';
import { reasonCodes } from '../../lib/domain/reasons.js';
import { valueTiers } from '../../lib/domain/segments.js';
import { parseJsonText } from '../../lib/domain/webhooks/raw-json.js';
import { requireBearer } from '../../lib/http/bearer.js';
import { badRequest, HttpError, notFound, reportTooSlow } from '../../lib/http/errors.js';
import { httpHandler } from '../../lib/http/middleware.js';
import { type HttpEvent, type HttpResult, json, rawBody } from '../../lib/http/responses.js';
import { parseOr400, type Route, type RouteRequest, router } from '../../lib/http/router.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { configHistory, currentConfig, diffAgainstLive, rollbackConfig } from '../../lib/usecases/campaign-versions.js';
import { viewCustomer } from '../../lib/usecases/customer-view.js';
import { ReportTooSlowError, reportWithin } from '../../lib/usecases/report-snapshot.js';
import { previewNight } from '../../lib/usecases/run-night.js';
import { sampleEmails, sendTestEmail } from '../../lib/usecases/sample-emails.js';
import { exportSegment, viewSegment } from '../../lib/usecases/segments.js';
import { nightDependencies, perContainer, reportAdapters } from '../../lib/wiring.js';

const dependencies = perContainer(async () => {
  const environment = readEnvironment();
  // The token is read on every request through Powertools' cache (five minutes), so a replaced one takes effect.
  return { ...(await nightDependencies(environment)), ...reportAdapters(environment), adminToken: () => adminToken(environment) };
});
type Dependencies = Awaited<ReturnType<typeof dependencies>>;

const campaignId = z.string().regex(/^[a-z0-9-]{1,48}$/, 'expected a campaign id');
const customerQuery = z.strictObject({ email: z.email('expected an email address') });
const reportQuery = z.strictObject({
  from: z.iso.date('expected a date as YYYY-MM-DD').optional(),
  to: z.iso.date('expected a date as YYYY-MM-DD').optional(),
  campaign: campaignId.optional(),
});
const segmentQuery = z.strictObject({
  status: z.enum([...lifecycleStatuses, 'won_back', 'unreadable'], 'expected a status such as "lost"').optional(),
  tier: z.enum(valueTiers, 'expected a value tier: high, medium, low or none').optional(),
  reason: z.enum(reasonCodes, 'expected a reason code such as "overdue_own_cadence"').optional(),
  campaign: campaignId.optional(),
  page: z.coerce.number('expected a page number').int('expected a whole page number').min(1, 'pages start at 1').default(1),
  pageSize: z.coerce.number('expected a page size').int('expected a whole page size').min(1).max(200, 'at most 200 customers a page').default(25),
  format: z.enum(['json', 'csv'], 'expected json or csv').default('json'),
});
/** A campaign in a body is checked with the whole config it would join (see withCampaign): here only its shape. */
const draftCampaign = z.record(z.string(), z.unknown(), 'expected the draft campaign as an object');
const previewBody = z.strictObject({ asOf: z.iso.date('expected a date as YYYY-MM-DD'), campaign: draftCampaign.optional() });
const testSendBody = z.strictObject({
  to: z.email('expected the email address to send the test to'),
  step: z.number('expected a step index').int().min(0, 'steps are counted from 0 in the API').default(0),
  variant: z.string().min(1).optional(),
  campaign: draftCampaign.optional(),
});
const rollbackBody = z.strictObject({ version: z.number('expected a version number').int('expected a whole version number').min(1, 'versions start at 1') });
const configBodyLimitBytes = 512 * 1024;
/** What a preview or a report keeps of the function's time to finish what it started and answer. */
const answerMarginMs = 10_000;

const bodyOf = (event: HttpEvent, empty = ''): unknown => parseJsonText(rawBody(event, configBodyLimitBytes).toString('utf8') || empty);
const timeLeft =
  ({ context }: RouteRequest) =>
  () =>
    context.getRemainingTimeInMillis() < answerMarginMs;

async function liveConfig(deps: Dependencies) {
  const current = await currentConfig(deps.configs);
  if (!current) throw notFound('no campaign config is stored yet');
  return current;
}

/**
 * The admin API, one route a line. Config changes answer with the same messages as the CLI: every problem by path.
 * `GET /health` answers before the bearer token is checked.
 */
const routes: readonly Route<Dependencies>[] = [
  {
    method: 'GET',
    path: '/api/customers',
    handle: async ({ event }, deps) => {
      const { email } = parseOr400(customerQuery, event.queryStringParameters ?? {}, 'email');
      const view = await viewCustomer(email, deps);
      if (!view) throw notFound('no customer with that email');
      return json(200, view);
    },
  },
  {
    method: 'GET',
    path: '/api/report',
    handle: async (request, deps) => {
      const { from, to, campaign } = parseOr400(reportQuery, request.event.queryStringParameters ?? {}, 'query');
      try {
        const report = await reportWithin(
          request.context.getRemainingTimeInMillis() - answerMarginMs,
          { source: deps.reports, snapshots: deps.snapshots, configs: deps.configs, clock: deps.clock, log: deps.log },
          { ...(from ? { from } : {}), ...(to ? { to } : {}), ...(campaign ? { campaignId: campaign } : {}) },
        );
        return json(200, report);
      } catch (error) {
        if (error instanceof ReportTooSlowError) throw reportTooSlow(error);
        throw error;
      }
    },
  },
  {
    method: 'GET',
    path: '/api/segments',
    handle: async (request, deps) => {
      const { format, page, pageSize, ...filter } = parseOr400(segmentQuery, request.event.queryStringParameters ?? {}, 'query');
      if (format === 'json') return json(200, await viewSegment(filter, { page, pageSize }, deps, timeLeft(request)));
      const exported = await exportSegment(filter, deps, timeLeft(request));
      return csv(exported.csv, `winback-segment-${deps.clock.now().toISOString().slice(0, 10)}.csv`, exported.complete);
    },
  },
  {
    method: 'GET',
    path: '/api/campaigns',
    handle: async (_request, deps) => {
      const current = await liveConfig(deps);
      return json(200, { configVersion: current.version, config: current.config });
    },
  },
  { method: 'GET', path: '/api/campaigns/history', handle: async (_request, deps) => json(200, { versions: await configHistory(deps.configs) }) },
  {
    method: 'POST',
    path: '/api/campaigns/diff',
    handle: async ({ event }, deps) => json(200, await asConfigProblem(() => diffAgainstLive(bodyOf(event), deps.configs))),
  },
  {
    method: 'POST',
    path: '/api/campaigns/rollback',
    handle: async ({ event }, deps) => {
      const { version } = parseOr400(rollbackBody, bodyOf(event, '{}'), 'version');
      if (!(await deps.configs.version(version))) throw notFound(`there is no campaign config version ${version}`);
      // An old version is validated again against today's schema, like any apply: it may no longer be valid.
      const applied = await asConfigProblem(() => rollbackConfig(version, 'admin-api', deps));
      return json(200, { version: applied.version, unchanged: applied.unchanged, restored: version });
    },
  },
  {
    method: 'POST',
    path: '/api/campaigns/{id}/diff',
    handle: async ({ event, params }, deps) => {
      const current = await liveConfig(deps);
      const proposed = withCampaign(bodyOf(event), params.id!, current.config);
      return json(200, await asConfigProblem(() => diffAgainstLive(proposed, deps.configs)));
    },
  },
  {
    method: 'POST',
    path: '/api/campaigns/{id}/preview',
    handle: async (request, deps) => {
      const id = request.params.id!;
      const current = await liveConfig(deps);
      const body = parseOr400(previewBody, bodyOf(request.event, '{}'), 'asOf');
      // With a draft in the body, the night is previewed as if the draft were applied; nothing is stored.
      const config = body.campaign ? await asConfigProblem(async () => parseCampaignConfig(withCampaign(body.campaign, id, current.config))) : current.config;
      const campaign = config.campaigns.find((candidate) => candidate.id === id);
      if (!campaign) throw notFound(`no campaign "${id}"`);
      // API Gateway gives up at 30 s: past a few hundred thousand customers the preview answers from a sample.
      const result = await previewNight(deps, { asOf: body.asOf, ...(body.campaign ? { config } : {}), shouldStop: timeLeft(request) });
      return json(200, {
        asOf: body.asOf,
        draft: body.campaign !== undefined,
        coverage: result.coverage,
        campaign: result.summary.campaigns[id] ?? { sent: 0, scheduled: 0, heldOut: 0, byVariant: {} },
        skipped: result.summary.skipped,
        samples: Object.fromEntries(Object.entries(result.samples).filter(([key]) => key.startsWith(`${id}/`))),
        emails: sampleEmails(config, campaign, deps.clock),
      });
    },
  },
  {
    method: 'POST',
    path: '/api/campaigns/{id}/test-send',
    handle: async ({ event, params }, deps) => {
      const id = params.id!;
      const current = await liveConfig(deps);
      const body = parseOr400(testSendBody, bodyOf(event, '{}'), 'to');
      const config = body.campaign ? await asConfigProblem(async () => parseCampaignConfig(withCampaign(body.campaign, id, current.config))) : current.config;
      const campaign = config.campaigns.find((candidate) => candidate.id === id);
      if (!campaign) throw notFound(`no campaign "${id}"`);
      const variant = body.variant ?? campaign.experiment.variants[0]!.id;
      const sent = await sendTestEmail({ config, campaign, step: body.step, variant, to: body.to }, deps);
      if (!sent)
        throw badRequest(
          campaign.steps[body.step] ? 'variant' : 'step',
          `campaign "${id}" has no ${campaign.steps[body.step] ? `variant "${variant}"` : `step ${body.step + 1}`}`,
        );
      return json(200, { to: body.to, subject: sent.subject, messageId: sent.messageId });
    },
  },
  {
    method: 'GET',
    path: '/api/campaigns/{id}',
    handle: async ({ params }, deps) => {
      const current = await liveConfig(deps);
      const campaign = current.config.campaigns.find((candidate) => candidate.id === params.id);
      if (!campaign) throw notFound(`no campaign "${params.id}"`);
      return json(200, { configVersion: current.version, campaign });
    },
  },
  {
    method: 'PUT',
    path: '/api/campaigns/{id}',
    handle: async ({ event, params }, deps) => {
      const current = await liveConfig(deps);
      const proposed = withCampaign(bodyOf(event), params.id!, current.config);
      const applied = await asConfigProblem(() => applyCampaignConfig(proposed, 'admin-api', deps, `PUT /api/campaigns/${params.id}`));
      return json(200, { version: applied.version, unchanged: applied.unchanged });
    },
  },
];

const route = router(routes);

export const handler = httpHandler(async (event, context) => {
  if ((event.rawPath ?? '') === '/health') return json(200, { ok: true });
  const deps = await dependencies();
  requireBearer(event, await deps.adminToken());
  return route(event, context, deps);
});

/** A CSV download; a scan cut short by the API's time says so in a header, since the file itself cannot. */
function csv(body: string, filename: string, complete: boolean): HttpResult {
  return {
    statusCode: 200,
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${filename}"`,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
      'x-winback-complete': String(complete),
    },
    body,
  };
}

/** The live config with the body's campaign in place of the one with that id (or added): what PUT would store. */
function withCampaign(campaign: unknown, id: string, config: CampaignConfig): unknown {
  if (typeof campaign !== 'object' || campaign === null || (campaign as { id?: unknown }).id !== id) {
    throw badRequest('id', `the body must be one campaign whose id is "${id}"`);
  }
  const campaigns = [...config.campaigns] as unknown[];
  const index = config.campaigns.findIndex((candidate) => candidate.id === id);
  if (index >= 0) campaigns[index] = campaign;
  else campaigns.push(campaign);
  return { ...config, campaigns };
}

/**
 * Every route that validates a config answers its problems alike: the first path as `field`, all of them in
 * `problem`, and each by path in `problems`, so a form can show every problem beside its field.
 */
async function asConfigProblem<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof InvalidCampaignConfigError) {
      throw new HttpError(400, 'invalid_config', error.message, {
        field: error.problems[0]?.path ?? '',
        problem: error.problems.map((problem) => `${problem.path}: ${problem.problem}`).join('; '),
        problems: error.problems,
      });
    }
    throw error;
  }
}
