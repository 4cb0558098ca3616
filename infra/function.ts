import { fileURLToPath } from 'node:url';
import { type Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

const projectRoot = fileURLToPath(new URL('..', import.meta.url));
const fromRoot = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));

/** The newest Node.js runtime aws-cdk-lib 2.276 offers (cdk-nag's AwsSolutions-L1 checks the same list). */
export const nodeRuntime = lambda.Runtime.NODEJS_24_X;

/**
 * esbuild's ESM output turns a bundled CommonJS `require()` into a shim that throws unless a `require` exists,
 * so the bundle defines one. The alias keeps it from clashing with a bundled module's own `createRequire` import.
 */
const esmRequireBanner = "import { createRequire as topLevelCreateRequire } from 'node:module'; const require = topLevelCreateRequire(import.meta.url);";

export interface WinbackFunctionProps {
  /** The folder under functions/ whose handler.ts exports `handler`. */
  readonly folder: string;
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize?: number;
  readonly environment: Record<string, string>;
  /** A folder of the repository copied into the bundle (the handler reads it at run time). */
  readonly copyIntoBundle?: { readonly from: string; readonly to: string };
}

/**
 * One handler as a Lambda function: bundled by the local esbuild (no Docker), ARM64, the newest Node.js, active
 * tracing, its own log group with a retention, and its own role that starts with nothing but writing to that log
 * group (no AWS managed policy, whose log permissions cover every log group in the account).
 */
export class WinbackFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: WinbackFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.THREE_MONTHS });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Winback ${props.folder}: only what this one function needs`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: fromRoot(`functions/${props.folder}/handler.ts`),
      handler: 'handler',
      description: props.description,
      projectRoot,
      depsLockFilePath: fromRoot('package-lock.json'),
      runtime: nodeRuntime,
      architecture: lambda.Architecture.ARM_64,
      timeout: props.timeout,
      memorySize: props.memorySize ?? 512,
      role: this.role,
      logGroup: this.logGroup,
      tracing: lambda.Tracing.ACTIVE,
      environment: props.environment,
      bundling: {
        // Everything the handler imports goes into its bundle, the AWS SDK and @smithy included. The default leaves
        // @aws-sdk/* (and, with cdk.json's sdkV3ExcludeSmithyPackages flag, @smithy/*) to the runtime's preinstalled
        // copy, whose version we do not control and which lacks @smithy packages the X-Ray SDK behind the Tracer
        // requires at load (aws/aws-cdk#33099): such a bundle fails with Runtime.ImportModuleError.
        // test/infra/bundles.test.ts loads each bundle alone under Node 24 to prove it.
        externalModules: [],
        format: nodejs.OutputFormat.ESM,
        mainFields: ['module', 'main'],
        banner: esmRequireBanner,
        minify: true,
        forceDockerBundling: false,
        ...(props.copyIntoBundle
          ? {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (inputDir: string, outputDir: string) => [
                  `cp -R "${inputDir}/${props.copyIntoBundle!.from}" "${outputDir}/${props.copyIntoBundle!.to}"`,
                ],
              },
            }
          : {}),
      },
    });

    // Active tracing adds xray:PutTraceSegments and xray:PutTelemetryRecords on "*" to the role.
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions; the statement grants only those two actions.',
    });
  }
}
