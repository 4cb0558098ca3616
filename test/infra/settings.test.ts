import { describe, expect, it } from 'vitest';
import { maxSendBatch, readSettings, sendBatchSize, sesIdentity } from '../../infra/settings.js';
import { appWith } from './synth.js';

describe('readSettings', () => {
  it('fills in the defaults when the context is empty', () => {
    // Act
    const settings = readSettings(appWith({}));
    // Assess
    expect(settings).toEqual({
      shopName: 'My shop',
      timeZone: 'Europe/Amsterdam',
      senderAddress: 'winback@example.com',
      mailFromSubdomain: 'bounce',
      scheduleHour: 3,
      logLevel: 'INFO',
      sendConcurrency: 8,
      sesMaxSendRate: 14,
      nightMaxConcurrency: 20,
      accountLambdaConcurrency: 1000,
      apiRateLimit: 50,
      apiBurstLimit: 100,
      couponPlatform: 'local',
    });
    expect(sesIdentity(settings)).toBe('example.com');
  });

  it('takes numbers from cdk.json or as -c strings, and canonical time zone names', () => {
    // Act
    const fromJson = readSettings(appWith({ scheduleHour: 0, timeZone: 'america/new_york', apiRateLimit: 20 }));
    const fromCommandLine = readSettings(appWith({ scheduleHour: '23', sendConcurrency: '2', apiBurstLimit: '40' }));
    // Assess
    expect(fromJson).toMatchObject({ scheduleHour: 0, timeZone: 'America/New_York', apiRateLimit: 20 });
    expect(fromCommandLine).toMatchObject({ scheduleHour: 23, sendConcurrency: 2, apiBurstLimit: 40 });
  });

  it.each([
    ['news@shop.example', 'shop.example'],
    ['news@mail.shop.example', 'shop.example'],
    ['news@shop.example', 'News@Shop.example'],
  ])('accepts the SES identity when it covers the sender (%s as %s)', (senderAddress, identity) => {
    // Act
    const settings = readSettings(appWith({ senderAddress, sesIdentity: identity }));
    // Assess
    expect(sesIdentity(settings)).toBe(identity.toLowerCase());
  });

  it('takes the alarm email and an explicit unsubscribe base URL', () => {
    // Act
    const settings = readSettings(appWith({ alarmEmail: 'ops@shop.example', unsubscribeBaseUrl: 'https://shop.example/w' }));
    // Assess
    expect(settings).toMatchObject({ alarmEmail: 'ops@shop.example', unsubscribeBaseUrl: 'https://shop.example/w' });
  });

  it('takes the coupon platform with the one shop its credentials belong to, or an existing secret by its complete ARN', () => {
    // Act
    const shopify = readSettings(appWith({ couponPlatform: 'shopify', shopifyDomain: 'My-Shop.myshopify.com' }));
    const woocommerce = readSettings(
      appWith({
        couponPlatform: 'woocommerce',
        woocommerceUrl: 'https://shop.example/',
        couponCredentialsSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/woo-AbC123',
      }),
    );
    // Assess
    expect(shopify).toMatchObject({ couponPlatform: 'shopify', shopifyDomain: 'my-shop.myshopify.com' });
    expect(woocommerce).toMatchObject({
      couponPlatform: 'woocommerce',
      woocommerceUrl: 'https://shop.example',
      couponCredentialsSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/woo-AbC123',
    });
  });

  it.each([
    [{ couponPlatform: 'shopify' }, 'shopifyDomain'],
    [{ couponPlatform: 'woocommerce', shopifyDomain: 'my-shop.myshopify.com' }, 'woocommerceUrl'],
    [{ couponCredentialsSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/woo-AbC123' }, 'couponCredentialsSecretArn'],
  ])('refuses a coupon platform without its shop, or credentials without a platform (%j)', (context, key) => {
    // Act
    const read = () => readSettings(appWith(context));
    // Assess
    expect(read).toThrow(`context "${key}"`);
  });

  it.each([
    ['scheduleHour', '24'],
    ['scheduleHour', 'three'],
    ['timeZone', 'Mars/Olympus_Mons'],
    ['senderAddress', 'not-an-address'],
    ['unsubscribeBaseUrl', 'http://insecure.example/u'],
    ['logLevel', 'chatty'],
    ['shopName', '  '],
    ['alarmEmail', 'ops-at-shop'],
    ['sesIdentity', 'not a domain'],
    ['sesIdentity', 'other.example'],
    ['sesIdentity', 'someone-else@example.com'],
    ['sendConcurrency', '0'],
    ['sendConcurrency', '1.5'],
    ['apiRateLimit', '-3'],
    ['apiBurstLimit', 'lots'],
    ['sesMaxSendRate', '0'],
    ['nightMaxConcurrency', '41'],
    ['accountLambdaConcurrency', '9'],
    ['couponPlatform', 'magento'],
    ['shopifyDomain', 'shop.example'],
    ['woocommerceUrl', 'http://shop.example'],
    ['couponCredentialsSecretArn', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop-token'],
  ])('refuses a bad %s (%j) and names the context key', (key, value) => {
    // Prepare
    const app = appWith({ [key]: value });
    // Act
    const read = () => readSettings(app);
    // Assess
    expect(read).toThrow(`context "${key}"`);
  });
});

describe('sendBatchSize', () => {
  it.each([
    [0.1, 2],
    [0.45, 9],
    [1, 20],
    [6.3, maxSendBatch],
    [4_500, maxSendBatch],
  ])('gives a container paced at %d emails a second batches of %d', (rate, expected) => {
    // Act
    const size = sendBatchSize(rate);
    // Assess
    expect(size).toBe(expected);
  });

  it('never gives a batch its pace cannot send within a third of the worker timeout, nor an empty one', () => {
    // Assess: the slowest pace the stack allows (0.1 a second) still gets one email; every batch is sent in 20 s
    for (const rate of [0.01, 0.1, 0.3, 0.45, 0.9, 1.3, 6.3, 100]) {
      const size = sendBatchSize(rate);
      expect(size).toBeGreaterThanOrEqual(1);
      expect(size).toBeLessThanOrEqual(maxSendBatch);
      if (size > 1) expect(size / rate).toBeLessThanOrEqual(20);
    }
  });
});
