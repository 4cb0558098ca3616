import mjml2html from 'mjml';

/**
 * The shipped email design: one MJML layout, compiled to the table-based, responsive HTML the common mail clients
 * render, with Liquid left in place for everything that differs per shop and per customer (the branding, links,
 * offer, products, survey). It is compiled when the config is written, not when an email is sent: mjml does not
 * bundle for Lambda (html-minifier pulls uglify-js, which resolves files beside itself at load), and a compiled
 * template is ordinary Liquid that the validator checks like any other (required parts on every branch, limits).
 *
 * The text part is written from the same copy, so the two never say different things.
 */
export interface EmailCopy {
  /** The big line at the top of the card (Liquid). */
  readonly headline: string;
  /** Paragraphs of plain text (Liquid; no HTML: the text part shows them as they are). */
  readonly paragraphs: readonly string[];
  /** The button's label; the button opens the shop with the offer's code applied where the platform allows. */
  readonly callToAction: string;
  /** The line over the recommended products. */
  readonly recommendationsTitle?: string;
  /** The sign-off's first line; the shop's name follows it. */
  readonly signOff?: string;
}

export interface DesignedContent {
  readonly html: string;
  readonly text: string;
}

const palette = { page: '#f3f1ec', card: '#ffffff', ink: '#1f2328', muted: '#5f6368' } as const;
const fonts = "-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif";

/** Copy is plain text with Liquid: `<` or `&` outside a Liquid tag would be HTML in one part and text in the other. */
function checkCopy(text: string): string {
  const outsideLiquid = text.replace(/\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/g, '');
  if (/[<>&]/.test(outsideLiquid)) throw new Error(`email copy must be plain text (no <, > or &): ${JSON.stringify(text)}`);
  return text;
}

function mjmlOf(copy: EmailCopy): string {
  const paragraphs = copy.paragraphs.map((paragraph) => `<mj-text>${checkCopy(paragraph)}</mj-text>`).join('\n');
  return `<mjml lang="en">
<mj-head>
  <mj-title>{{ shop.name }}</mj-title>
  <mj-breakpoint width="480px" />
  <mj-attributes>
    <mj-all font-family="${fonts}" />
    <mj-text font-size="16px" line-height="1.55" color="${palette.ink}" padding="6px 28px" />
    <mj-section padding="0" />
  </mj-attributes>
  <mj-style>
    a { color: inherit; }
    .product a { text-decoration: none; }
    @media only screen and (max-width: 479px) {
      .card { padding: 20px 0 !important; }
      .headline div { font-size: 24px !important; }
    }
  </mj-style>
</mj-head>
<mj-body background-color="${palette.page}" width="600px">
  <mj-section padding="28px 0 16px">
    <mj-column>
      <mj-raw>{% if shop.logo_url != '' %}</mj-raw>
      <mj-image src="{{ shop.logo_url }}" alt="{{ shop.name }}" width="160px" padding="0 28px" />
      <mj-raw>{% else %}</mj-raw>
      <mj-text align="center" font-size="22px" font-weight="700" letter-spacing="0.5px" color="{{ shop.brand_color }}">{{ shop.name }}</mj-text>
      <mj-raw>{% endif %}</mj-raw>
    </mj-column>
  </mj-section>
  <mj-section background-color="${palette.card}" padding="28px 0 20px" css-class="card" border-radius="10px">
    <mj-column>
      <mj-text css-class="headline" font-size="28px" font-weight="700" line-height="1.25" padding="6px 28px 14px">${checkCopy(copy.headline)}</mj-text>
      <mj-text>Hi {{ customer.first_name }},</mj-text>
${paragraphs}
      <mj-raw>{% if offer.kind != 'none' %}</mj-raw>
      <mj-text align="center" padding="18px 28px 6px"><div style="border:2px dashed {{ shop.brand_color }};border-radius:8px;padding:14px 12px"><div style="font-size:20px;font-weight:700">{{ offer.text }}</div><div style="margin-top:6px">with code <strong style="font-family:Menlo, Consolas, monospace;font-size:18px;letter-spacing:1px">{{ offer.code }}</strong></div><div style="color:${palette.muted};font-size:14px;margin-top:4px">valid until {{ offer.expires_on }}</div></div></mj-text>
      <mj-raw>{% endif %}</mj-raw>
      <mj-raw>{% if links.cta != '' %}</mj-raw>
      <mj-button href="{{ links.cta }}" background-color="{{ shop.brand_color }}" color="#ffffff" font-size="17px" font-weight="700" border-radius="6px" inner-padding="14px 28px" padding="18px 28px 8px" width="100%">${checkCopy(copy.callToAction)}</mj-button>
      <mj-raw>{% endif %}</mj-raw>
      <mj-text padding="18px 28px 6px">${checkCopy(copy.signOff ?? 'Warmly,')}<br>{{ shop.name }}</mj-text>
    </mj-column>
  </mj-section>
  <mj-raw>{% if recommendations.size > 0 %}</mj-raw>
  <mj-section padding="24px 0 4px">
    <mj-column>
      <mj-text font-size="18px" font-weight="700" align="center">${checkCopy(copy.recommendationsTitle ?? 'You might also like')}</mj-text>
    </mj-column>
  </mj-section>
  <mj-section padding="0 12px">
    <mj-raw>{% for product in recommendations limit: 3 %}</mj-raw>
    <mj-column width="33.33%" padding="6px">
      <mj-raw>{% if product.image_url != '' %}</mj-raw>
      <mj-image src="{{ product.image_url }}" alt="{{ product.title }}" href="{{ product.url }}" border-radius="6px" padding="0 0 8px" />
      <mj-raw>{% endif %}</mj-raw>
      <mj-text css-class="product" align="center" font-size="15px" line-height="1.4" padding="0 4px 14px">{% if product.url != '' %}<a href="{{ product.url }}" style="color:${palette.ink};text-decoration:none">{{ product.title }}</a>{% else %}{{ product.title }}{% endif %}<br><span style="color:${palette.muted}">{{ product.price }}</span>{% if product.url != '' %}<br><a href="{{ product.url }}" style="color:{{ shop.brand_color }};font-weight:700;font-size:14px">View</a>{% endif %}</mj-text>
    </mj-column>
    <mj-raw>{% endfor %}</mj-raw>
  </mj-section>
  <mj-raw>{% endif %}</mj-raw>
  <mj-raw>{% if feedback.answers.size > 0 %}</mj-raw>
  <mj-section padding="16px 0 0">
    <mj-column>
      <mj-text align="center" font-size="14px" color="${palette.muted}">{{ feedback.question }}<br>{% for answer in feedback.answers %}<a href="{{ answer.url }}" style="color:{{ shop.brand_color }};white-space:nowrap">{{ answer.label }}</a>{% unless forloop.last %} &middot; {% endunless %}{% endfor %}</mj-text>
    </mj-column>
  </mj-section>
  <mj-raw>{% endif %}</mj-raw>
  <mj-section padding="20px 0 32px">
    <mj-column>
      <mj-text align="center" font-size="12px" line-height="1.6" color="${palette.muted}">{% if shop.footer != '' %}{{ shop.footer }}<br>{% endif %}{{ shop.name }} &middot; {{ shop.postal_address }}<br>You receive this because you shopped with us. <a href="{{ unsubscribe_url }}" style="color:${palette.muted}">Unsubscribe</a> with one click.{% if links.shop != '' %} &middot; <a href="{{ links.shop }}" style="color:${palette.muted}">Visit {{ shop.name }}</a>{% endif %}</mj-text>
    </mj-column>
  </mj-section>
</mj-body>
</mjml>`;
}

function textOf(copy: EmailCopy): string {
  return [
    'Hi {{ customer.first_name }},',
    '',
    ...copy.paragraphs.flatMap((paragraph) => [paragraph, '']),
    "{% if offer.kind != 'none' %}{{ offer.text }} with code {{ offer.code }}, valid until {{ offer.expires_on }}.",
    '',
    `{% endif %}{% if links.cta != '' %}${copy.callToAction}: {{ links.cta }}`,
    '',
    `{% endif %}{% if recommendations.size > 0 %}${copy.recommendationsTitle ?? 'You might also like'}:`,
    "{% for product in recommendations limit: 3 %}- {{ product.title }}, {{ product.price }}{% if product.url != '' %}: {{ product.url }}{% endif %}",
    '{% endfor %}',
    `{% endif %}${copy.signOff ?? 'Warmly,'}`,
    '{{ shop.name }}',
    '{% if feedback.answers.size > 0 %}',
    '{{ feedback.question }}',
    '{% for answer in feedback.answers %}- {{ answer.label }}: {{ answer.url }}',
    '{% endfor %}{% endif %}',
    '--',
    "{% if shop.footer != '' %}{{ shop.footer }}",
    '{% endif %}{{ shop.name }} · {{ shop.postal_address }}',
    'Unsubscribe with one click: {{ unsubscribe_url }}',
    '',
  ].join('\n');
}

interface MjmlResult {
  readonly html: string;
  readonly errors: readonly { readonly message: string; readonly formattedMessage: string }[];
}

/** Problems MJML reports that are only Liquid where it expects a value (a colour, a URL): the render fills them in. */
const liquidValue = /has invalid value: .*\{\{/;

/** The step's HTML and text templates, from its copy, in the shipped design. */
export function designEmail(copy: EmailCopy): DesignedContent {
  // mjml 4 compiles synchronously; @types/mjml describes mjml 5, which returns a promise.
  const compiled = mjml2html(mjmlOf(copy), { validationLevel: 'soft', minify: false, keepComments: false, beautify: false }) as unknown as MjmlResult;
  const problems = compiled.errors.filter((error) => !liquidValue.test(error.message));
  if (problems.length > 0) throw new Error(`the email design does not compile: ${problems.map((error) => error.formattedMessage).join('; ')}`);
  // Blank lines and indentation are most of MJML's unminified output: a smaller template, the same email.
  const html = compiled.html
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join('\n');
  return { html, text: textOf(copy) };
}
