import { GraphqlFieldError, type ShopifyGraphqlFake } from './shopify-graphql.js';

/**
 * The discount and webhook parts of the Shopify GraphQL Admin API, on the protocol fake, as shopify.dev documents them:
 * - discountCodeBasicCreate(basicCodeDiscount) / discountCodeFreeShippingCreate(freeShippingCodeDiscount): a code
 *   discount with its first code; a code already used anywhere in the shop is a userError (code TAKEN);
 * - discountRedeemCodeBulkAdd(discountId, codes): at most 250 codes; answers a DiscountRedeemCodeBulkCreation at once
 *   and creates the codes asynchronously; discountRedeemCodeBulkCreation(id) tells `done` and, code by code,
 *   `discountRedeemCode` or `errors` (TAKEN for a code that exists);
 * - codeDiscountNodeByCode(code), codeDiscountNodes(query), discountCodeDelete(id);
 * - webhookSubscriptions(first), webhookSubscriptionCreate(topic, webhookSubscription: {uri, format}).
 * Each code remembers when it was created, so a test can tell it existed before the email that carries it was sent.
 */
export interface FakeDiscount {
  readonly id: string;
  readonly kind: 'basic' | 'free_shipping';
  readonly input: Record<string, any>;
  readonly title: string;
  readonly endsAt: string | null;
  readonly codes: Map<string, { readonly id: string; readonly createdAt: number }>;
  asyncUsageCount: number;
}

export interface DiscountFakeOptions {
  /** Polls of a bulk creation that still answer `done: false`. */
  readonly pollsUntilDone?: number;
  /** Codes that fail inside a bulk creation (a failure in the middle of a batch). */
  readonly failingCodes?: (code: string) => boolean;
  /** Every discount mutation fails with this userError (a shop that refuses discounts). */
  readonly refuseDiscounts?: { code: string; message: string };
}

export class ShopifyDiscountStore {
  readonly discounts = new Map<string, FakeDiscount>();
  /** Every code in the shop (codes are unique shop-wide), to its discount. */
  readonly codeOwners = new Map<string, string>();
  readonly bulkCreations = new Map<
    string,
    {
      discountId: string;
      codes: { code: string }[];
      pollsLeft: number;
      result?: { code: string; errors: { field: string[]; code: string; message: string }[]; discountRedeemCode: { id: string; code: string } | null }[];
    }
  >();
  readonly webhooks: { id: string; topic: string; uri: string; format: string }[] = [];
  private sequence = 1;

  constructor(
    private readonly fake: ShopifyGraphqlFake,
    public options: DiscountFakeOptions = {},
  ) {}

  /** The discount a code belongs to, with the code's own record. */
  find(code: string): { discount: FakeDiscount; createdAt: number } | undefined {
    const owner = this.codeOwners.get(code.toUpperCase());
    const discount = owner ? this.discounts.get(owner) : undefined;
    const record = discount?.codes.get(code.toUpperCase());
    return discount && record ? { discount, createdAt: record.createdAt } : undefined;
  }

  install(): this {
    const createDiscount =
      (kind: FakeDiscount['kind'], argument: string) =>
      ({ variables }: { variables: Record<string, unknown> }) => {
        if (!this.fake.scopes.includes('write_discounts'))
          throw new GraphqlFieldError('Access denied for discountCodeBasicCreate field. Required access: `write_discounts` access scope.', 'ACCESS_DENIED');
        const input = (variables.discount ?? variables[argument]) as Record<string, any>;
        if (this.options.refuseDiscounts) return { codeDiscountNode: null, userErrors: [{ field: [argument], ...this.options.refuseDiscounts }] };
        const code = String(input?.code ?? '').toUpperCase();
        if (!code || !input?.title)
          return { codeDiscountNode: null, userErrors: [{ field: [argument, code ? 'title' : 'code'], code: 'BLANK', message: "can't be blank" }] };
        if (this.codeOwners.has(code))
          return {
            codeDiscountNode: null,
            userErrors: [{ field: [argument, 'code'], code: 'TAKEN', message: 'Code must be unique. Please try a different code.' }],
          };
        const id = `gid://shopify/DiscountCodeNode/${this.sequence++}`;
        const discount: FakeDiscount = {
          id,
          kind,
          input,
          title: input.title,
          endsAt: input.endsAt ?? null,
          codes: new Map([[code, { id: `gid://shopify/DiscountRedeemCode/${this.sequence++}`, createdAt: Date.now() }]]),
          asyncUsageCount: 0,
        };
        this.discounts.set(id, discount);
        this.codeOwners.set(code, id);
        return { codeDiscountNode: { id }, userErrors: [] };
      };
    this.fake.resolve('discountCodeBasicCreate', createDiscount('basic', 'basicCodeDiscount'));
    this.fake.resolve('discountCodeFreeShippingCreate', createDiscount('free_shipping', 'freeShippingCodeDiscount'));

    this.fake.resolve('discountRedeemCodeBulkAdd', ({ variables }) => {
      const discountId = String(variables.discountId);
      const codes = (variables.codes ?? []) as { code: string }[];
      if (!this.discounts.has(discountId))
        return { bulkCreation: null, userErrors: [{ field: ['discountId'], code: 'INVALID', message: 'Discount does not exist' }] };
      if (codes.length > 250)
        return { bulkCreation: null, userErrors: [{ field: ['codes'], code: 'TOO_MANY_ARGUMENTS', message: 'Codes exceed the maximum of 250' }] };
      const id = `gid://shopify/DiscountRedeemCodeBulkCreation/${this.sequence++}`;
      this.bulkCreations.set(id, { discountId, codes: codes.map((entry) => ({ code: String(entry.code) })), pollsLeft: this.options.pollsUntilDone ?? 1 });
      return { bulkCreation: { id }, userErrors: [] };
    });

    this.fake.resolve(
      'discountRedeemCodeBulkCreation',
      ({ variables }) => {
        const creation = this.bulkCreations.get(String(variables.id));
        if (!creation) return null;
        if (creation.pollsLeft > 0) {
          creation.pollsLeft -= 1;
          // The codes appear only once the job ran: until then, done is false and no code exists.
          return { id: variables.id, done: false, codesCount: creation.codes.length, importedCount: 0, failedCount: 0, codes: { nodes: [] } };
        }
        const discount = this.discounts.get(creation.discountId)!;
        // The job runs once; later polls read its result.
        creation.result ??= creation.codes.map((entry) => {
          const code = entry.code.toUpperCase();
          if (this.codeOwners.has(code))
            return {
              code: entry.code,
              errors: [{ field: ['code'], code: 'TAKEN', message: 'Code must be unique. Please try a different code.' }],
              discountRedeemCode: null,
            };
          if (this.options.failingCodes?.(entry.code))
            return { code: entry.code, errors: [{ field: ['code'], code: 'INVALID', message: 'Code is invalid' }], discountRedeemCode: null };
          const record = { id: `gid://shopify/DiscountRedeemCode/${this.sequence++}`, createdAt: Date.now() };
          discount.codes.set(code, record);
          this.codeOwners.set(code, discount.id);
          return { code: entry.code, errors: [], discountRedeemCode: { id: record.id, code: entry.code } };
        });
        const nodes = creation.result;
        return {
          id: variables.id,
          done: true,
          codesCount: nodes.length,
          importedCount: nodes.filter((node) => node.discountRedeemCode).length,
          failedCount: nodes.filter((node) => !node.discountRedeemCode).length,
          codes: { nodes },
        };
      },
      { cost: 12 },
    );

    this.fake.resolve('codeDiscountNodeByCode', ({ variables }) => {
      const owner = this.codeOwners.get(String(variables.code).toUpperCase());
      return owner ? { id: owner } : null;
    });

    this.fake.resolve('codeDiscountNodes', ({ variables }) => {
      const query = String(variables.query ?? '');
      const prefix = /title:([^\s*]+)\*/.exec(query)?.[1];
      const expired = /status:expired/.test(query);
      const nodes = [...this.discounts.values()]
        .filter(
          (discount) =>
            (!prefix || discount.title.startsWith(prefix)) && (!expired || (discount.endsAt !== null && discount.endsAt < new Date().toISOString())),
        )
        .map((discount) => ({
          id: discount.id,
          codeDiscount: {
            __typename: discount.kind === 'basic' ? 'DiscountCodeBasic' : 'DiscountCodeFreeShipping',
            title: discount.title,
            endsAt: discount.endsAt,
            asyncUsageCount: discount.asyncUsageCount,
          },
        }));
      return { nodes, pageInfo: { hasNextPage: false, endCursor: null } };
    });

    this.fake.resolve('discountCodeDelete', ({ variables }) => {
      const discount = this.discounts.get(String(variables.id));
      if (!discount) return { deletedCodeDiscountId: null, userErrors: [{ field: ['id'], code: 'INVALID', message: 'Discount does not exist' }] };
      for (const code of discount.codes.keys()) this.codeOwners.delete(code);
      this.discounts.delete(discount.id);
      return { deletedCodeDiscountId: discount.id, userErrors: [] };
    });

    this.fake.resolve('webhookSubscriptions', () => ({ nodes: this.webhooks.map((hook) => ({ ...hook })), pageInfo: { hasNextPage: false, endCursor: null } }));
    this.fake.resolve('webhookSubscriptionCreate', ({ variables }) => {
      const topic = String(variables.topic);
      const input = (variables.webhookSubscription ?? {}) as { uri?: string; format?: string };
      if (!input.uri) return { webhookSubscription: null, userErrors: [{ field: ['webhookSubscription', 'uri'], message: "Address can't be blank" }] };
      if (this.webhooks.some((hook) => hook.topic === topic && hook.uri === input.uri)) {
        return {
          webhookSubscription: null,
          userErrors: [{ field: ['webhookSubscription', 'callbackUrl'], message: 'Address for this topic has already been taken' }],
        };
      }
      const hook = { id: `gid://shopify/WebhookSubscription/${this.sequence++}`, topic, uri: input.uri, format: input.format ?? 'JSON' };
      this.webhooks.push(hook);
      return { webhookSubscription: hook, userErrors: [] };
    });
    return this;
  }
}

/** The discount and webhook resolvers installed on a fake. */
export function installShopifyDiscounts(fake: ShopifyGraphqlFake, options: DiscountFakeOptions = {}): ShopifyDiscountStore {
  return new ShopifyDiscountStore(fake, options).install();
}
