import {
  AssignTag,
  CaptureTag,
  CaseTag,
  DecrementTag,
  EchoTag,
  ForTag,
  type FS,
  IfTag,
  IncrementTag,
  Liquid,
  LiquidTag,
  Output,
  TablerowTag,
  Tag,
  type TagToken,
  type Template,
  type TopLevelToken,
  UnlessTag,
  type Value,
} from 'liquidjs';
import { emailFeedbackAnswers, emailFeedbackQuestion } from './feedback.js';

/**
 * Tags that read other templates from a file system. A campaign template is the whole email: it never needs one, and
 * with Liquid's default file system `{% include 'package.json' %}` would read any file under the working directory
 * (on Lambda: the bundle, secrets in its environment aside). They are refused when parsed, so a config holding one
 * does not validate and a stored one fails to render; the file system below refuses every read besides.
 */
export const fileTags = ['include', 'render', 'layout'] as const;

class RefusedFileTag extends Tag {
  constructor(token: TagToken, remainTokens: TopLevelToken[], liquid: Liquid) {
    super(token, remainTokens, liquid);
    throw new Error(`{% ${token.name} %} is not allowed: a campaign template cannot read other files; put the content in the template itself`);
  }
  *render(): Generator<unknown, void, unknown> {}
}

class NoFileSystemError extends Error {
  constructor(file: string) {
    super(`templates cannot read files (asked for "${file}")`);
    this.name = 'NoFileSystemError';
  }
}

/** Liquid's file system, for both engines: nothing exists and nothing can be read. */
const noFileSystem: FS = {
  exists: async () => false,
  existsSync: () => false,
  readFile: async (file) => {
    throw new NoFileSystemError(file);
  },
  readFileSync: (file) => {
    throw new NoFileSystemError(file);
  },
  resolve: (_dir, file) => file,
  contains: async () => false,
  containsSync: () => false,
};

/**
 * Bounds on one template, so a careless or hostile one fails its email (`render_failed`) in well under a second
 * instead of holding a worker for hours. An email renders in well under a millisecond and allocates a few kilobytes:
 * these leave room for a hundred times that and still stop a runaway loop quickly.
 */
export const templateLimits = {
  /** Characters parsed at once: the config's largest field (the HTML body, 100,000) with room to spare. */
  parseLimit: 200_000,
  /** Milliseconds per render, checked between tags and loop iterations. */
  renderLimit: 500,
  /**
   * Milliseconds for validation's one trial render. The limit is wall-clock time, so a busy machine can stall an
   * ordinary template past 500 ms; refusing a good config for that is worse than a slow check, and the night's own
   * limit (with the render breaker) still stops a template that is merely slow.
   */
  validationRenderLimit: 5_000,
  /** Liquid's allocation units (characters of strings built by filters, items of ranges and arrays). */
  memoryLimit: 5_000_000,
  /** Characters of rendered output per part: more than any email client shows (Gmail clips at about 100 KB). */
  outputLimit: 1_000_000,
} as const;

function engine(options: { outputEscape?: 'escape' } = {}): Liquid {
  const liquid = new Liquid({
    // Strict variables and filters, so a typo in a template fails validation instead of sending "Hi ," at 2 a.m.
    strictVariables: true,
    strictFilters: true,
    fs: noFileSystem,
    root: [],
    partials: [],
    layouts: [],
    relativeReference: false,
    dynamicPartials: false,
    parseLimit: templateLimits.parseLimit,
    renderLimit: templateLimits.renderLimit,
    memoryLimit: templateLimits.memoryLimit,
    ...options,
  });
  for (const name of fileTags) liquid.registerTag(name, RefusedFileTag);
  return liquid;
}

/** Liquid, the language Shopify merchants already write themes in. */
const strictEngine = engine();
const htmlEngine = engine({ outputEscape: 'escape' });

/**
 * Parsed templates by source text. Liquid's own `cache` option only caches templates read from files, so every
 * email parsed its campaign's templates again; a night renders a handful of templates thousands of times.
 */
const parsedLimit = 500;
const parsed = new Map<Liquid, Map<string, Template[]>>([
  [strictEngine, new Map()],
  [htmlEngine, new Map()],
]);

function parse(engine: Liquid, source: string): Template[] {
  const cache = parsed.get(engine)!;
  let template = cache.get(source);
  if (!template) {
    template = engine.parse(source);
    // Config versions come and go: a bounded cache that starts over rather than grows.
    if (cache.size >= parsedLimit) cache.clear();
    cache.set(source, template);
  }
  return template;
}

export class TemplateTooLargeError extends Error {
  constructor(length: number) {
    super(`the rendered template has ${length} characters, more than the ${templateLimits.outputLimit} allowed`);
    this.name = 'TemplateTooLargeError';
  }
}

function render(engine: Liquid, source: string, context: Record<string, unknown>, renderLimit: number): string {
  const output = engine.renderSync(parse(engine, source), context, { renderLimit }) as string;
  if (output.length > templateLimits.outputLimit) throw new TemplateTooLargeError(output.length);
  return output;
}

export interface EmailContent {
  readonly subject: string;
  readonly preheader?: string | undefined;
  readonly html: string;
  readonly text: string;
}

export interface TemplateVariables {
  readonly customer: { readonly first_name: string; readonly last_products: readonly string[] };
  readonly offer: { readonly kind: string; readonly value: number; readonly text: string; readonly code: string; readonly expires_on: string };
  readonly shop: {
    readonly name: string;
    readonly postal_address: string;
    /** The storefront's home page with UTM tags; '' when the config names none. */
    readonly url: string;
    readonly logo_url: string;
    readonly brand_color: string;
    readonly footer: string;
  };
  readonly campaign: { readonly id: string; readonly name: string };
  readonly unsubscribe_url: string;
  /** Links into the shop, with UTM tags: `cta` applies the offer's code where the platform can (see shop-links.ts). */
  readonly links: { readonly shop: string; readonly cta: string };
  /** Products for this customer (see recommendations.ts); empty when the shop's orders name none yet. */
  readonly recommendations: readonly { readonly title: string; readonly price: string; readonly image_url: string; readonly url: string }[];
  /** The one-question survey: each answer is a signed one-click link; no answers when the campaign has it off. */
  readonly feedback: { readonly question: string; readonly answers: readonly { readonly code: string; readonly label: string; readonly url: string }[] };
}

export interface RenderedEmail {
  readonly subject: string;
  readonly html: string;
  readonly text: string;
}

/** `renderLimit` is in milliseconds per part: the night's tight bound unless validation asks for its own. */
export function renderEmail(content: EmailContent, variables: TemplateVariables, renderLimit: number = templateLimits.renderLimit): RenderedEmail {
  const context = variables as unknown as Record<string, unknown>;
  const preheader = content.preheader ? render(strictEngine, content.preheader, context, renderLimit) : '';
  const body = render(htmlEngine, content.html, context, renderLimit);
  return {
    subject: singleLine(render(strictEngine, content.subject, context, renderLimit)),
    html: preheader ? withPreheader(body, hiddenPreheader(preheader)) : body,
    text: render(strictEngine, content.text, context, renderLimit),
  };
}

/** A subject is one header line: line breaks from a name or a template must never start a new header. */
export function singleLine(text: string): string {
  return text
    .replace(/[\r\n\u2028\u2029]+/g, ' ')
    .replace(/\s{2,}/g, ' ')
    .trim();
}

function hiddenPreheader(text: string): string {
  const escaped = text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
  // Mail clients show the first text of the body after the subject: padding keeps the body's own text out of it.
  return `<div style="display:none;font-size:1px;line-height:1px;max-height:0;max-width:0;opacity:0;overflow:hidden;mso-hide:all">${escaped}${'&#847;&zwnj;&nbsp;'.repeat(40)}</div>`;
}

/** The preheader goes first in the body: right after `<body ...>` in a whole document, else before everything. */
function withPreheader(body: string, preheader: string): string {
  const start = /<body\b[^>]*>/i.exec(body);
  if (!start) return `${preheader}${body}`;
  const at = start.index + start[0].length;
  return `${body.slice(0, at)}${preheader}${body.slice(at)}`;
}

/** The survey's question and answers; with `enabled` false, the question and no answers (templates test `feedback.answers.size`). */
export function feedbackVariables(urlFor: (answerCode: string) => string, enabled = true): TemplateVariables['feedback'] {
  if (!enabled) return { question: emailFeedbackQuestion, answers: [] };
  return {
    question: emailFeedbackQuestion,
    answers: emailFeedbackAnswers.map((answer) => ({ code: answer.code, label: answer.label, url: urlFor(answer.code) })),
  };
}

/** What every marketing email must show, in its HTML and its text part alike (CAN-SPAM, RFC 8058, GDPR Art. 21). */
export const requiredParts = [
  { path: ['unsubscribe_url'], name: '{{ unsubscribe_url }}', what: 'the unsubscribe link' },
  { path: ['shop', 'postal_address'], name: '{{ shop.postal_address }}', what: "the shop's postal address" },
] as const;

type RequiredPart = (typeof requiredParts)[number];

/** Filters that leave a value's text as it is, save for escaping and outer whitespace. */
const keepingFilters: ReadonlySet<string> = new Set(['escape', 'escape_once', 'strip', 'raw']);

/** What a run of templates certainly shows, and whether a `break`/`continue` in it may cut short what follows. */
interface Shown {
  readonly parts: ReadonlySet<RequiredPart>;
  readonly mayStop: boolean;
}

const nothing: Shown = { parts: new Set(), mayStop: false };

/**
 * What a template certainly shows, on every path through it: a part counts only when each branch of every `if`,
 * `unless` and `case` around it shows it (a missing `else` is a branch that shows nothing), and inside a `for` only
 * when its `else` shows it too and no `limit`, `offset`, `break` or `continue` can leave the loop body out. Text
 * that merely looks like the link (a pasted URL, a `capture`, a `raw` block) does not count: only the variable does.
 */
function shownBy(templates: readonly Template[]): Shown {
  const parts = new Set<RequiredPart>();
  let mayStop = false;
  for (const template of templates) {
    const shown = shownByOne(template);
    // After a `break` or `continue` that may run, nothing later in this run is certain to show.
    if (!mayStop) for (const part of shown.parts) parts.add(part);
    mayStop ||= shown.mayStop;
  }
  return { parts, mayStop };
}

function shownByOne(template: Template): Shown {
  if (template instanceof Output) return { parts: partsOf(template.value), mayStop: false };
  if (template instanceof EchoTag) {
    const value = (template as unknown as { value?: Value }).value;
    return { parts: value ? partsOf(value) : new Set(), mayStop: false };
  }
  if (template instanceof IfTag || template instanceof UnlessTag || template instanceof CaseTag) {
    const tag = template as unknown as { branches: { templates: Template[] }[]; elseTemplates?: Template[] };
    return everyBranch([...tag.branches.map((branch) => branch.templates), tag.elseTemplates ?? []]);
  }
  if (template instanceof ForTag) {
    const body = shownBy(template.templates);
    const bounded = Object.keys((template.hash as unknown as { hash: Record<string, unknown> }).hash).some((key) => key === 'limit' || key === 'offset');
    // A loop consumes its own `break` and `continue`.
    if (bounded || body.mayStop) return nothing;
    return { parts: intersect(body.parts, shownBy(template.elseTemplates).parts), mayStop: false };
  }
  if (template instanceof LiquidTag) return shownBy((template as unknown as { templates: Template[] }).templates);
  const name = (template as { name?: string }).name;
  if (name === 'break' || name === 'continue') return { parts: new Set(), mayStop: true };
  // Any other tag with a body (capture, tablerow, block ...) may not show it, or not here: it counts for nothing.
  const nested = (template as { templates?: Template[] }).templates;
  return nested ? { parts: new Set(), mayStop: shownBy(nested).mayStop } : nothing;
}

function everyBranch(branches: readonly Template[][]): Shown {
  const shown = branches.map(shownBy);
  return { parts: shown.map((each) => each.parts).reduce(intersect), mayStop: shown.some((each) => each.mayStop) };
}

function intersect<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): Set<T> {
  return new Set([...a].filter((item) => b.has(item)));
}

/** The HTML engine escapes every output with a filter of its own (named "[object Function]"): that one keeps it too. */
function keepsText(filter: Value['filters'][number]): boolean {
  return keepingFilters.has(filter.name) || (filter as unknown as { handler?: unknown }).handler === htmlEngine.options.outputEscape;
}

function partsOf(value: Value): Set<RequiredPart> {
  const postfix = value.initial.postfix;
  if (postfix.length !== 1 || !value.filters.every(keepsText)) return new Set();
  const path = propertyPath(postfix[0]);
  const part = requiredParts.find((candidate) => path !== undefined && samePath(candidate.path, path));
  return new Set(part ? [part] : []);
}

/** `shop.postal_address` and `shop['postal_address']` alike; undefined for anything computed. */
function propertyPath(token: unknown): string[] | undefined {
  const props = (token as { props?: unknown[] } | undefined)?.props;
  if (!Array.isArray(props)) return undefined;
  const names = props.map((prop) => (prop as { content?: unknown }).content);
  return names.every((name): name is string => typeof name === 'string') ? names : undefined;
}

function samePath(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, index) => name === b[index]);
}

/** Variables a template must not set: a template that assigns `unsubscribe_url` could show anything in its place. */
const protectedNames: ReadonlySet<string> = new Set(requiredParts.map((part) => part.path[0]));

function redefinitions(templates: readonly Template[], found = new Set<string>()): Set<string> {
  for (const template of templates) {
    const assigned =
      template instanceof AssignTag
        ? (template as unknown as { key: string }).key
        : template instanceof CaptureTag || template instanceof IncrementTag || template instanceof DecrementTag
          ? (template as unknown as { variable: string }).variable
          : template instanceof ForTag || template instanceof TablerowTag
            ? (template as unknown as { variable: string }).variable
            : undefined;
    if (assigned !== undefined && protectedNames.has(assigned)) found.add(assigned);
    for (const nested of childrenOf(template)) redefinitions(nested, found);
  }
  return found;
}

function childrenOf(template: Template): Template[][] {
  const tag = template as { templates?: Template[]; elseTemplates?: Template[]; branches?: { templates: Template[] }[] };
  return [
    ...(tag.templates ? [tag.templates] : []),
    ...(tag.elseTemplates ? [tag.elseTemplates] : []),
    ...(tag.branches ?? []).map((branch) => branch.templates),
  ];
}

export type TemplatePart = 'subject' | 'preheader' | 'html' | 'text';

/**
 * Every problem with one template field that needs no customer to see: it does not parse (a file tag among them), it
 * sets a variable it must show, or, for the HTML and text parts, a required part is missing from some branch. Checked
 * on the parsed template, so a link hidden behind `{% if customer.first_name == "Sam" %}` is found, whoever the sample
 * customer is.
 */
export function templateProblems(source: string, part: TemplatePart): string[] {
  let templates: Template[];
  try {
    templates = parse(part === 'html' ? htmlEngine : strictEngine, source);
  } catch (error) {
    return [`template does not parse: ${(error as Error).message}`];
  }
  const problems = [...redefinitions(templates)].map((name) => `must not assign "${name}": the email must show the real one`);
  if (part === 'html' || part === 'text') {
    const shown = shownBy(templates).parts;
    for (const required of requiredParts) {
      if (!shown.has(required))
        problems.push(
          `must show ${required.what} on every branch of the template: include ${required.name} outside any condition or loop (or in every branch)`,
        );
    }
  }
  return problems;
}
