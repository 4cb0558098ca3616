import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { keys } from '../../lib/adapters/dynamodb/table.js';
import { main } from '../../lib/cli/main.js';
import { hashEmail } from '../../lib/domain/email.js';
import { logger } from '../../lib/observability.js';
import { applyCampaignConfig } from '../../lib/usecases/apply-campaign-config.js';
import { customerFrom, testConfig } from '../support/customers.js';
import { inboxOf, localShop } from '../support/local-aws.js';
import { workflowNight } from '../support/night.js';

afterEach(() => {
  logger.setLogLevel('ERROR');
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

/** The CLI in this process, against the test's table: its base port is DynamoDB Local's less two, as `start` lays them out. */
async function winback(shop: Awaited<ReturnType<typeof localShop>>, ...args: string[]) {
  vi.stubEnv('TABLE_NAME', shop.tableName);
  const port = String(Number(new URL(shop.dynamoEndpoint).port) - 2);
  const printed: string[] = [];
  const keep = (chunk: unknown) => {
    printed.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(keep);
  vi.spyOn(process.stderr, 'write').mockImplementation(keep);
  const code = await main([...args, '--port', port]);
  vi.restoreAllMocks();
  return { code, output: printed.join('') };
}

describe('winback customers forget EMAIL', () => {
  it('removes the customer, their orders and sends, keeps only a hashed suppression, logs it without the address, and no later night emails them', async () => {
    // Prepare: a customer with orders who was emailed once
    const shop = await localShop();
    await applyCampaignConfig(testConfig(), 'test', shop.deps);
    const { customer, orders } = customerFrom({ name: 'Eda', orderDays: ['2026-03-01', '2026-04-01', '2026-05-01'] });
    await shop.deps.customers.putMany([{ customer, orders }]);
    await workflowNight(shop, '2026-11-22');
    const address = customer.email!;
    logger.setLogLevel('INFO');
    // Act
    const forgot = await winback(shop, 'customers', 'forget', address.toUpperCase());
    const reimported = customerFrom({ name: 'Eda', orderDays: ['2026-03-01', '2026-04-01', '2026-05-01'], email: address });
    await shop.deps.customers.putMany([reimported]);
    const later = await workflowNight(shop, '2026-12-22');
    // Assess
    expect(forgot.code).toBe(0);
    expect(forgot.output).toMatch(/\d+ items deleted/);
    expect(forgot.output).toContain('"message":"customer forgotten"');
    expect(
      forgot.output
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .join('\n'),
    ).not.toContain(address);
    const left = await shop.client.send(
      new QueryCommand({
        TableName: shop.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.customer(customer.customerId).pk },
      }),
    );
    expect(left.Items).toEqual([]);
    expect(await shop.deps.customers.customerIdForEmail(hashEmail(address))).not.toBe(customer.customerId);
    expect((await shop.deps.suppressions.suppressedAmong([hashEmail(address)])).size).toBe(1);
    expect(later.skipped.suppressed).toBe(1);
    expect(await inboxOf(shop.sesEndpoint, address)).toHaveLength(1);
  });

  it('refuses something that is not an address, with exit code 1, and deletes nothing', async () => {
    // Prepare
    const shop = await localShop();
    // Act
    const refused = await winback(shop, 'customers', 'forget', 'not-an-address');
    // Assess
    expect(refused.code).toBe(1);
    expect(refused.output).toContain('is not an email address');
  });
});
