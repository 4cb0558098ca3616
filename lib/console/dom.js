// @ts-check
// DOM helpers. Every value from the API goes into the page as text or an attribute, never parsed as HTML.

const svgNs = 'http://www.w3.org/2000/svg';

/** @typedef {Node | string | number | false | null | undefined} Child */

/**
 * An element with attributes and children (nodes, text, or nothing).
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, string | number | boolean | undefined | null>} [attributes]
 * @param {(Child | Child[])[]} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes))
    if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value === true ? '' : String(value));
  for (const child of children.flat()) if (child !== undefined && child !== null && child !== false) node.append(child instanceof Node ? child : String(child));
  return node;
}

/**
 * @param {string} tag
 * @param {Record<string, string | number>} [attributes]
 * @param {string | number} [text]
 * @returns {SVGElement}
 */
export function svg(tag, attributes = {}, text) {
  const node = /** @type {SVGElement} */ (document.createElementNS(svgNs, tag));
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

/** @param {Element} node */
export const clear = (node) => node.replaceChildren();

/**
 * The element with that id, of the type the caller names (the page's markup is the contract).
 * @template {HTMLElement} [T=HTMLElement]
 * @param {string} id
 * @returns {T}
 */
export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return /** @type {T} */ (node);
}

/** @param {string} id */
export const inputById = (id) => /** @type {HTMLInputElement} */ (byId(id));
/** @param {string} id */
export const selectById = (id) => /** @type {HTMLSelectElement} */ (byId(id));
/** @param {string} id */
export const textareaById = (id) => /** @type {HTMLTextAreaElement} */ (byId(id));

/**
 * A table with a caption, column heads and rows of text.
 * @param {string} caption
 * @param {string[]} heads
 * @param {(string | number | undefined | null)[][]} rows
 */
export function recordTable(caption, heads, rows) {
  const table = el(
    'table',
    {},
    el('caption', {}, caption),
    el(
      'tr',
      {},
      heads.map((head) => el('th', { scope: 'col' }, head)),
    ),
  );
  if (!rows.length) table.append(el('tr', {}, el('td', { colspan: heads.length }, 'none')));
  for (const row of rows)
    table.append(
      el(
        'tr',
        {},
        row.map((cell) => el('td', {}, cell === undefined || cell === null ? '–' : String(cell))),
      ),
    );
  return table;
}
