import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';

/**
 * cdk-nag's AWS Solutions rules on every synth (cdk-nag 3: a policy validation plugin; the old
 * `Aspects.of(app).add(...)` throws). An unacknowledged error fails the synth; each acknowledgement in the stack is
 * scoped to one construct and says why.
 */
export function addSecurityChecks(scope: Construct): void {
  Validations.of(scope).addPlugins(new AwsSolutionsChecks(scope, { verbose: true }));
}
