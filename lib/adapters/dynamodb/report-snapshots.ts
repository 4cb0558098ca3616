import { randomUUID } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ReportSnapshots, StoredReport } from '../../ports/report-snapshots.js';
import { batchWrite, queryAll } from './client.js';
import { keys, ttlAttribute } from './table.js';

/** Under DynamoDB's 400 KB item limit, with room for the keys. */
const partBytes = 350_000;
/** Parts outlive any gap between nights a shop would leave its dashboard on; a reader never races their deletion. */
const partsKeptDays = 35;
/** A snapshot a night and a few rebuilds: the list stays a few KB in the pointer item. */
const maxEarlierListed = 200;
/** DynamoDB's TTL deletes expired items within days, not at once. */
const ttlLagDays = 7;

interface KeptSnapshot {
  readonly snapshotId: string;
  readonly parts: number;
  readonly expiresAt: number;
}

/**
 * A report as gzipped JSON in parts of one partition, then a pointer to them: the pointer is written last, so a reader
 * sees the previous snapshot or this one whole, never half of one. Old parts are left to expire (TTL).
 */
export class DynamoReportSnapshots implements ReportSnapshots {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async save(snapshot: StoredReport): Promise<void> {
    await this.store(snapshot);
  }

  async replace(snapshot: StoredReport): Promise<void> {
    const superseded = await this.store(snapshot);
    // Nobody reads a snapshot once the pointer moved on, but until its parts expire it still holds what was erased.
    const partKeys = superseded.flatMap(({ snapshotId, parts }) => Array.from({ length: parts }, (_, part) => keys.reportSnapshotPart(snapshotId, part)));
    await batchWrite(
      this.client,
      this.tableName,
      partKeys.map((Key) => ({ DeleteRequest: { Key } })),
      'deleting superseded report snapshots',
    );
  }

  /** Writes the parts, then the pointer; returns the snapshots it supersedes (the latest before it and those it listed). */
  private async store(snapshot: StoredReport): Promise<KeptSnapshot[]> {
    const body = gzipSync(JSON.stringify(snapshot.report));
    const snapshotId = `${snapshot.report.generatedAt}#${randomUUID().slice(0, 8)}`;
    const parts = Math.max(1, Math.ceil(body.length / partBytes));
    const expiresAt = Math.floor(Date.parse(snapshot.report.generatedAt) / 1000) + partsKeptDays * 86_400;
    for (let part = 0; part < parts; part += 1) {
      const chunk = body.subarray(part * partBytes, (part + 1) * partBytes);
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.reportSnapshotPart(snapshotId, part), entity: 'report-part', body: chunk, [ttlAttribute]: expiresAt },
        }),
      );
    }
    const before = await this.pointer();
    // The pointer lists the snapshots whose parts may still exist (TTL deletes up to days late), so an erasure can
    // find and delete them all. Pointers written before this list existed name only themselves.
    const stillKept = expiresAt - (partsKeptDays + ttlLagDays) * 86_400;
    const superseded: KeptSnapshot[] = [
      ...(before ? [{ snapshotId: String(before.snapshotId), parts: Number(before.parts), expiresAt: Number(before.expiresAtOfParts ?? expiresAt) }] : []),
      ...(Array.isArray(before?.earlier) ? (before.earlier as KeptSnapshot[]) : []),
    ].filter((kept) => kept.expiresAt > stillKept && kept.snapshotId !== snapshotId);
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.latestReport,
          entity: 'report',
          snapshotId,
          parts,
          bytes: body.length,
          generatedAt: snapshot.report.generatedAt,
          buildMs: snapshot.buildMs,
          expiresAtOfParts: expiresAt,
          earlier: superseded.slice(0, maxEarlierListed),
        },
      }),
    );
    return superseded;
  }

  async latestBuilt(): Promise<{ generatedAt: string; buildMs: number } | undefined> {
    const pointer = await this.pointer();
    return pointer ? { generatedAt: String(pointer.generatedAt), buildMs: Number(pointer.buildMs) } : undefined;
  }

  async latest(): Promise<StoredReport | undefined> {
    const pointer = await this.pointer();
    if (!pointer) return undefined;
    const parts = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.reportSnapshotPartition(String(pointer.snapshotId)) },
      ConsistentRead: true,
    });
    const chunks = parts.map((part) => part.body as Uint8Array);
    // Parts gone (a shop without a night for longer than they are kept) mean no snapshot, not a broken one.
    if (chunks.length !== pointer.parts) return undefined;
    return { report: JSON.parse(gunzipSync(Buffer.concat(chunks)).toString('utf8')), buildMs: Number(pointer.buildMs) };
  }

  private async pointer(): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.latestReport, ConsistentRead: true }));
    return Item;
  }
}
