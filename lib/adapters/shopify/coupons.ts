import { addDays, instantAt } from '../../domain/dates.js';
import { toDecimalString } from '../../domain/money.js';
import { localCouponCode } from '../../domain/offers.js';
import type { CouponHousekeeping } from '../../ports/coupons.js';
import type { PlatformCode, PlatformCoupons, PlatformResult } from '../coupons/platform.js';
import { type ShopifyAdminClient, ShopifyApiError } from './admin-client.js';

/** discountRedeemCodeBulkAdd takes at most 250 codes a call. */
export const shopifyCodesPerCall = 250;

const discountFields = 'userErrors { field code message } codeDiscountNode { id }';
const createBasic = `mutation WinbackDiscount($discount: DiscountCodeBasicInput!) { discountCodeBasicCreate(basicCodeDiscount: $discount) { ${discountFields} } }`;
const createFreeShipping = `mutation WinbackFreeShipping($discount: DiscountCodeFreeShippingInput!) { discountCodeFreeShippingCreate(freeShippingCodeDiscount: $discount) { ${discountFields} } }`;
const findByCode = 'query WinbackDiscountByCode($code: String!) { codeDiscountNodeByCode(code: $code) { id } }';
const bulkAdd =
  'mutation WinbackCodes($discountId: ID!, $codes: [DiscountRedeemCodeInput!]!) { discountRedeemCodeBulkAdd(discountId: $discountId, codes: $codes) { bulkCreation { id } userErrors { field code message } } }';
// `first` is the batch's size: the bucket must hold a query's requested cost, which grows with it.
const bulkStatus = `query WinbackCodesStatus($id: ID!, $first: Int!) { discountRedeemCodeBulkCreation(id: $id) { id done codesCount importedCount failedCount codes(first: $first) { nodes { code errors { field code message } discountRedeemCode { id code } } } } }`;
const listDiscounts =
  'query WinbackDiscounts($query: String!, $after: String) { codeDiscountNodes(first: 50, query: $query, after: $after) { nodes { id codeDiscount { __typename ... on DiscountCodeBasic { title endsAt asyncUsageCount } ... on DiscountCodeFreeShipping { title endsAt asyncUsageCount } } } pageInfo { hasNextPage endCursor } } }';
const deleteDiscount = 'mutation WinbackDeleteDiscount($id: ID!) { discountCodeDelete(id: $id) { deletedCodeDiscountId userErrors { field code message } } }';

/** Every discount Winback makes has a title starting so: housekeeping finds them by it and touches nothing else. */
export const discountTitlePrefix = 'Winback';

interface UserError {
  readonly field?: readonly string[] | null;
  readonly code?: string | null;
  readonly message: string;
}

/**
 * Codes in Shopify: one code discount per campaign, step, arm, offer and expiry (its title says which), limited to one
 * use per code and per customer, ending when the offer does; the night's unique codes are added to it in bulk
 * (discountRedeemCodeBulkAdd, asynchronous: its result is read back, code by code). The discount itself is created
 * with a code of its own derived from its key (never emailed), so a retried night finds it again by that code.
 */
export class ShopifyCoupons implements PlatformCoupons, CouponHousekeeping {
  readonly name = 'shopify';
  readonly maxBatch = shopifyCodesPerCall;
  private readonly discounts = new Map<string, Promise<string>>();

  constructor(
    private readonly client: ShopifyAdminClient,
    private readonly options: {
      readonly secret: string;
      readonly timeZone: string;
      readonly currency: string;
      readonly now?: () => Date;
      readonly sleep?: (ms: number) => Promise<void>;
      /** How long to wait for a bulk creation to finish before the codes count as not confirmed. */
      readonly bulkPatienceMs?: number;
    },
  ) {}

  async create(codes: readonly PlatformCode[]): Promise<Map<string, PlatformResult>> {
    const results = new Map<string, PlatformResult>();
    const groups = new Map<string, PlatformCode[]>();
    for (const code of codes) {
      const key = discountKey(code);
      groups.set(key, [...(groups.get(key) ?? []), code]);
    }
    await Promise.all(
      [...groups.values()].map(async (group) => {
        try {
          const discountId = await this.discountFor(group[0]!);
          for (let start = 0; start < group.length; start += shopifyCodesPerCall) {
            const chunk = group.slice(start, start + shopifyCodesPerCall);
            for (const [code, result] of await this.addCodes(
              discountId,
              chunk.map((entry) => entry.code),
            ))
              results.set(code, result);
          }
        } catch (error) {
          const reason = `shopify:${error instanceof ShopifyApiError ? error.code : 'error'}`;
          for (const entry of group) if (!results.has(entry.code)) results.set(entry.code, { ok: false, reason });
        }
      }),
    );
    return results;
  }

  /** Deletes Winback's discounts that ended before `expiredBefore` (with all their codes): used ones stay on their orders. */
  async removeExpired(expiredBefore: string): Promise<{ removed: number }> {
    let removed = 0;
    let after: string | undefined;
    for (;;) {
      const data = await this.client.request<{
        codeDiscountNodes: {
          nodes: { id: string; codeDiscount: { title?: string; endsAt?: string | null } }[];
          pageInfo: { hasNextPage: boolean; endCursor?: string };
        };
      }>(listDiscounts, { query: `title:${discountTitlePrefix}* AND status:expired`, ...(after ? { after } : {}) }, 50);
      const page = data.codeDiscountNodes;
      for (const node of page.nodes) {
        const { title, endsAt } = node.codeDiscount ?? {};
        // The search narrows; this decides: only Winback's own, only past the grace period.
        if (!title?.startsWith(`${discountTitlePrefix} `) || !endsAt || endsAt >= expiredBefore) continue;
        const deleted = await this.client.request<{ discountCodeDelete: { deletedCodeDiscountId?: string | null; userErrors: UserError[] } }>(deleteDiscount, {
          id: node.id,
        });
        if (deleted.discountCodeDelete.deletedCodeDiscountId) removed += 1;
      }
      if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor) break;
      after = page.pageInfo.endCursor;
    }
    return { removed };
  }

  private discountFor(code: PlatformCode): Promise<string> {
    const key = discountKey(code);
    let known = this.discounts.get(key);
    if (!known) {
      known = this.findOrCreateDiscount(code);
      known.catch(() => this.discounts.delete(key));
      this.discounts.set(key, known);
    }
    return known;
  }

  private async findOrCreateDiscount({ request }: PlatformCode): Promise<string> {
    const anchor = localCouponCode(request.prefix, `discount:${discountKey({ request })}`, this.options.secret);
    const endsAt = instantAt(addDays(request.expiresOn, 1), 0, request.shop?.timeZone ?? this.options.timeZone).toISOString();
    const common = {
      title: `${discountTitlePrefix} ${request.send.campaignId} step ${request.send.step + 1} ${request.arm ?? 'control'} ${describe(request.offer, this.options.currency)} until ${request.expiresOn}`,
      code: anchor,
      startsAt: (this.options.now?.() ?? new Date()).toISOString(),
      endsAt,
      customerSelection: { all: true },
      // For a discount with many codes, the usage limit applies to each code.
      usageLimit: 1,
      appliesOncePerCustomer: true,
    };
    const freeShipping = request.offer.kind === 'free_shipping';
    const variables = freeShipping
      ? { discount: { ...common, destination: { all: true } } }
      : {
          discount: {
            ...common,
            customerGets: {
              items: { all: true },
              value:
                request.offer.kind === 'percent'
                  ? { percentage: request.offer.value / 100 }
                  : {
                      discountAmount: {
                        amount: toDecimalString(request.offer.value, request.shop?.currency ?? this.options.currency),
                        appliesOnEachItem: false,
                      },
                    },
            },
          },
        };
    const data = await this.client.request<Record<string, { userErrors: UserError[]; codeDiscountNode?: { id: string } | null }>>(
      freeShipping ? createFreeShipping : createBasic,
      variables,
    );
    const payload = data[freeShipping ? 'discountCodeFreeShippingCreate' : 'discountCodeBasicCreate']!;
    if (payload.codeDiscountNode?.id) return payload.codeDiscountNode.id;
    // Made by an earlier attempt (a retried night): its code is taken, and it is ours.
    const existing = await this.client.request<{ codeDiscountNodeByCode?: { id: string } | null }>(findByCode, { code: anchor }, 2);
    if (existing.codeDiscountNodeByCode?.id) return existing.codeDiscountNodeByCode.id;
    const first = payload.userErrors[0];
    throw new ShopifyApiError(`discount not created: ${first?.message ?? 'no id'}`, first?.code ?? 'discount_not_created', false);
  }

  private async addCodes(discountId: string, codes: readonly string[]): Promise<Map<string, PlatformResult>> {
    const results = new Map<string, PlatformResult>();
    const added = await this.client.request<{ discountRedeemCodeBulkAdd: { bulkCreation?: { id: string } | null; userErrors: UserError[] } }>(bulkAdd, {
      discountId,
      codes: codes.map((code) => ({ code })),
    });
    const bulkCreation = added.discountRedeemCodeBulkAdd.bulkCreation;
    if (!bulkCreation?.id) {
      const reason = `shopify:${added.discountRedeemCodeBulkAdd.userErrors[0]?.code ?? 'bulk_add_refused'}`;
      for (const code of codes) results.set(code, { ok: false, reason });
      return results;
    }
    const status = await this.finished(bulkCreation.id, codes.length);
    const reported = new Map(status.codes.nodes.map((node) => [node.code, node]));
    const retaken: string[] = [];
    for (const code of codes) {
      const node = reported.get(code);
      if (node?.discountRedeemCode) results.set(code, { ok: true });
      else if (node?.errors.some((error) => error.code === 'TAKEN' || /taken|already|unique/i.test(error.message))) retaken.push(code);
      else results.set(code, { ok: false, reason: `shopify:${node?.errors[0]?.code ?? 'not_created'}` });
    }
    // Already there: a retried night's code, which counts only if it belongs to this very discount.
    for (const code of retaken) {
      const found = await this.client.request<{ codeDiscountNodeByCode?: { id: string } | null }>(findByCode, { code }, 2);
      results.set(code, found.codeDiscountNodeByCode?.id === discountId ? { ok: true } : { ok: false, reason: 'shopify:code_taken' });
    }
    return results;
  }

  private async finished(id: string, count: number) {
    type Status = { done: boolean; codes: { nodes: { code: string; errors: UserError[]; discountRedeemCode?: { id: string } | null }[] } };
    const sleep = this.options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    const deadline = Date.now() + (this.options.bulkPatienceMs ?? 120_000);
    for (let poll = 0; ; poll += 1) {
      const data = await this.client.request<{ discountRedeemCodeBulkCreation?: Status | null }>(bulkStatus, { id, first: count }, 2 + 2 * count);
      const status = data.discountRedeemCodeBulkCreation;
      if (!status) throw new ShopifyApiError('bulk creation not found', 'bulk_creation_missing', false);
      if (status.done) return status;
      if (Date.now() >= deadline) throw new ShopifyApiError('bulk creation did not finish in time', 'bulk_creation_timeout', true);
      await sleep(Math.min(200 * 2 ** poll, 5_000));
    }
  }
}

/** The discount a code belongs to: one per campaign, step, arm, offer and last day. */
function discountKey({ request }: Pick<PlatformCode, 'request'>): string {
  return [request.send.campaignId, request.send.step, request.arm ?? 'control', request.offer.kind, request.offer.value, request.expiresOn].join(':');
}

function describe(offer: PlatformCode['request']['offer'], currency: string): string {
  if (offer.kind === 'percent') return `${offer.value}%`;
  if (offer.kind === 'fixed_amount') return `${toDecimalString(offer.value, currency)} ${currency}`;
  return 'free shipping';
}
