import { DeleteCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Reservation, SendKey, SendLedger, SendOutcome, SendReservation } from '../../ports/send-ledger.js';
import { isConditionalCheckFailure } from './client.js';
import { keys } from './table.js';

export class DynamoSendLedger implements SendLedger {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async reserve(reservation: SendReservation): Promise<Reservation> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...ledgerKey(reservation), entity: 'send', status: 'reserved', ...reservation },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { reserved: true };
    } catch (error) {
      // Someone (an earlier night, or a concurrent one) holds this step: that is an answer, not a failure.
      if (!isConditionalCheckFailure(error)) throw error;
      const held = (error as { Item?: Record<string, { S?: string }> }).Item?.status?.S;
      return { reserved: false, heldAs: held === 'sent' || held === 'failed' ? held : 'reserved' };
    }
  }

  async complete(key: SendKey, outcome: SendOutcome): Promise<void> {
    const detail = outcome.status === 'sent' ? { messageId: outcome.messageId } : { errorCode: outcome.errorCode };
    const names = Object.keys(detail);
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: ledgerKey(key),
        UpdateExpression: `SET #status = :status, completedAt = :at, ${names.map((name) => `${name} = :${name}`).join(', ')}`,
        ConditionExpression: '#status = :reserved',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':status': outcome.status,
          ':at': outcome.at,
          ':reserved': 'reserved',
          ...Object.fromEntries(Object.entries(detail).map(([name, value]) => [`:${name}`, value])),
        },
      }),
    );
  }

  async release(key: SendKey): Promise<void> {
    await this.client.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: ledgerKey(key),
        ConditionExpression: '#status = :reserved',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':reserved': 'reserved' },
      }),
    );
  }
}

function ledgerKey(key: SendKey) {
  return keys.send(key.customerId, key.campaignId, key.episode, key.step);
}
