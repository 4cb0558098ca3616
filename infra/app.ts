// The CDK app entry, run through tsx (cdk.json "app"). It only wires: settings come from CDK context.
import { App } from 'aws-cdk-lib';
import { addSecurityChecks } from './checks.js';
import { readSettings } from './settings.js';
import { WinbackStack } from './winback-stack.js';

const app = new App();
// Environment-agnostic: account and region resolve at deploy time, so `cdk synth` needs no credentials.
new WinbackStack(app, 'Winback', { settings: readSettings(app) });
addSecurityChecks(app);
