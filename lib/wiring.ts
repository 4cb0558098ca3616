import { DynamoCampaignConfigStore } from './adapters/dynamodb/campaign-configs.js';
import { createDocumentClient } from './adapters/dynamodb/client.js';
import { DynamoCustomerRepository } from './adapters/dynamodb/customers.js';
import { DynamoRunRecorder } from './adapters/dynamodb/runs.js';
import { DynamoSendLedger } from './adapters/dynamodb/send-ledger.js';
import { DynamoSuppressionList } from './adapters/dynamodb/suppressions.js';
import { unsubscribeSecret } from './adapters/secrets.js';
import { SesEmailSender } from './adapters/ses/email-sender.js';
import type { Environment } from './config/environment.js';
import { logger } from './observability.js';
import { systemClock } from './ports/clock.js';
import type { NightDependencies } from './usecases/run-night.js';

/** Composes the adapters for one environment; handlers call it once per cold start. */
export async function nightDependencies(environment: Environment): Promise<NightDependencies> {
  const client = createDocumentClient();
  const table = environment.TABLE_NAME;
  return {
    customers: new DynamoCustomerRepository(client, table),
    ledger: new DynamoSendLedger(client, table),
    suppressions: new DynamoSuppressionList(client, table),
    configs: new DynamoCampaignConfigStore(client, table),
    runs: new DynamoRunRecorder(client, table),
    email: SesEmailSender.create(environment.SES_CONFIGURATION_SET ? { configurationSetName: environment.SES_CONFIGURATION_SET } : {}),
    clock: systemClock,
    log: {
      warn: (message, attributes = {}) => logger.warn(message, attributes),
      error: (message, attributes = {}) => logger.error(message, attributes),
    },
    unsubscribe: { baseUrl: environment.UNSUBSCRIBE_BASE_URL, secret: await unsubscribeSecret(environment) },
  };
}
