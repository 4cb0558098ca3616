// @ts-check
// A form generated from the campaign config's JSON Schema (served as /console/campaign-config.schema.json): every
// field the schema has gets an input, so a field added to lib/config/campaign-config.ts appears here by itself.
// Help text comes from the schema's own `description` first, else from the words below.

import { el } from './dom.js';

/**
 * @typedef {{
 *   type?: string | string[], properties?: Record<string, JsonSchema>, required?: string[], items?: JsonSchema,
 *   enum?: unknown[], const?: unknown, default?: unknown, description?: string, title?: string,
 *   minimum?: number, maximum?: number, exclusiveMinimum?: number, minLength?: number, maxLength?: number, pattern?: string, format?: string,
 *   anyOf?: JsonSchema[], oneOf?: JsonSchema[], allOf?: JsonSchema[], $ref?: string, $defs?: Record<string, JsonSchema>, definitions?: Record<string, JsonSchema>
 * }} JsonSchema
 */
/** @typedef {(string | number)[]} Path */

/** Help for the fields a marketer meets first, by path with `[]` for any item of a list. */
const help = /** @type {Record<string, string>} */ ({
  id: 'A short name for the campaign in lowercase letters, digits and dashes; it never changes once customers have had its emails.',
  name: 'What marketers call the campaign; shown on the dashboard.',
  enabled: 'Off: the campaign sends nothing and customers in it wait.',
  priority: 'When a customer fits several campaigns, the one with the highest priority emails them.',
  audience: 'Who the campaign is for. Every filter given must hold.',
  'audience.status': 'At risk: slipping but still likely to come back. Lost: well past their usual time to order again.',
  'audience.minDaysSinceLastOrder': 'Only customers whose last order is at least this many days ago.',
  'audience.maxDaysSinceLastOrder': 'Customers gone longer than this are left alone: too long ago for an email to help.',
  'audience.minOrders': 'Only customers with at least this many orders.',
  'audience.maxOrders': 'Only customers with at most this many orders.',
  'audience.minValueAtStakeMinor': "Only customers whose expected value at stake is at least this, in cents (or the currency's minor unit).",
  'audience.minPAlive': 'With the fitted model: only customers at least this likely (0 to 1) to still be a customer.',
  'audience.maxPAlive': 'With the fitted model: only customers at most this likely (0 to 1) to still be a customer.',
  'audience.reasonCodes': 'Only customers slipping for one of these reasons.',
  'audience.countries': 'Only customers in these countries (two-letter codes such as NL).',
  sender: "Who the email comes from. The address must be on the shop's verified sending domain.",
  steps: 'The emails of the campaign, in order. The first goes out on day 0; each later one a number of days after the first.',
  'steps[].delayDays': 'Days after the first email. The first email is day 0; each email comes after the one before.',
  'steps[].content': 'The email itself. Liquid variables such as {{ customer.first_name }} and {{ offer.text }} are filled in for each customer.',
  'steps[].content.subject': 'The subject line. Keep it short; Liquid variables work here too.',
  'steps[].content.preheader': 'The preview line mail apps show after the subject.',
  'steps[].content.html': 'The HTML body. It must contain {{ unsubscribe_url }} and {{ shop.postal_address }}.',
  'steps[].content.text': 'The plain-text body, for mail apps that show no HTML. Same required parts as the HTML.',
  'steps[].offer': 'The incentive in this email, if any. An offer needs a coupon prefix (below).',
  'steps[].offer.kind': 'None, a percentage off, a fixed amount off, or free shipping.',
  'steps[].offer.value': 'Percent off (1 to 90), or the amount off in cents for a fixed amount.',
  'steps[].offer.tiers': 'Bigger offers for more valuable customers: the highest tier a customer reaches wins.',
  'steps[].offer.tiers[].minValueAtStakeMinor': 'From this value at stake (in cents) the tier applies.',
  'steps[].offer.tiers[].value': "The offer's value in this tier.",
  coupon: 'Every recipient gets their own code, PREFIX-XXXXXXXX, that expires.',
  'coupon.prefix': 'Two to twelve capital letters or digits that start every code.',
  'coupon.expiresInDays': 'Days a code stays valid after the email.',
  experiment: 'A holdout group measures what the campaign really adds; variants test subjects or offers against each other.',
  'experiment.holdoutPercent': "Share of the campaign's customers (0 to 50%) who get nothing, so the report can show true lift.",
  'experiment.variants': 'Versions of the campaign, each sent to a share of customers by weight.',
  'experiment.variants[].id': 'A short name for the variant: lowercase letters, digits and dashes.',
  'experiment.variants[].weight': 'Relative share of customers: weights 1 and 1 split half and half.',
  'experiment.variants[].subject': 'A different subject for every email of this variant.',
  'experiment.variants[].offerValue': "Replaces the offer's value in every email of this variant that has an offer.",
});

/** `steps[1].content.subject` as the API writes paths, and `steps[].content.subject` for the help above. @param {Path} path */
export const pathText = (path) =>
  path.reduce((/** @type {string} */ text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${part}` : String(part)), '');
/** @param {Path} path */
const helpKey = (path) =>
  path.reduce((/** @type {string} */ text, part) => (typeof part === 'number' ? `${text}[]` : text ? `${text}.${part}` : String(part)), '');

/** "minValueAtStakeMinor" reads as "Min value at stake (minor units)". @param {string} name */
export function fieldLabel(name) {
  const minor = name.endsWith('Minor');
  const words = name
    .replace(/Minor$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/_/g, ' ')
    .toLowerCase();
  const text = words
    .replace(/\bp alive\b/, 'probability alive')
    .replace(/\bclv\b/, 'customer lifetime value')
    .replace(/\bhtml\b/, 'HTML');
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}${minor ? ' (minor units)' : ''}`;
}

/**
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A field the form keeps in step with the draft, and re-renders when its shape changes. */
export class SchemaForm {
  /**
   * @param {HTMLElement} container
   * @param {JsonSchema} root the whole schema, for `$ref`s
   * @param {JsonSchema} schema the part this form edits
   * @param {(value: Record<string, unknown>) => void} onChange
   */
  constructor(container, root, schema, onChange) {
    this.container = container;
    this.root = root;
    this.schema = schema;
    this.onChange = onChange;
    /** @type {Record<string, unknown>} */
    this.value = {};
  }

  /** @param {Record<string, unknown>} value */
  render(value) {
    this.value = value;
    const form = this.objectFields(this.schema, value, []);
    this.container.replaceChildren(...form);
  }

  /** @param {JsonSchema} schema @returns {JsonSchema} */
  resolve(schema) {
    let current = schema;
    for (let depth = 0; current.$ref && depth < 10; depth += 1) {
      const name = current.$ref.replace(/^#\/(\$defs|definitions)\//, '');
      current = this.root.$defs?.[name] ?? this.root.definitions?.[name] ?? {};
    }
    const choices = current.anyOf ?? current.oneOf;
    // `X or null` is X that may be left empty; any other union is edited as JSON (see jsonField).
    if (choices) {
      const real = choices.filter((choice) => choice.type !== 'null');
      if (real.length === 1) return this.resolve(real[0]);
    }
    return current;
  }

  changed() {
    this.onChange(this.value);
  }

  /**
   * Sets or removes the value at `path` in the draft; `rerender` when the form's shape follows the value.
   * @param {Path} path @param {unknown} next @param {boolean} [rerender]
   */
  set(path, next, rerender = false) {
    /** @type {any} */
    let parent = this.value;
    for (const part of path.slice(0, -1)) parent = parent[part];
    const last = path[path.length - 1];
    if (next === undefined) {
      if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
      else delete parent[last];
    } else parent[last] = next;
    if (rerender) this.render(this.value);
    this.changed();
  }

  /**
   * @param {JsonSchema} schema @param {Record<string, unknown>} value @param {Path} path
   * @returns {HTMLElement[]}
   */
  objectFields(schema, value, path) {
    const required = new Set(schema.required ?? []);
    return Object.entries(schema.properties ?? {}).map(([name, property]) =>
      this.field(name, this.resolve(property), value[name], [...path, name], required.has(name) || property.default !== undefined),
    );
  }

  /**
   * One field: a fieldset for an object or a list, an input for anything else; a problem slot beside each.
   * @param {string} name @param {JsonSchema} schema @param {unknown} value @param {Path} path @param {boolean} present whether the field always exists
   */
  field(name, schema, value, path, present) {
    const id = `field-${pathText(path).replace(/[^a-zA-Z0-9]+/g, '-')}`;
    const helpText = schema.description ?? help[helpKey(path)];
    const helpId = helpText ? `${id}-help` : undefined;
    const problemId = `${id}-problem`;
    const type = Array.isArray(schema.type) ? schema.type.find((candidate) => candidate !== 'null') : schema.type;
    const problem = el('p', { class: 'problem field-problem', id: problemId, 'data-problem-for': pathText(path), role: 'alert' });
    const helpNode = helpText ? el('p', { class: 'help', id: helpId }, helpText) : undefined;

    if (type === 'object' && schema.properties) {
      const box = el(
        'fieldset',
        { class: 'group', 'data-path': pathText(path), 'aria-describedby': [helpId, problemId].filter(Boolean).join(' ') },
        el('legend', {}, fieldLabel(name)),
      );
      if (value === undefined && !present) {
        box.append(helpNode ?? '', el('button', { type: 'button', class: 'secondary small' }, `Add ${fieldLabel(name).toLowerCase()}`), problem);
        box.lastElementChild?.previousElementSibling?.addEventListener('click', () => this.set(path, this.initial(schema), true));
        return box;
      }
      const object = isObject(value) ? value : /** @type {Record<string, unknown>} */ (this.initial(schema));
      if (value !== object) this.set(path, object);
      box.append(helpNode ?? '', problem, ...this.objectFields(schema, object, path));
      if (!present) {
        const remove = el('button', { type: 'button', class: 'secondary small' }, `Remove ${fieldLabel(name).toLowerCase()}`);
        remove.addEventListener('click', () => this.set(path, undefined, true));
        box.append(remove);
      }
      return box;
    }

    if (type === 'array' && schema.items) {
      const items = this.resolve(schema.items);
      const itemType = Array.isArray(items.type) ? items.type[0] : items.type;
      if (items.enum && itemType === 'string') return this.choiceList(name, items.enum.map(String), value, path, { helpNode, problem, helpId, problemId });
      if (itemType !== 'object') return this.jsonField(name, schema, value, path, { helpNode, problem, helpId, problemId, present });
      const list = Array.isArray(value) ? value : [];
      const box = el(
        'fieldset',
        { class: 'group list', 'data-path': pathText(path), 'aria-describedby': [helpId, problemId].filter(Boolean).join(' ') },
        el('legend', {}, fieldLabel(name)),
      );
      box.append(helpNode ?? '', problem);
      list.forEach((item, index) => {
        const itemPath = [...path, index];
        const itemBox = el('fieldset', { class: 'group item', 'data-path': pathText(itemPath) }, el('legend', {}, itemTitle(name, index, item)));
        itemBox.append(
          el('p', { class: 'problem field-problem', 'data-problem-for': pathText(itemPath), role: 'alert' }),
          ...this.objectFields(items, isObject(item) ? item : {}, itemPath),
        );
        const remove = el('button', { type: 'button', class: 'secondary small' }, `Remove ${itemTitle(name, index, item).toLowerCase()}`);
        remove.addEventListener('click', () => this.set(itemPath, undefined, true));
        itemBox.append(remove);
        box.append(itemBox);
      });
      const add = el('button', { type: 'button', class: 'secondary small' }, `Add ${singular(fieldLabel(name)).toLowerCase()}`);
      add.addEventListener('click', () => {
        const next = [...list, this.initial(items, list[list.length - 1])];
        this.set(path, next, true);
      });
      box.append(add);
      return box;
    }

    if (schema.anyOf || schema.oneOf || (!type && !schema.enum))
      return this.jsonField(name, schema, value, path, { helpNode, problem, helpId, problemId, present });

    const label = el('label', { for: id }, fieldLabel(name));
    /** @type {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement} */
    let input;
    const describedBy = [helpId, problemId].filter(Boolean).join(' ');
    if (schema.enum) {
      input = el(
        'select',
        { id, 'data-path': pathText(path), 'aria-describedby': describedBy },
        present ? [] : [el('option', { value: '' }, '(not set)')],
        schema.enum.map((option) => el('option', { value: String(option) }, String(option).replace(/_/g, ' '))),
      );
      input.value = value === undefined ? (present && schema.default !== undefined ? String(schema.default) : '') : String(value);
      input.addEventListener('change', () => this.set(path, input.value === '' ? undefined : input.value));
    } else if (type === 'boolean') {
      input = el('input', { id, type: 'checkbox', 'data-path': pathText(path), 'aria-describedby': describedBy });
      const box = /** @type {HTMLInputElement} */ (input);
      box.checked = value === undefined ? schema.default === true : value === true;
      box.addEventListener('change', () => this.set(path, box.checked));
      return el('div', { class: 'field check' }, input, label, helpNode ?? '', problem);
    } else if (type === 'integer' || type === 'number') {
      input = el('input', {
        id,
        type: 'number',
        step: type === 'integer' ? 1 : 'any',
        'data-path': pathText(path),
        'aria-describedby': describedBy,
        placeholder: schema.default === undefined ? '' : `default ${schema.default}`,
      });
      input.value = typeof value === 'number' ? String(value) : '';
      input.addEventListener('input', () => this.set(path, input.value === '' ? undefined : Number(input.value)));
    } else {
      const long = (schema.maxLength ?? 0) > 1000;
      input = long
        ? el('textarea', { id, rows: 8, spellcheck: 'false', 'data-path': pathText(path), 'aria-describedby': describedBy })
        : el('input', { id, type: 'text', 'data-path': pathText(path), 'aria-describedby': describedBy });
      input.value = typeof value === 'string' ? value : '';
      input.addEventListener('input', () => this.set(path, input.value === '' && !present ? undefined : input.value));
    }
    return el('div', { class: 'field' }, label, helpNode ?? '', input, problem);
  }

  /**
   * A list of choices from a fixed set (reason codes): one checkbox each.
   * @param {string} name @param {string[]} options @param {unknown} value @param {Path} path
   * @param {{ helpNode?: HTMLElement, problem: HTMLElement, helpId?: string, problemId: string }} parts
   */
  choiceList(name, options, value, path, parts) {
    const chosen = new Set(Array.isArray(value) ? value.map(String) : []);
    const box = el(
      'fieldset',
      { class: 'group choices', 'data-path': pathText(path), 'aria-describedby': [parts.helpId, parts.problemId].filter(Boolean).join(' ') },
      el('legend', {}, fieldLabel(name)),
    );
    box.append(parts.helpNode ?? '');
    for (const option of options) {
      const id = `field-${pathText(path).replace(/[^a-zA-Z0-9]+/g, '-')}-${option}`;
      const input = el('input', { id, type: 'checkbox', value: option });
      input.checked = chosen.has(option);
      input.addEventListener('change', () => {
        if (input.checked) chosen.add(option);
        else chosen.delete(option);
        this.set(path, chosen.size ? options.filter((candidate) => chosen.has(candidate)) : undefined);
      });
      box.append(el('span', { class: 'choice' }, input, el('label', { for: id }, option.replace(/_/g, ' '))));
    }
    box.append(parts.problem);
    return box;
  }

  /**
   * What the form cannot lay out (a union, a list of plain values) is edited as a small piece of JSON.
   * @param {string} name @param {JsonSchema} schema @param {unknown} value @param {Path} path
   * @param {{ helpNode?: HTMLElement, problem: HTMLElement, helpId?: string, problemId: string, present: boolean }} parts
   */
  jsonField(name, schema, value, path, parts) {
    const id = `field-${pathText(path).replace(/[^a-zA-Z0-9]+/g, '-')}`;
    const input = el('textarea', {
      id,
      rows: 2,
      spellcheck: 'false',
      class: 'json',
      'data-path': pathText(path),
      'aria-describedby': [parts.helpId, parts.problemId].filter(Boolean).join(' '),
    });
    input.value = value === undefined ? '' : JSON.stringify(value);
    input.addEventListener('input', () => {
      if (input.value.trim() === '') return this.set(path, undefined);
      try {
        this.set(path, JSON.parse(input.value));
        input.removeAttribute('aria-invalid');
      } catch {
        input.setAttribute('aria-invalid', 'true');
      }
    });
    const hint = schema.type === 'array' ? ' (a list in JSON, such as ["NL", "BE"])' : ' (JSON)';
    return el('div', { class: 'field' }, el('label', { for: id }, `${fieldLabel(name)}${hint}`), parts.helpNode ?? '', input, parts.problem);
  }

  /**
   * A new value for a schema: its default, else a copy of the item before it (a new step starts as the last one),
   * else every required field at its default or empty.
   * @param {JsonSchema} schema @param {unknown} [previous] @returns {unknown}
   */
  initial(schema, previous) {
    if (previous !== undefined) return JSON.parse(JSON.stringify(previous));
    if (schema.default !== undefined) return JSON.parse(JSON.stringify(schema.default));
    const resolved = this.resolve(schema);
    if (resolved.type === 'object') {
      /** @type {Record<string, unknown>} */
      const object = {};
      for (const name of resolved.required ?? []) object[name] = this.initial(resolved.properties?.[name] ?? {});
      return object;
    }
    if (resolved.type === 'array') return [];
    if (resolved.enum) return resolved.enum[0];
    if (resolved.type === 'integer' || resolved.type === 'number') return resolved.minimum ?? 0;
    if (resolved.type === 'boolean') return false;
    return '';
  }
}

/** @param {string} text */
const singular = (text) => text.replace(/ies$/, 'y').replace(/s$/, '');

/** "Email 2 (day 7)" for a step, "Variant b" for a variant, "Tier 1" otherwise. @param {string} list @param {number} index @param {unknown} item */
function itemTitle(list, index, item) {
  if (list === 'steps') return `Email ${index + 1}${isObject(item) && typeof item.delayDays === 'number' ? ` (day ${item.delayDays})` : ''}`;
  if (isObject(item) && typeof item.id === 'string' && item.id) return `${singular(fieldLabel(list))} ${item.id}`;
  return `${singular(fieldLabel(list))} ${index + 1}`;
}

/**
 * Shows every problem beside its field; one with no field of its own goes to the nearest enclosing one, and one
 * outside the form (another campaign, the shop) to `general`. Returns how many were placed.
 * @param {HTMLElement} container @param {{ path: string, problem: string }[]} problems @param {HTMLElement} general
 */
export function showProblems(container, problems, general) {
  for (const slot of container.querySelectorAll('[data-problem-for]')) slot.textContent = '';
  for (const input of container.querySelectorAll('[aria-invalid="true"]')) input.removeAttribute('aria-invalid');
  general.replaceChildren();
  for (const { path, problem } of problems) {
    let target = null;
    for (let at = path; at && !target; at = at.replace(/(\.[^.[\]]+|\[[^\]]*\])$/, '') === at ? '' : at.replace(/(\.[^.[\]]+|\[[^\]]*\])$/, '')) {
      target = container.querySelector(`[data-problem-for="${CSS.escape(at)}"]`);
    }
    if (target) {
      target.append(el('span', {}, problem));
      container.querySelector(`[data-path="${CSS.escape(path)}"]`)?.setAttribute('aria-invalid', 'true');
    } else general.append(el('li', {}, `${path || 'campaign'}: ${problem}`));
  }
}
