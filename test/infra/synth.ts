import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { addSecurityChecks } from '../../infra/checks.js';
import { readSettings } from '../../infra/settings.js';
import { WinbackStack } from '../../infra/winback-stack.js';

/** The feature flags from cdk.json, so the tests synthesize what `cdk synth` does. */
export const cdkJsonContext = (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> }).context;

/**
 * An app for reading settings only. Every App claims an output directory when it is created (a new temporary one
 * unless told), so these share one that nothing is ever synthesized into.
 */
export const appWith = (context: Record<string, unknown>) =>
  new App({ outdir: join(tmpdir(), 'winback-infra-settings'), context: { ...cdkJsonContext, ...context } });

export interface Synthesized {
  readonly stack: WinbackStack;
  readonly template: Template;
  readonly assembly: CloudAssembly;
}

/**
 * Builds the app as infra/app.ts does (settings from context, cdk-nag's checks) and synthesizes it once. With cdk-nag
 * registered, `synth()` throws on any unacknowledged error, with the full report in the message.
 *
 * `bundle: false` skips esbuild through the `aws:cdk:bundling-stacks` context (the CLI's own switch: only the stacks
 * it lists are bundled); the template is the same but for asset hashes, so tests that are about wiring, not code,
 * need not wait for a dozen bundles.
 */
export function synthWinback(context: Record<string, unknown>, options: { bundle: boolean }): Synthesized {
  const app = new App({ context: { ...cdkJsonContext, ...context, ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }) } });
  const stack = new WinbackStack(app, 'Winback', { settings: readSettings(app) });
  addSecurityChecks(app);
  const assembly = app.synth();
  // Template.fromStack synthesizes the stage again, which returns the assembly above.
  return { stack, template: Template.fromStack(stack), assembly };
}

export interface ValidationReport {
  readonly pluginReports: readonly {
    readonly pluginName: string;
    readonly violations: readonly {
      readonly ruleName: string;
      readonly severity: string;
      readonly violatingConstructs: readonly { readonly constructPath: string }[];
    }[];
  }[];
}

/** CDK's policy validation report (cdk-nag 3 reports there), as written next to the templates. */
export function validationReport(assembly: CloudAssembly): ValidationReport {
  return JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as ValidationReport;
}

/** Every acknowledgement recorded with `Validations.of(construct).acknowledge(...)`: where, which rule and why. */
export function acknowledgements(app: App | WinbackStack): { path: string; rule: string; reason: string }[] {
  return app.node
    .findAll()
    .flatMap((construct) =>
      construct.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) => Object.entries(entry.data as Record<string, string>).map(([rule, reason]) => ({ path: construct.node.path, rule, reason }))),
    );
}

type Resource = { Type: string; Properties: Record<string, unknown> };
export type Statement = { Action: string | string[]; Resource: unknown; Effect: string };
export const actionsOf = (statement: Statement) => [statement.Action].flat();

/** The statements of the inline policies attached to the role of one function (by its handler folder). */
export function statementsOfFunction(synthesized: Synthesized, folder: string): Statement[] {
  const { stack, template } = synthesized;
  const fn = stack.functions[folder];
  if (!fn) throw new Error(`no function for ${folder}`);
  const roleId = stack.getLogicalId(fn.role!.node.defaultChild as never);
  return Object.values(template.findResources('AWS::IAM::Policy') as Record<string, Resource>)
    .filter((policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

export function logicalIdOfFunction(synthesized: Synthesized, folder: string): string {
  const fn = synthesized.stack.functions[folder];
  if (!fn) throw new Error(`no function for ${folder}`);
  return synthesized.stack.getLogicalId(fn.node.defaultChild as never);
}
