import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client.js';
import { SesEmailSender } from '../../lib/adapters/ses/email-sender.js';

describe('the region of the SDK clients', () => {
  let folder: string | undefined;
  afterEach(() => {
    vi.unstubAllEnvs();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it("comes from the SDK's default chain (here a profile), never from a default of ours", async () => {
    // Prepare: no AWS_REGION, a shared config file naming the region, as on a developer's machine
    folder = mkdtempSync(join(tmpdir(), 'winback-region-'));
    writeFileSync(join(folder, 'config'), '[default]\nregion = sa-east-1\n');
    vi.stubEnv('AWS_REGION', undefined as unknown as string);
    vi.stubEnv('AWS_DEFAULT_REGION', undefined as unknown as string);
    vi.stubEnv('AWS_PROFILE', 'default');
    vi.stubEnv('AWS_CONFIG_FILE', join(folder, 'config'));
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', join(folder, 'credentials'));
    // Act
    const dynamo = createDocumentClient();
    const ses = SesEmailSender.create() as unknown as { client: { config: { region: () => Promise<string> } } };
    // Assess
    expect(await dynamo.config.region()).toBe('sa-east-1');
    expect(await ses.client.config.region()).toBe('sa-east-1');
  });

  it('follows AWS_REGION, which Lambda sets', async () => {
    vi.stubEnv('AWS_REGION', 'ap-southeast-2');
    expect(await createDocumentClient().config.region()).toBe('ap-southeast-2');
  });
});
