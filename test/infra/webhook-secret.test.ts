import { rmSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { standardWebhookSeedLength } from '../../infra/standard-webhook-secret.js';
import { standardWebhookSecretList } from '../../lib/config/environment.js';
import { decodeStandardWebhookSecret } from '../../lib/domain/webhooks/signatures.js';
import { type Synthesized, synthWinback } from './synth.js';

type Resource = { Type: string; Properties: Record<string, unknown> };

describe("the generic webhook's placeholder secret", () => {
  let synthesized: Synthesized;
  beforeAll(() => {
    synthesized = synthWinback({ senderAddress: 'news@fietsen.nl' }, { bundle: false });
  });
  afterAll(() => rmSync(synthesized.assembly.directory, { recursive: true, force: true }));

  it('is created as whsec_ followed by generated characters, with no value in the template', () => {
    // Act
    const secrets = synthesized.template.findResources('AWS::SecretsManager::Secret') as Record<string, Resource>;
    const [secretId, secret] = Object.entries(secrets).find(([id]) => /^GenericWebhookSecret(?!Seed)/.test(id))!;
    const [seedId, seed] = Object.entries(secrets).find(([id]) => id.startsWith('GenericWebhookSecretSeed'))!;
    // Assess: CloudFormation joins the prefix and a dynamic reference to the seed, resolved only when it creates the secret
    expect(secretId).toBeDefined();
    expect(seed.Properties.GenerateSecretString).toEqual({ PasswordLength: standardWebhookSeedLength, ExcludePunctuation: true, IncludeSpace: false });
    expect(secret.Properties.GenerateSecretString).toBeUndefined();
    expect(secret.Properties.SecretString).toEqual({ 'Fn::Join': ['', ['whsec_{{resolve:secretsmanager:', { Ref: seedId }, ':SecretString:::}}']] });
  });

  it('is accepted by the handler whatever characters the seed gets', () => {
    // Assess: Secrets Manager draws from letters and digits without punctuation; 64 of them are base64 for 48 bytes
    const alphanumeric = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'.split(''));
    fc.assert(
      fc.property(fc.array(alphanumeric, { minLength: standardWebhookSeedLength, maxLength: standardWebhookSeedLength }), (characters) => {
        const value = `whsec_${characters.join('')}`;
        expect(standardWebhookSecretList.safeParse(value).success).toBe(true);
        expect(decodeStandardWebhookSecret(value)).toHaveLength(48);
      }),
    );
  });
});
