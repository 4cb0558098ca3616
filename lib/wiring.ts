import { DynamoCampaignConfigStore } from './adapters/dynamodb/campaign-configs.js';
import { createDocumentClient } from './adapters/dynamodb/client.js';
import { DynamoCustomerRepository } from './adapters/dynamodb/customers.js';
import { DynamoRunRecorder } from './adapters/dynamodb/runs.js';
import { DynamoSendLedger } from './adapters/dynamodb/send-ledger.js';
import { DynamoSuppressionList } from './adapters/dynamodb/suppressions.js';
import { SesEmailSender } from './adapters/ses/email-sender.js';
import type { Environment } from './config/environment.js';
import { systemClock } from './ports/clock.js';
import type { NightDependencies } from './usecases/run-night.js';

/** Composes the adapters for one environment; handlers call it once per cold start. */
export function nightDependencies(environment: Environment): NightDependencies {
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
    unsubscribe: { baseUrl: environment.UNSUBSCRIBE_BASE_URL, secret: environment.UNSUBSCRIBE_SECRET },
  };
}
