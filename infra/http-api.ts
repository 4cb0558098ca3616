import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** The handlers behind the API, by their folder under functions/. */
export const apiHandlers = ['webhook-shopify', 'webhook-woocommerce', 'webhook-generic', 'unsubscribe', 'feedback', 'admin-api', 'console'] as const;
export type ApiHandler = (typeof apiHandlers)[number];
export type HttpApiFunctions = Record<ApiHandler, lambda.IFunction>;

export interface WinbackHttpApiProps {
  readonly shopName: string;
  readonly rateLimit: number;
  readonly burstLimit: number;
  /** The prefix of the user pool's hosted login domain (<prefix>.auth.<region>.amazoncognito.com): unique in the region. */
  readonly signInDomainPrefix: string;
}

/** How a route is protected: by the marketers' JWT, or by what the handler itself verifies. */
export type RouteAccess = 'marketers' | { readonly public: string };

export interface RouteSpec {
  readonly method: apigw.HttpMethod;
  readonly path: string;
  readonly target: ApiHandler;
  readonly access: RouteAccess;
}

const webhook = (path: string, target: ApiHandler, scheme: string): RouteSpec => ({
  method: apigw.HttpMethod.POST,
  path,
  target,
  access: { public: `the shop platform calls it without a user; the handler verifies ${scheme} over the raw body before anything is stored` },
});

const consoleFile = (path: string): RouteSpec => ({
  method: apigw.HttpMethod.GET,
  path,
  target: 'console',
  access: {
    public: "the console's static page, script, styles and sign-in settings, with no data; every API call the page makes goes through the JWT authorizer",
  },
});

const tokenRoute = (path: string, target: ApiHandler, what: string): RouteSpec => ({
  method: apigw.HttpMethod.ANY,
  path,
  target,
  access: {
    public: `${what} from an email, with no login (RFC 8058 forbids one for one-click unsubscribe); the path carries an HMAC-signed token the handler verifies`,
  },
});

/** Every route of the HTTP API, with the function behind it and how it is protected. */
export const routes: readonly RouteSpec[] = [
  webhook('/webhooks/shopify', 'webhook-shopify', 'the X-Shopify-Hmac-Sha256 signature'),
  webhook('/webhooks/woocommerce', 'webhook-woocommerce', 'the X-WC-Webhook-Signature'),
  webhook('/webhooks/generic', 'webhook-generic', 'the Standard Webhooks signature and timestamp'),
  tokenRoute('/unsubscribe/{token}', 'unsubscribe', 'a recipient unsubscribes'),
  tokenRoute('/feedback/{token}', 'feedback', 'a recipient answers the feedback question'),
  { method: apigw.HttpMethod.GET, path: '/health', target: 'admin-api', access: { public: 'a liveness probe that answers {"ok":true} and reads nothing' } },
  consoleFile('/'),
  consoleFile('/console/{file}'),
  { method: apigw.HttpMethod.GET, path: '/api/customers', target: 'admin-api', access: 'marketers' },
  { method: apigw.HttpMethod.GET, path: '/api/report', target: 'admin-api', access: 'marketers' },
  { method: apigw.HttpMethod.GET, path: '/api/segments', target: 'admin-api', access: 'marketers' },
  { method: apigw.HttpMethod.GET, path: '/api/campaigns', target: 'admin-api', access: 'marketers' },
  { method: apigw.HttpMethod.ANY, path: '/api/campaigns/{proxy+}', target: 'admin-api', access: 'marketers' },
];

/**
 * The public HTTP API: webhooks, the one-click unsubscribe and feedback pages, and the admin API behind a JWT
 * authorizer backed by a Cognito user pool for the shop's marketers. Throttled, with JSON access logs.
 */
export class WinbackHttpApi extends Construct {
  readonly api: apigw.HttpApi;
  readonly stage: apigw.HttpStage;
  readonly userPool: cognito.UserPool;
  readonly userPoolClient: cognito.UserPoolClient;
  /** The hosted login the console sends marketers to. */
  readonly signInDomain: cognito.UserPoolDomain;
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, functions: HttpApiFunctions, props: WinbackHttpApiProps) {
    super(scope, id);

    this.userPool = new cognito.UserPool(this, 'Marketers', {
      userPoolName: `${Stack.of(this).stackName}-marketers`,
      // Marketers are invited by an administrator (README: creating the first marketer); nobody signs up.
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      // The Plus plan's threat protection blocks credential stuffing; a handful of marketers costs cents a month.
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.api = new apigw.HttpApi(this, 'Api', {
      apiName: `${Stack.of(this).stackName}-api`,
      description: `Winback for ${props.shopName}: webhooks, unsubscribe, feedback, admin API, console`,
      createDefaultStage: false,
    });

    // The console signs marketers in through the pool's hosted login: authorization code with PKCE, back to the
    // console's own page; no implicit grant, no client secret (a browser could not keep one).
    this.signInDomain = this.userPool.addDomain('SignIn', { cognitoDomain: { domainPrefix: props.signInDomainPrefix } });
    const consoleUrl = `${this.api.apiEndpoint}/`;
    this.userPoolClient = this.userPool.addClient('Console', {
      generateSecret: false,
      authFlows: { userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL],
        callbackUrls: [consoleUrl],
        logoutUrls: [consoleUrl],
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
    });
    const authorizer = new HttpUserPoolAuthorizer('Marketers', this.userPool, { userPoolClients: [this.userPoolClient] });

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: logs.RetentionDays.THREE_MONTHS });
    this.stage = new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit, burstLimit: props.burstLimit },
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(this.accessLogs),
        // The route key, never the path: unsubscribe and feedback paths carry the recipient's signed token.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            requestTime: '$context.requestTime',
            sourceIp: '$context.identity.sourceIp',
            userAgent: '$context.identity.userAgent',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            responseLatency: '$context.responseLatency',
            integrationStatus: '$context.integrationStatus',
            integrationLatency: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
          }),
        ),
      },
    });

    const integrations = new Map<ApiHandler, HttpLambdaIntegration>();
    for (const route of routes) {
      let integration = integrations.get(route.target);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${route.target}-integration`, functions[route.target]);
        integrations.set(route.target, integration);
      }
      const [added] = this.api.addRoutes({
        path: route.path,
        methods: [route.method],
        integration,
        ...(route.access === 'marketers' ? { authorizer } : {}),
      });
      if (route.access !== 'marketers') {
        Validations.of(added!).acknowledge({ id: 'AwsSolutions-APIG4', reason: `Public by design: ${route.access.public}.` });
      }
    }
  }

  /** The API's base URL (no trailing slash): the default stage serves the routes at the root. */
  get url(): string {
    return this.api.apiEndpoint;
  }
}
