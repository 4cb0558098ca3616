import { Logger } from '@aws-lambda-powertools/logger';

/** The one logger, created once per process; handlers add the Lambda context to it. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'winback' });
