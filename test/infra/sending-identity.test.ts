import { rmSync } from 'node:fs';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { isPlaceholderSender } from '../../infra/email.js';
import { readSettings } from '../../infra/settings.js';
import { appWith, type Synthesized, synthWinback } from './synth.js';

const assemblies: string[] = [];
/** Wiring only: no bundles (the template is the same but for asset hashes). */
function synth(context: Record<string, unknown>): Synthesized {
  const synthesized = synthWinback(context, { bundle: false });
  assemblies.push(synthesized.assembly.directory);
  return synthesized;
}

const placeholderWarning = Match.stringLikeRegexp('is a placeholder');

describe('the SES sending identity', () => {
  // Assertions on annotations synthesize again, into the same directory: removed only at the end.
  afterAll(() => assemblies.forEach((directory) => rmSync(directory, { recursive: true, force: true })));

  it('verifies the sender domain with 2048-bit Easy DKIM and a MAIL FROM subdomain, and outputs the records to add', () => {
    // Act
    const { template } = synth({ senderAddress: 'news@fietsen.example.com' });
    // Assess
    template.hasResourceProperties('AWS::SES::EmailIdentity', {
      EmailIdentity: 'fietsen.example.com',
      DkimAttributes: { SigningEnabled: true },
      DkimSigningAttributes: { NextSigningKeyLength: 'RSA_2048_BIT' },
      MailFromAttributes: { MailFromDomain: 'bounce.fietsen.example.com', BehaviorOnMxFailure: 'USE_DEFAULT_VALUE' },
      ConfigurationSetAttributes: { ConfigurationSetName: Match.anyValue() },
    });
    template.resourceCountIs('AWS::Route53::RecordSet', 0);
    const outputs = Object.keys(template.findOutputs('*'));
    expect(outputs.filter((id) => /^EmailDkimRecord[123]/.test(id))).toHaveLength(3);
    expect(outputs.some((id) => id.startsWith('EmailMailFromMxRecord'))).toBe(true);
    expect(outputs.some((id) => id.startsWith('EmailMailFromSpfRecord'))).toBe(true);
  });

  it('writes the DKIM and MAIL FROM records into the hosted zone when one is given', () => {
    // Act
    const { template } = synth({
      senderAddress: 'news@fietsen.nl',
      hostedZoneId: 'Z0123456789ABCDEFGHIJ',
      hostedZoneName: 'Fietsen.nl.',
      mailFromSubdomain: 'mail',
    });
    // Assess
    template.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: 'fietsen.nl', MailFromAttributes: { MailFromDomain: 'mail.fietsen.nl' } });
    const records = Object.values(template.findResources('AWS::Route53::RecordSet')).map(
      (resource) => resource.Properties as { Type: string; HostedZoneId: string; Name: unknown; ResourceRecords: unknown[] },
    );
    expect(records.map((record) => record.Type).sort()).toEqual(['CNAME', 'CNAME', 'CNAME', 'MX', 'TXT']);
    expect(records.every((record) => record.HostedZoneId === 'Z0123456789ABCDEFGHIJ')).toBe(true);
    expect(records.find((record) => record.Type === 'TXT')!.ResourceRecords).toEqual(['"v=spf1 include:amazonses.com ~all"']);
    expect(Object.keys(template.findOutputs('*')).filter((id) => id.startsWith('EmailDkimRecord'))).toEqual([]);
  });

  it('warns at synth time while the sender address is still a placeholder', () => {
    // Act
    const placeholder = synth({});
    const real = synth({ senderAddress: 'news@fietsen.nl' });
    // Assess
    Annotations.fromStack(placeholder.stack).hasWarning('/Winback/Email', placeholderWarning);
    Annotations.fromStack(real.stack).hasNoWarning('/Winback/Email', placeholderWarning);
  });

  it('knows the reserved domains from real ones', () => {
    // Assess
    for (const address of ['winback@example.com', 'a@example.org', 'a@mail.example.net', 'a@shop.example', 'a@shop.test', 'a@x.invalid', 'a@localhost'])
      expect(isPlaceholderSender(address), address).toBe(true);
    for (const address of ['news@fietsen.nl', 'a@example-shop.com', 'a@myexample.com', 'a@examples.org'])
      expect(isPlaceholderSender(address), address).toBe(false);
  });

  it("refuses a hosted zone that is not the identity's domain, or half of one", () => {
    // Act
    const wrongZone = () =>
      readSettings(appWith({ senderAddress: 'news@mail.fietsen.nl', hostedZoneId: 'Z0123456789ABCDEFGHIJ', hostedZoneName: 'fietsen.nl' }));
    const halfZone = () => readSettings(appWith({ senderAddress: 'news@fietsen.nl', hostedZoneId: 'Z0123456789ABCDEFGHIJ' }));
    // Assess
    expect(wrongZone).toThrow(/context "hostedZoneName": must be the SES identity's domain "mail\.fietsen\.nl"/);
    expect(halfZone).toThrow(/context "hostedZoneName": give both hostedZoneId and hostedZoneName, or neither/);
  });
});
