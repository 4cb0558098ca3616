import { Liquid } from 'liquidjs';
import { feedbackAnswers, feedbackQuestion } from './feedback.js';

/**
 * Liquid, the language Shopify merchants already write themes in. Strict variables and filters, so a typo in a
 * template fails validation instead of sending "Hi ," at 2 a.m.
 */
const strictEngine = new Liquid({ strictVariables: true, strictFilters: true });
const htmlEngine = new Liquid({ strictVariables: true, strictFilters: true, outputEscape: 'escape' });

/**
 * Parsed templates by source text. Liquid's own `cache` option only caches templates read from files, so every
 * email parsed its campaign's templates again; a night renders a handful of templates thousands of times.
 */
const parsedLimit = 500;
const parsed = new Map<Liquid, Map<string, ReturnType<Liquid['parse']>>>([
  [strictEngine, new Map()],
  [htmlEngine, new Map()],
]);

function render(engine: Liquid, source: string, context: Record<string, unknown>): string {
  const cache = parsed.get(engine)!;
  let template = cache.get(source);
  if (!template) {
    template = engine.parse(source);
    // Config versions come and go: a bounded cache that starts over rather than grows.
    if (cache.size >= parsedLimit) cache.clear();
    cache.set(source, template);
  }
  return engine.renderSync(template, context) as string;
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
  readonly shop: { readonly name: string; readonly postal_address: string };
  readonly campaign: { readonly id: string; readonly name: string };
  readonly unsubscribe_url: string;
  /** The one-question survey: each answer is a signed one-click link. */
  readonly feedback: { readonly question: string; readonly answers: readonly { readonly code: string; readonly label: string; readonly url: string }[] };
}

export interface RenderedEmail {
  readonly subject: string;
  readonly html: string;
  readonly text: string;
}

export function renderEmail(content: EmailContent, variables: TemplateVariables): RenderedEmail {
  const context = variables as unknown as Record<string, unknown>;
  const preheader = content.preheader ? render(strictEngine, content.preheader, context) : '';
  const body = render(htmlEngine, content.html, context);
  return {
    subject: singleLine(render(strictEngine, content.subject, context)),
    html: preheader ? `${hiddenPreheader(preheader)}${body}` : body,
    text: render(strictEngine, content.text, context),
  };
}

/** A subject is one header line: line breaks from a name or a template must never start a new header. */
export function singleLine(text: string): string {
  return text.replace(/[\r\n\u2028\u2029]+/g, ' ').replace(/\s{2,}/g, ' ').trim();
}

function hiddenPreheader(text: string): string {
  const escaped = text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
  return `<div style="display:none;max-height:0;overflow:hidden">${escaped}</div>`;
}

export function feedbackVariables(urlFor: (answerCode: string) => string): TemplateVariables['feedback'] {
  return { question: feedbackQuestion, answers: feedbackAnswers.map((answer) => ({ code: answer.code, label: answer.label, url: urlFor(answer.code) })) };
}
