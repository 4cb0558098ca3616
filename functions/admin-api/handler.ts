import { z } from 'zod';
import { adminToken } from '../../lib/adapters/secrets.js';
import { readEnvironment } from '../../lib/config/environment.js';
import { InvalidCampaignConfigError, parseCampaignConfig } from '../../lib/config/campaign-config.js';
import { parseJsonText } from '../../lib/domain/webhooks/raw-json.js';
import { badRequest, HttpError, methodNotAllowed, notFound, reportTooSlow } from '../../lib/http/errors.js';
import { requireBearer } from '../../lib/http/bearer.js';
import { httpHandler } from '../../lib/http/middleware.js';
import { json, rawBody, type HttpEvent } from '../../lib/http/responses.js';
import { method } from '../../lib/http/route.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { reportWithin, ReportTooSlowError } from '../../lib/usecases/report-snapshot.js';
import { configHistory, currentConfig, diffAgainstLive, rollbackConfig } from '../../lib/usecases/campaign-versions.js';
import { viewCustomer } from '../../lib/usecases/customer-view.js';
import { previewNight } from '../../lib/usecases/run-night.js';
import { nightDependencies, perContainer, reportAdapters } from '../../lib/wiring.js';

const dependencies = perContainer(async () => {
  const environment = readEnvironment();
  // The token is read on every request through Powertools' cache (five minutes), so a replaced one takes effect.
  return { ...(await nightDependencies(environment)), ...reportAdapters(environment), adminToken: () => adminToken(environment) };
});

const customerQuery = z.strictObject({ email: z.email('expected an email address') });
const reportQuery = z.strictObject({
  from: z.iso.date('expected a date as YYYY-MM-DD').optional(),
  to: z.iso.date('expected a date as YYYY-MM-DD').optional(),
  campaign: z.string().regex(/^[a-z0-9-]{1,48}$/, 'expected a campaign id').optional(),
});
const previewBody = z.strictObject({ asOf: z.iso.date('expected a date as YYYY-MM-DD') });
const rollbackBody = z.strictObject({ version: z.number('expected a version number').int('expected a whole version number').min(1, 'versions start at 1') });
const configBodyLimitBytes = 512 * 1024;
/** What a preview or a report keeps of the function's time to finish what it started and answer. */
const answerMarginMs = 10_000;

/**
 * The admin API (bearer token): `GET /api/customers?email=`, the campaigns (`GET /api/campaigns`,
 * `GET|PUT /api/campaigns/{id}`, `GET /api/campaigns/history`, `POST /api/campaigns/{id}/preview`, the diff of a
 * proposal against the live version `POST /api/campaigns/diff` (a whole config) and `POST /api/campaigns/{id}/diff`
 * (one campaign, as PUT takes it), and `POST /api/campaigns/rollback` `{"version": N}`), the report
 * (`GET /api/report?from=&to=&campaign=`, the JSON of `winback report --json`, or for a shop too large to build it in
 * time the snapshot stored after the night) and `GET /health`.
 * Config changes answer with the same messages as the CLI: every problem by path.
 */
export const handler = httpHandler(async (event, context) => {
  const path = event.rawPath ?? '';
  if (path === '/health') return json(200, { ok: true });
  const deps = await dependencies();
  requireBearer(event, await deps.adminToken());
  const verb = method(event);

  if (path === '/api/customers' && verb === 'GET') {
    const query = customerQuery.safeParse(event.queryStringParameters ?? {});
    if (!query.success) {
      const issue = query.error.issues[0]!;
      throw badRequest(issue.code === 'unrecognized_keys' ? issue.keys.join(',') : issue.path.join('.') || 'email', issue.message);
    }
    const view = await viewCustomer(query.data.email, deps);
    if (!view) throw notFound('no customer with that email');
    return json(200, view);
  }

  if (path === '/api/report' && verb === 'GET') {
    const query = reportQuery.safeParse(event.queryStringParameters ?? {});
    if (!query.success) {
      const issue = query.error.issues[0]!;
      throw badRequest(issue.code === 'unrecognized_keys' ? issue.keys.join(',') : issue.path.join('.'), issue.message);
    }
    const { from, to, campaign } = query.data;
    try {
      const report = await reportWithin(
        context.getRemainingTimeInMillis() - answerMarginMs,
        { source: deps.reports, snapshots: deps.snapshots, configs: deps.configs, clock: deps.clock, log: deps.log },
        { ...(from ? { from } : {}), ...(to ? { to } : {}), ...(campaign ? { campaignId: campaign } : {}) },
      );
      return json(200, report);
    } catch (error) {
      if (error instanceof ReportTooSlowError) throw reportTooSlow(error);
      throw error;
    }
  }

  if (path === '/api/campaigns' && verb === 'GET') {
    const current = await currentConfig(deps.configs);
    if (!current) throw notFound('no campaign config is stored yet');
    return json(200, { configVersion: current.version, config: current.config });
  }
  if (path === '/api/campaigns/history' && verb === 'GET') return json(200, { versions: await configHistory(deps.configs) });
  if (path === '/api/campaigns/diff' && verb === 'POST') {
    const proposed = parseJsonText(rawBody(event, configBodyLimitBytes).toString('utf8'));
    return json(200, await asConfigProblem(() => diffAgainstLive(proposed, deps.configs)));
  }
  if (path === '/api/campaigns/rollback' && verb === 'POST') {
    const body = rollbackBody.safeParse(parseJsonText(rawBody(event, configBodyLimitBytes).toString('utf8') || '{}'));
    if (!body.success) {
      const issue = body.error.issues[0]!;
      throw badRequest(issue.code === 'unrecognized_keys' ? issue.keys.join(',') : issue.path.join('.') || 'version', issue.message);
    }
    const { version } = body.data;
    if (!(await deps.configs.version(version))) throw notFound(`there is no campaign config version ${version}`);
    // An old version is validated again against today's schema, like any apply: it may no longer be valid.
    const applied = await asConfigProblem(() => rollbackConfig(version, 'admin-api', deps));
    return json(200, { version: applied.version, unchanged: applied.unchanged, restored: version });
  }

  const campaignRoute = /^\/api\/campaigns\/([a-z0-9-]{1,48})(\/preview|\/diff)?$/.exec(path);
  if (!campaignRoute) throw notFound();
  const [, campaignId, action] = campaignRoute as unknown as [string, string, string | undefined];
  const current = await currentConfig(deps.configs);
  if (!current) throw notFound('no campaign config is stored yet');
  const index = current.config.campaigns.findIndex((campaign) => campaign.id === campaignId);

  if (action === '/diff') {
    if (verb !== 'POST') throw methodNotAllowed();
    const proposed = withCampaign(event, campaignId, current.config, index);
    return json(200, await asConfigProblem(() => diffAgainstLive(proposed, deps.configs)));
  }
  const preview = action === '/preview';
  if (preview) {
    if (verb !== 'POST') throw methodNotAllowed();
    if (index < 0) throw notFound(`no campaign "${campaignId}"`);
    const body = previewBody.safeParse(parseJsonText(rawBody(event, configBodyLimitBytes).toString('utf8') || '{}'));
    if (!body.success) throw badRequest(body.error.issues[0]!.path.join('.') || 'asOf', body.error.issues[0]!.message);
    // API Gateway gives up at 30 s: past a few hundred thousand customers the preview answers from a sample.
    const result = await previewNight(deps, { asOf: body.data.asOf, shouldStop: () => context.getRemainingTimeInMillis() < answerMarginMs });
    return json(200, {
      asOf: body.data.asOf,
      coverage: result.coverage,
      campaign: result.summary.campaigns[campaignId] ?? { sent: 0, scheduled: 0, heldOut: 0, byVariant: {} },
      skipped: result.summary.skipped,
      samples: Object.fromEntries(Object.entries(result.samples).filter(([key]) => key.startsWith(`${campaignId}/`))),
    });
  }
  if (verb === 'GET') {
    if (index < 0) throw notFound(`no campaign "${campaignId}"`);
    return json(200, { configVersion: current.version, campaign: current.config.campaigns[index] });
  }
  if (verb === 'PUT') return json(200, await putCampaign(event, campaignId, current.config, index, deps));
  throw methodNotAllowed();
});

async function putCampaign(event: HttpEvent, campaignId: string, config: ReturnType<typeof parseCampaignConfig>, index: number, deps: Awaited<ReturnType<typeof dependencies>>) {
  const proposed = withCampaign(event, campaignId, config, index);
  const applied = await asConfigProblem(() => applyCampaignConfig(proposed, 'admin-api', deps, `PUT /api/campaigns/${campaignId}`));
  return { version: applied.version, unchanged: applied.unchanged };
}

/** The live config with the body's campaign in place of the one with that id (or added): what PUT would store. */
function withCampaign(event: HttpEvent, campaignId: string, config: ReturnType<typeof parseCampaignConfig>, index: number): unknown {
  const campaign = parseJsonText(rawBody(event, configBodyLimitBytes).toString('utf8'));
  if (typeof campaign !== 'object' || campaign === null || (campaign as { id?: unknown }).id !== campaignId) {
    throw badRequest('id', `the body must be one campaign whose id is "${campaignId}"`);
  }
  const campaigns = [...config.campaigns] as unknown[];
  if (index >= 0) campaigns[index] = campaign;
  else campaigns.push(campaign);
  return { ...config, campaigns };
}

/** Every route that validates a config answers its problems alike: the first path as `field`, all of them in `problem`. */
async function asConfigProblem<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof InvalidCampaignConfigError) {
      throw new HttpError(400, 'invalid_config', error.message, { field: error.problems[0]?.path ?? '', problem: error.problems.map((problem) => `${problem.path}: ${problem.problem}`).join('; ') });
    }
    throw error;
  }
}
