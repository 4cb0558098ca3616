import { localCouponCode } from '../../domain/offers.js';
import { type CouponProvider, type CouponRequest, CouponUnavailableError } from '../../ports/coupons.js';

/** One code to create in the shop's platform, with everything the platform needs to make it work for one use. */
export interface PlatformCode {
  readonly code: string;
  readonly request: CouponRequest;
}

/** Per code: created (or already there and ours), or why not. */
export type PlatformResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** A platform's coupon API: creates codes in bulk and says, code by code, which exist now. */
export interface PlatformCoupons {
  /** The platform's name in reasons (`shopify:THROTTLED`). */
  readonly name: string;
  /** The most codes one `create` call takes (Shopify 250, WooCommerce 100). */
  readonly maxBatch: number;
  /** Never throws: a failure of the whole call is a failed result for every code. */
  create(codes: readonly PlatformCode[]): Promise<Map<string, PlatformResult>>;
}

/**
 * A CouponProvider on a platform's coupon API. The code is Winback's own (an HMAC of the send's key, as the local
 * provider makes it), so a retried night asks for the very same code again; it is handed out only once the platform
 * confirmed it. Codes asked for at about the same time go to the platform together: a night's page of sends through
 * `prepare`, else whatever `issue` calls arrive within `lingerMs`.
 */
export class PlatformCouponProvider implements CouponProvider {
  private readonly confirmed = new Map<string, Promise<PlatformResult>>();
  private pending: { code: PlatformCode; settle: (result: PlatformResult) => void }[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly platform: PlatformCoupons,
    private readonly secret: string,
    private readonly options: { readonly lingerMs?: number; readonly maxRemembered?: number } = {},
  ) {}

  codeFor(request: CouponRequest): string {
    const { send } = request;
    return localCouponCode(request.prefix, `${send.customerId}:${send.campaignId}:${send.episode}:${send.step}`, this.secret);
  }

  async issue(request: CouponRequest): Promise<string> {
    const code = this.codeFor(request);
    const result = await this.enqueue(code, request);
    if (result.ok) return code;
    // Not kept: the next attempt (a retry of this email) asks the platform again.
    this.confirmed.delete(code);
    throw new CouponUnavailableError(code, result.reason);
  }

  prepare(requests: readonly CouponRequest[]): void {
    for (const request of requests) void this.enqueue(this.codeFor(request), request);
    this.flush();
  }

  private enqueue(code: string, request: CouponRequest): Promise<PlatformResult> {
    let known = this.confirmed.get(code);
    if (known) return known;
    known = new Promise<PlatformResult>((settle) => this.pending.push({ code: { code, request }, settle }));
    // A night issues thousands of codes: keep the latest ones only (a code is asked for once or twice, close together).
    if (this.confirmed.size >= (this.options.maxRemembered ?? 20_000)) this.confirmed.delete(this.confirmed.keys().next().value!);
    this.confirmed.set(code, known);
    if (this.pending.length >= this.platform.maxBatch) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.options.lingerMs ?? 20);
    return known;
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.platform.maxBatch);
      void this.platform
        .create(batch.map((entry) => entry.code))
        .catch(
          (error: unknown): Map<string, PlatformResult> =>
            new Map(batch.map((entry) => [entry.code.code, { ok: false, reason: `${this.platform.name}:${(error as Error).name ?? 'error'}` }])),
        )
        .then((results) => {
          for (const entry of batch) entry.settle(results.get(entry.code.code) ?? { ok: false, reason: `${this.platform.name}:no_answer` });
        });
    }
  }
}

/** Each request goes to the provider its campaign names (`coupon.provider`); a provider not configured fails its codes. */
export class RoutingCouponProvider implements CouponProvider {
  constructor(
    private readonly providers: { readonly local: CouponProvider } & Partial<Record<'shopify' | 'woocommerce', (request: CouponRequest) => CouponProvider>>,
  ) {}

  private readonly built = new Map<string, CouponProvider>();

  private providerFor(request: CouponRequest): CouponProvider {
    const name = request.provider ?? 'local';
    if (name === 'local') return this.providers.local;
    // One per shop address: a provider remembers its discounts and its share of the platform's rate limit.
    const address = name === 'shopify' ? request.shop?.shopifyDomain : request.shop?.woocommerceUrl;
    let provider = this.built.get(`${name} ${address}`);
    if (!provider) {
      const build = this.providers[name];
      if (!build) throw new CouponUnavailableError('', `${name}:not_configured`);
      this.built.set(`${name} ${address}`, (provider = build(request)));
    }
    return provider;
  }

  async issue(request: CouponRequest): Promise<string> {
    let provider: CouponProvider;
    try {
      provider = this.providerFor(request);
    } catch (error) {
      // The code is the same wherever it is made: the waiting email keeps it.
      if (error instanceof CouponUnavailableError) throw new CouponUnavailableError(await this.providers.local.issue(request), error.reason);
      throw error;
    }
    return provider.issue(request);
  }

  prepare(requests: readonly CouponRequest[]): void {
    const byProvider = new Map<CouponProvider, CouponRequest[]>();
    for (const request of requests) {
      let provider: CouponProvider;
      try {
        provider = this.providerFor(request);
      } catch {
        continue;
      }
      byProvider.set(provider, [...(byProvider.get(provider) ?? []), request]);
    }
    for (const [provider, batch] of byProvider) provider.prepare?.(batch);
  }
}
