import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSecurityChecks } from '../../infra/checks.js';
import { readSettings } from '../../infra/settings.js';
import { WinbackStack } from '../../infra/winback-stack.js';
import { cdkJsonContext, type ValidationReport } from './synth.js';

interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

interface Finding {
  readonly path: string;
  readonly rule: string;
}

/**
 * Every acknowledgement must answer a finding that really exists: the stack is synthesized once with the
 * acknowledgements recorded instead of applied, so cdk-nag reports everything it sees. (The other infra test file
 * checks that, applied, they leave nothing unanswered.)
 */
describe('cdk-nag acknowledgements', () => {
  const acknowledged: Acknowledgement[] = [];
  let findings: Finding[];
  let outdir: string;

  beforeAll(() => {
    // Prepare
    outdir = mkdtempSync(join(tmpdir(), 'winback-nag-'));
    const prototype = Validations.prototype as unknown as { acknowledge: (...rules: { id: string; reason: string }[]) => void };
    const original = prototype.acknowledge;
    prototype.acknowledge = function record(this: { scope: { node: { path: string } } }, ...rules) {
      for (const rule of rules) acknowledged.push({ path: this.scope.node.path, id: rule.id, reason: rule.reason });
    };
    // Act: bundling is skipped (`aws:cdk:bundling-stacks`), cdk-nag reads templates, not code.
    try {
      const app = new App({ outdir, context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [] } });
      new WinbackStack(app, 'Winback', { settings: readSettings(app) });
      addSecurityChecks(app);
      expect(() => app.synth()).toThrow(/AwsSolutions/);
    } finally {
      prototype.acknowledge = original;
    }
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as ValidationReport;
    findings = report.pluginReports.flatMap((plugin) =>
      plugin.violations.flatMap((violation) => violation.violatingConstructs.map((construct) => ({ path: construct.constructPath, rule: violation.ruleName }))),
    );
  });

  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  const covers = (ack: Acknowledgement, finding: Finding) => ack.id === finding.rule && (finding.path === ack.path || finding.path.startsWith(`${ack.path}/`));

  it('answers every finding with an acknowledgement on that resource', () => {
    // Assess
    expect(findings.length).toBeGreaterThan(0);
    expect(findings.filter((finding) => !acknowledged.some((ack) => covers(ack, finding)))).toEqual([]);
  });

  it('acknowledges nothing that cdk-nag does not find', () => {
    // Assess
    expect(acknowledged.filter((ack) => !findings.some((finding) => covers(ack, finding)))).toEqual([]);
  });

  it('scopes each acknowledgement to one resource (never the app or the stack) and says why', () => {
    // Assess
    for (const ack of acknowledged) {
      expect(ack.path.split('/').length, ack.path).toBeGreaterThan(1);
      expect(ack.reason.length, `${ack.path} ${ack.id}`).toBeGreaterThan(60);
    }
  });
});
