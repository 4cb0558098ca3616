// @ts-check
// The campaign editor: a form generated from the config's JSON Schema, the same draft as JSON (advanced), drafts
// kept in this browser across tabs and reloads, the changes against the live version, apply, history and rollback,
// and the draft's preview: who would be emailed, held out or removed, and each email as HTML at two widths.

import { ApiError, api, shown } from './api.js';
import { byId as $, clear, el, inputById, selectById, textareaById } from './dom.js';
import { count, day, show, skipLabel, stepLabel, today, useShop, when } from './format.js';
import { SchemaForm, showProblems } from './schema-form.js';

/** @typedef {import('../config/campaign-config.js').CampaignConfig} CampaignConfig */
/** @typedef {import('../config/campaign-config.js').Campaign} Campaign */
/** @typedef {import('./schema-form.js').JsonSchema} JsonSchema */
/** @typedef {{ campaign: Record<string, unknown>, baseVersion: number, savedAt: string, isNew?: boolean }} Draft */
/** @typedef {{ path: string, change: string, before?: unknown, after?: unknown }} Change */
/** @typedef {{ step: number, variant: string, delayDays: number, subject: string, html: string, text: string }} SampleEmail */

const draftPrefix = 'winback.draft.';
/** Drafts hold campaign settings only, never customer data or the token: localStorage keeps them across tabs. */
const drafts = {
  /** @param {string} id @returns {Draft | undefined} */
  get: (id) => {
    try {
      return JSON.parse(localStorage.getItem(draftPrefix + id) ?? 'null') ?? undefined;
    } catch {
      return undefined;
    }
  },
  /** @param {string} id @param {Draft} draft */
  put: (id, draft) => localStorage.setItem(draftPrefix + id, JSON.stringify(draft)),
  /** @param {string} id */
  drop: (id) => localStorage.removeItem(draftPrefix + id),
  /** Ids of drafts of campaigns that are not live yet. */
  newIds: () =>
    Object.keys(localStorage)
      .filter((key) => key.startsWith(draftPrefix))
      .map((key) => key.slice(draftPrefix.length)),
};

/** @type {{ version: number, config: CampaignConfig } | undefined} */
let live;
/** @type {JsonSchema | undefined} */
let schema;
/** @type {SchemaForm | undefined} */
let form;
/** The campaign in the editor, as edited (the draft), and its id. */
let current = /** @type {{ id: string, campaign: Record<string, unknown>, isNew: boolean } | undefined} */ (undefined);
/** @type {SampleEmail[]} */
let samples = [];
let campaignLoads = 0;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let checkTimer;

/** @type {(version: number, shopName: string, config: CampaignConfig) => void} */
let onLive = () => {};
/** @param {(version: number, shopName: string, config: CampaignConfig) => void} handler */
export const whenLiveChanges = (handler) => (onLive = handler);

/** The live config: the header's version, the shop's formats, and the campaigns to choose from. */
export async function loadLive() {
  const answer = await api('GET', '/api/campaigns');
  live = { version: answer.configVersion, config: answer.config };
  useShop(answer.config.shop);
  onLive(answer.configVersion, answer.config.shop.name, answer.config);
  const select = selectById('campaign-select');
  const chosen = select.value;
  clear(select);
  const liveIds = new Set(answer.config.campaigns.map((/** @type {Campaign} */ campaign) => campaign.id));
  for (const campaign of /** @type {Campaign[]} */ (answer.config.campaigns)) {
    select.append(el('option', { value: campaign.id }, `${campaign.name} (${campaign.id})${drafts.get(campaign.id) ? ' · draft' : ''}`));
  }
  for (const id of drafts.newIds().filter((id) => !liveIds.has(id))) {
    const draft = drafts.get(id);
    select.append(el('option', { value: id }, `${String(draft?.campaign.name ?? id)} (${id}) · new, not live`));
  }
  if ([...select.options].some((option) => option.value === chosen)) select.value = chosen;
  return live;
}

export async function loadCampaigns() {
  const [, loaded] = await Promise.all([
    loadLive(),
    schema ? Promise.resolve(schema) : fetch('/console/campaign-config.schema.json').then((response) => response.json()),
  ]);
  schema = loaded;
  $('campaigns-status').textContent =
    `Live config: version ${live?.version}. Edit a campaign; your draft is kept in this browser until you apply or discard it.`;
  if (!inputById('preview-date').value) inputById('preview-date').value = today();
  await Promise.all([loadCampaign(), loadHistory()]);
}

/** The selected campaign into the editor: its draft when there is one, else the live settings. */
export async function loadCampaign() {
  const id = selectById('campaign-select').value;
  if (!id || !schema) return;
  const load = ++campaignLoads;
  const draft = drafts.get(id);
  /** @type {Record<string, unknown> | undefined} */
  let campaign = draft?.campaign;
  if (!campaign) {
    const answer = await api('GET', `/api/campaigns/${encodeURIComponent(id)}`);
    campaign = answer.campaign;
  }
  // An answer that arrives after a later choice's must not put another campaign in the editor than the one
  // selected: applying it would overwrite the selected campaign.
  if (load !== campaignLoads || !campaign) return;
  current = { id, campaign: JSON.parse(JSON.stringify(campaign)), isNew: draft?.isNew === true };
  showEditor(draft);
}

/** @param {Draft | undefined} draft */
function showEditor(draft) {
  if (!current || !schema) return;
  const itemSchema = /** @type {JsonSchema} */ (schema.properties?.campaigns?.items);
  form = new SchemaForm($('campaign-form'), schema, itemSchema, (value) => edited(value, 'form'));
  form.render(current.campaign);
  textareaById('campaign-editor').value = JSON.stringify(current.campaign, null, 2);
  textareaById('campaign-editor').removeAttribute('aria-invalid');
  $('campaign-problem').textContent = '';
  $('campaign-result').textContent = '';
  $('campaign-general-problems').replaceChildren();
  $('campaign-diff').hidden = true;
  clear($('preview-result'));
  describeDraft(draft);
  if (draft) scheduleCheck(0);
}

/** @param {Draft | undefined} draft */
function describeDraft(draft) {
  const line = $('draft-status');
  line.textContent = draft
    ? `${draft.isNew ? 'New campaign, not live yet' : `Draft based on version ${draft.baseVersion}`}; saved in this browser ${when(draft.savedAt)}.`
    : 'No changes yet: this is the live campaign.';
  $('campaign-reload').hidden = !draft;
}

/**
 * An edit from the form or the JSON tab: kept as the draft at once, then checked against the live version.
 * @param {Record<string, unknown>} campaign @param {'form' | 'json'} from
 */
function edited(campaign, from) {
  if (!current || !live) return;
  current.campaign = campaign;
  const draft = {
    campaign,
    baseVersion: drafts.get(current.id)?.baseVersion ?? live.version,
    savedAt: new Date().toISOString(),
    ...(current.isNew ? { isNew: true } : {}),
  };
  drafts.put(current.id, draft);
  describeDraft(draft);
  if (from === 'form') textareaById('campaign-editor').value = JSON.stringify(campaign, null, 2);
  else form?.render(campaign);
  scheduleCheck();
}

function editedAsJson() {
  const editor = textareaById('campaign-editor');
  try {
    const campaign = JSON.parse(editor.value);
    editor.removeAttribute('aria-invalid');
    $('campaign-problem').textContent = '';
    edited(campaign, 'json');
  } catch (error) {
    editor.setAttribute('aria-invalid', 'true');
    $('campaign-problem').textContent = `Not valid JSON: ${/** @type {Error} */ (error).message}`;
  }
}

/** Checks the draft a moment after the last keystroke: every problem beside its field, and the changes. */
function scheduleCheck(delayMs = 500) {
  clearTimeout(checkTimer);
  checkTimer = setTimeout(() => checkDraft().catch(failed), delayMs);
}

/** @param {unknown} error */
const failed = (error) => {
  if (shown(error)) $('campaign-problem').textContent = `Could not check the draft: ${/** @type {Error} */ (error).message}`;
};

/**
 * Validates the draft as apply would and lists what applying it would change; stores nothing.
 * @returns {Promise<boolean>} whether the draft is valid
 */
async function checkDraft() {
  if (!current) return false;
  const { id, campaign } = current;
  try {
    const { liveVersion, changes } = await api('POST', `/api/campaigns/${encodeURIComponent(id)}/diff`, JSON.stringify(campaign));
    if (current?.id !== id) return false;
    showProblems($('campaign-form'), [], $('campaign-general-problems'));
    textareaById('campaign-editor').removeAttribute('aria-invalid');
    $('campaign-problem').textContent = '';
    showChanges(liveVersion, changes);
    return true;
  } catch (error) {
    if (!(error instanceof ApiError) || error.status === 401) throw error;
    const problems = (error.body?.problems ?? [{ path: error.body?.field ?? '', problem: error.body?.problem ?? error.message }]).map(({ path, problem }) => ({
      // The API names the campaign by id (campaigns[lost-winback].steps[0]...): the form's paths start inside it.
      path: path.replace(/^campaigns\[[^\]]*\]\.?/, ''),
      problem: problem.replace(/^campaign "[^"]*": /, ''),
    }));
    showProblems($('campaign-form'), problems, $('campaign-general-problems'));
    textareaById('campaign-editor').setAttribute('aria-invalid', 'true');
    $('campaign-problem').textContent =
      `${problems.length === 1 ? 'One problem' : `${problems.length} problems`} to fix before this can be applied: ${problems.map((problem) => `${problem.path || 'campaign'}: ${problem.problem}`).join('; ')}`;
    $('campaign-diff').hidden = true;
    return false;
  }
}

/** @param {number} liveVersion @param {Change[]} changes */
function showChanges(liveVersion, changes) {
  const list = $('campaign-diff-list');
  clear(list);
  $('campaign-diff-heading').textContent = `Changes against live version ${liveVersion}`;
  if (!changes.length) list.append(el('li', { class: 'muted' }, 'No changes: applying this would store nothing.'));
  for (const change of changes) list.append(el('li', { class: change.change }, describeChange(change)));
  $('campaign-diff').hidden = false;
}

async function applyDraft() {
  if (!current) return;
  clearTimeout(checkTimer);
  $('campaign-result').textContent = '';
  if (!(await checkDraft())) return;
  const { id, campaign } = current;
  const applied = await api('PUT', `/api/campaigns/${encodeURIComponent(id)}`, JSON.stringify(campaign));
  drafts.drop(id);
  current.isNew = false;
  $('campaign-result').textContent = applied.unchanged ? `No change: version ${applied.version} stays live.` : `Applied: version ${applied.version} is live.`;
  describeDraft(undefined);
  $('campaign-diff').hidden = true;
  await Promise.all([loadHistory(), loadLive()]);
}

function discardDraft() {
  if (!current) return;
  drafts.drop(current.id);
  if (current.isNew) {
    current = undefined;
    return loadCampaigns();
  }
  return loadCampaign();
}

/** A new campaign starts as a copy of the selected one under a new id and name, as a draft. */
async function createCampaign(/** @type {SubmitEvent} */ event) {
  event.preventDefault();
  const id = inputById('new-campaign-id').value.trim();
  const name = inputById('new-campaign-name').value.trim();
  const problem = $('new-campaign-problem');
  problem.textContent = '';
  if (!/^[a-z0-9][a-z0-9-]{0,47}$/.test(id)) {
    problem.textContent = 'The id is 1 to 48 lowercase letters, digits and dashes, such as "spring-winback".';
    return;
  }
  if (!live || live.config.campaigns.some((campaign) => campaign.id === id) || drafts.get(id)) {
    problem.textContent = `There is already a campaign "${id}".`;
    return;
  }
  const template = current?.campaign ?? live.config.campaigns[0];
  const campaign = { ...JSON.parse(JSON.stringify(template)), id, name: name || id };
  drafts.put(id, { campaign, baseVersion: live.version, savedAt: new Date().toISOString(), isNew: true });
  inputById('new-campaign-id').value = '';
  inputById('new-campaign-name').value = '';
  /** @type {HTMLDetailsElement} */ ($('new-campaign')).open = false;
  await loadLive();
  selectById('campaign-select').value = id;
  await loadCampaign();
}

async function rollBack(/** @type {number} */ version) {
  $('rollback-problem').textContent = '';
  $('rollback-result').textContent = '';
  try {
    const result = await api('POST', '/api/campaigns/rollback', JSON.stringify({ version }));
    $('rollback-result').textContent = result.unchanged
      ? `Version ${version} is already live (version ${result.version}).`
      : `Rolled back: version ${version} is live again as version ${result.version}.`;
    // A draft was made against what is no longer live: the editor shows the restored settings.
    if (current && !current.isNew) drafts.drop(current.id);
    await Promise.all([loadHistory(), loadLive().then(() => loadCampaign())]);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status === 401) throw error;
    $('rollback-problem').textContent = `Version ${version} could not be restored: ${error.body?.problem ?? error.message}`;
  }
}

async function loadHistory() {
  const { versions } = await api('GET', '/api/campaigns/history');
  const list = $('campaign-history');
  clear(list);
  const liveVersion = versions[0]?.version;
  for (const version of /** @type {{ version: number, appliedAt: string, appliedBy: string, note?: string, changes: Change[] }[]} */ (versions)) {
    const changes = el(
      'ul',
      {},
      version.changes.slice(0, 12).map((change) => el('li', {}, describeChange(change))),
    );
    if (version.changes.length > 12) changes.append(el('li', {}, `… and ${version.changes.length - 12} more`));
    list.append(
      el(
        'li',
        { 'data-version': version.version },
        el('strong', {}, `Version ${version.version}`),
        ` · ${when(version.appliedAt)} · by ${version.appliedBy}${version.note ? ` · ${version.note}` : ''}`,
        version.version === liveVersion
          ? el('span', { class: 'badge on' }, 'Live')
          : el('button', { type: 'button', class: 'secondary small', 'data-rollback': version.version }, `Roll back to version ${version.version}`),
        version.changes.length ? changes : el('div', { class: 'muted' }, 'no changes'),
      ),
    );
  }
}

/** @param {unknown} value */
const brief = (value) => {
  const text = show(value);
  return text.length > 160 ? `${text.slice(0, 159)}…` : text;
};

/** A path as the marketer reads it: `campaigns[0].steps[1].content.subject` as "steps › Email 2 › content › subject". @param {Change} change */
export function describeChange(change) {
  if (change.change === 'added') return `${change.path}: added ${brief(change.after)}`;
  if (change.change === 'removed') return `${change.path}: removed (was ${brief(change.before)})`;
  return `${change.path}: ${brief(change.before)} → ${brief(change.after)}`;
}

// Preview of the draft ------------------------------------------------------------------------------------------

async function previewDraft(/** @type {SubmitEvent} */ event) {
  event.preventDefault();
  if (!current) return;
  const result = $('preview-result');
  $('preview-problem').textContent = '';
  clear(result);
  result.append(el('p', { class: 'muted' }, 'Running the dry run …'));
  const { id, campaign } = current;
  try {
    const preview = await api('POST', `/api/campaigns/${encodeURIComponent(id)}/preview`, JSON.stringify({ asOf: inputById('preview-date').value, campaign }));
    clear(result);
    const counts = el(
      'table',
      {},
      el('caption', {}, `Night of ${day(preview.asOf)}: ${String(campaign.name ?? id)}${preview.draft ? ' (draft)' : ''}`),
      el('tr', {}, el('th', { scope: 'col' }, 'Customers'), el('th', { scope: 'col', class: 'num' }, 'Count')),
    );
    /** @type {[string, number][]} */
    const rows = [
      ['Would be emailed', preview.campaign.sent],
      ['Would wait for the end of quiet hours', preview.campaign.scheduled],
      ['Held out (get nothing, to measure lift)', preview.campaign.heldOut],
      ...Object.entries(/** @type {Record<string, number>} */ (preview.skipped)).map(
        ([reason, value]) => /** @type {[string, number]} */ ([`Not emailed by any campaign: ${skipLabel(reason)}`, value]),
      ),
    ];
    for (const [label, value] of rows) counts.append(el('tr', {}, el('td', {}, label), el('td', { class: 'num' }, count(value))));
    const { coverage } = preview;
    // A large shop is previewed from a sample within the API's 30 seconds: say so before the numbers are read as exact.
    if (coverage && !coverage.complete) {
      result.append(
        el(
          'p',
          { class: 'estimate', role: 'note' },
          `Estimated from ${count(coverage.customersScanned)} customers (${(coverage.fraction * 100).toFixed(1)}% of the shop, chosen at random): the counts are rounded estimates, and the night itself may differ a little.`,
        ),
      );
    }
    result.append(counts);
    samples = preview.emails;
    showSamples();
  } catch (error) {
    clear(result);
    if (shown(error))
      $('preview-problem').textContent =
        error instanceof ApiError && error.body?.problems
          ? `Fix the draft first: ${error.body.problems.map((problem) => `${problem.path}: ${problem.problem}`).join('; ')}`
          : /** @type {Error} */ (error).message;
  }
}

/** The sample emails: one chosen at a time, shown at a phone's and a desktop's width. */
function showSamples() {
  const box = el(
    'section',
    { id: 'email-samples', 'aria-labelledby': 'email-samples-heading' },
    el('h3', { id: 'email-samples-heading' }, 'The emails, as a customer would see them'),
  );
  const select = el('select', { id: 'sample-choice' });
  samples.forEach((sample, index) => select.append(el('option', { value: index }, `${stepLabel(sample.step, sample.delayDays)} · variant ${sample.variant}`)));
  const frames = el('div', { class: 'frames' });
  const subject = el('p', { class: 'sample-subject' });
  const render = () => {
    const sample = samples[Number(select.value)];
    if (!sample) return;
    subject.textContent = `Subject: ${sample.subject}`;
    frames.replaceChildren(emailFrame(sample, 'phone', 375), emailFrame(sample, 'desktop', 720));
    selectById('test-step').value = select.value;
  };
  select.addEventListener('change', render);
  box.append(
    el('p', { class: 'muted' }, 'Written for a sample customer, Sam; links in it lead nowhere.'),
    el('label', { for: 'sample-choice' }, 'Email'),
    select,
    subject,
    frames,
  );
  $('preview-result').append(box);
  const testStep = selectById('test-step');
  clear(testStep);
  samples.forEach((sample, index) =>
    testStep.append(el('option', { value: index }, `${stepLabel(sample.step, sample.delayDays)} · variant ${sample.variant}`)),
  );
  $('test-send').hidden = false;
  render();
}

/**
 * The email's HTML in a sandboxed frame: its own page (/console/email-frame.html, whose CSP allows the inline styles
 * emails need and no script of theirs) with an opaque origin, so nothing in an email can reach this page or its token.
 * @param {SampleEmail} sample @param {string} size @param {number} width
 */
function emailFrame(sample, size, width) {
  const frame = el('iframe', {
    src: '/console/email-frame.html',
    sandbox: 'allow-scripts',
    width,
    height: 640,
    title: `${stepLabel(sample.step, sample.delayDays)}, variant ${sample.variant}, at ${size} width`,
    class: `email-frame ${size}`,
    'data-size': size,
  });
  frame.addEventListener('load', () => frame.contentWindow?.postMessage(sample.html, '*'), { once: true });
  return el('figure', { class: 'frame' }, el('figcaption', {}, `${size === 'phone' ? 'Phone' : 'Desktop'} (${width} px)`), frame);
}

async function sendTest(/** @type {SubmitEvent} */ event) {
  event.preventDefault();
  if (!current) return;
  $('test-send-problem').textContent = '';
  $('test-send-result').textContent = '';
  const sample = samples[Number(selectById('test-step').value)];
  if (!sample) return;
  try {
    const sent = await api(
      'POST',
      `/api/campaigns/${encodeURIComponent(current.id)}/test-send`,
      JSON.stringify({ to: inputById('test-to').value, step: sample.step, variant: sample.variant, campaign: current.campaign }),
    );
    $('test-send-result').textContent = `Sent "${sent.subject}" to ${sent.to}.`;
  } catch (error) {
    if (shown(error)) $('test-send-problem').textContent = /** @type {Error} */ (error).message;
  }
}

/** @param {(name: string) => (error: unknown) => void} reportFailure */
export function wireCampaigns(reportFailure) {
  const failure = reportFailure('campaigns');
  selectById('campaign-select').addEventListener('change', () => loadCampaign().catch(failure));
  $('campaign-reload').addEventListener('click', () => Promise.resolve(discardDraft()).catch(failure));
  $('campaign-apply').addEventListener('click', () => applyDraft().catch(failure));
  textareaById('campaign-editor').addEventListener('input', editedAsJson);
  $('new-campaign-form').addEventListener('submit', (event) => createCampaign(event).catch(failure));
  $('campaign-history').addEventListener('click', (event) => {
    const button = /** @type {HTMLElement} */ (event.target).closest('button[data-rollback]');
    if (button instanceof HTMLElement) rollBack(Number(button.dataset.rollback)).catch(failure);
  });
  $('preview-form').addEventListener('submit', (event) => previewDraft(event).catch(failure));
  $('test-send').addEventListener('submit', (event) => sendTest(event).catch(failure));
  // The editor's two views of one draft: the form, and the JSON for those who want it.
  for (const tab of document.querySelectorAll('[data-editor-view]')) {
    tab.addEventListener('click', () => {
      const view = /** @type {HTMLElement} */ (tab).dataset.editorView;
      for (const other of document.querySelectorAll('[data-editor-view]')) other.setAttribute('aria-selected', String(other === tab));
      $('campaign-form').hidden = view !== 'form';
      $('campaign-json').hidden = view !== 'json';
    });
  }
}
