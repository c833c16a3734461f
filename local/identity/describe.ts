import { PASSWORD_POLICY } from './password.js';
import type { AppClient, UserPool } from './pool.js';

/**
 * What DescribeUserPool, DescribeUserPoolClient and DescribeUserPoolDomain report, in the shapes of the AWS SDK's
 * UserPoolType, UserPoolClientType and DomainDescriptionType. Every value is read from what the stand-in really
 * does (its clients, token lifetimes, password policy, attributes, flows); a setting it has no code for is left
 * out rather than reported.
 */

/** The account every local stand-in's ARNs name. */
export const LOCAL_ACCOUNT_ID = '000000000000';

/** Standard attributes a user may hold besides the ones the pool manages (sub, email, email_verified). */
export const WRITABLE_ATTRIBUTES: readonly string[] = ['name', 'given_name', 'family_name', 'middle_name', 'nickname', 'preferred_username', 'locale', 'zoneinfo', 'picture', 'website', 'profile', 'gender', 'birthdate', 'updated_at'];

/** How long a sign-in challenge's `Session` (NEW_PASSWORD_REQUIRED) stays valid: the client's AuthSessionValidity. */
export const CHALLENGE_SESSION_MINUTES = 3;

const epoch = (ms: number) => ms / 1000;

/**
 * The attributes the API accepts. Custom attributes (`custom:*`) are accepted without a schema, so there is
 * none to list. Values are stored and returned as strings, so every attribute but `email_verified` is a String.
 * `sub` and `email` cannot be changed (AdminUpdateUserAttributes refuses `email`: it is the sign-in name).
 */
function schemaAttributes() {
  const attr = (Name: string, AttributeDataType: 'String' | 'Boolean', Mutable: boolean, Required: boolean) => ({ Name, AttributeDataType, DeveloperOnlyAttribute: false, Mutable, Required });
  return [attr('sub', 'String', false, true), attr('email', 'String', false, true), attr('email_verified', 'Boolean', true, false), ...WRITABLE_ATTRIBUTES.map((name) => attr(name, 'String', true, false))];
}

/** The host the hosted login and OAuth endpoints answer on (`127.0.0.1:4002`); undefined before the server listens. */
export function hostedDomain(baseUrl: string): string | undefined {
  return baseUrl ? new URL(baseUrl).host : undefined;
}

export function userPoolType(pool: UserPool, baseUrl: string) {
  const domain = hostedDomain(baseUrl);
  return {
    Id: pool.userPoolId,
    // The stand-in's pool has no name of its own; its id names it.
    Name: pool.userPoolId,
    Arn: `arn:aws:cognito-idp:${pool.region}:${LOCAL_ACCOUNT_ID}:userpool/${pool.userPoolId}`,
    Policies: { PasswordPolicy: { ...PASSWORD_POLICY }, SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD'] } },
    // There is no API here that deletes the pool.
    DeletionProtection: 'ACTIVE',
    LambdaConfig: {},
    CreationDate: epoch(pool.createdAt),
    LastModifiedDate: epoch(Math.max(pool.createdAt, pool.configuredAt)),
    SchemaAttributes: schemaAttributes(),
    // Sign-up sends a code to the e-mail, and confirming it marks the e-mail verified.
    AutoVerifiedAttributes: ['email'],
    UsernameAttributes: ['email'],
    UsernameConfiguration: { CaseSensitive: false },
    VerificationMessageTemplate: { DefaultEmailOption: 'CONFIRM_WITH_CODE' },
    MfaConfiguration: 'OFF',
    EstimatedNumberOfUsers: pool.listUsers().length,
    AdminCreateUserConfig: { AllowAdminCreateUserOnly: false },
    UserPoolAddOns: { AdvancedSecurityMode: 'OFF' },
    // ForgotPassword sends its code to a verified e-mail only.
    AccountRecoverySetting: { RecoveryMechanisms: [{ Priority: 1, Name: 'verified_email' }] },
    // Password sign-in, the classic hosted UI and OAuth/OIDC: the Lite plan's features.
    UserPoolTier: 'LITE',
    ...(domain ? { CustomDomain: domain } : {}),
  };
}

/** A lifetime in the largest of `units` that divides it exactly (seconds when none does). */
function validity(seconds: number, units: readonly ('days' | 'hours' | 'minutes')[]): { value: number; unit: 'days' | 'hours' | 'minutes' | 'seconds' } {
  const size = { days: 86_400, hours: 3600, minutes: 60 } as const;
  for (const unit of units) if (seconds % size[unit] === 0) return { value: seconds / size[unit], unit };
  return { value: seconds, unit: 'seconds' };
}

export function userPoolClientType(pool: UserPool, client: AppClient) {
  const token = validity(pool.tokenTtlSeconds, ['minutes']);
  const refresh = validity(pool.refreshTtlSeconds, ['days', 'hours', 'minutes']);
  const dates = pool.clientDatesOf(client);
  return {
    UserPoolId: pool.userPoolId,
    // Clients are registered by id only; the id is their name.
    ClientName: client.clientId,
    ClientId: client.clientId,
    ...(client.secret ? { ClientSecret: client.secret } : {}),
    CreationDate: epoch(dates.createdAt),
    LastModifiedDate: epoch(dates.updatedAt),
    RefreshTokenValidity: refresh.value,
    AccessTokenValidity: token.value,
    IdTokenValidity: token.value,
    TokenValidityUnits: { AccessToken: token.unit, IdToken: token.unit, RefreshToken: refresh.unit },
    // InitiateAuth USER_PASSWORD_AUTH and REFRESH_TOKEN_AUTH, AdminInitiateAuth ADMIN_USER_PASSWORD_AUTH.
    ExplicitAuthFlows: ['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
    SupportedIdentityProviders: ['COGNITO'],
    CallbackURLs: [...client.callbackUrls],
    LogoutURLs: [...client.logoutUrls],
    AllowedOAuthFlows: ['code'],
    AllowedOAuthScopes: pool.allowedScopes(client),
    AllowedOAuthFlowsUserPoolClient: true,
    PreventUserExistenceErrors: 'ENABLED',
    EnableTokenRevocation: true,
    EnablePropagateAdditionalUserContextData: false,
    AuthSessionValidity: CHALLENGE_SESSION_MINUTES,
    // Refreshing returns new ID and access tokens and keeps the refresh token.
    RefreshTokenRotation: { Feature: 'DISABLED' },
    ClientType: 'REGULAR',
  };
}

/** The stand-in's hosted domain when `name` is it (host names compare case-insensitively), else Cognito's `{}`. */
export function domainDescription(pool: UserPool, baseUrl: string, name: string) {
  const domain = hostedDomain(baseUrl);
  if (!domain || name.toLowerCase() !== domain.toLowerCase()) return {};
  // ManagedLoginVersion 1: the classic hosted UI (its paths are the ones served here).
  return { UserPoolId: pool.userPoolId, AWSAccountId: LOCAL_ACCOUNT_ID, Domain: domain, Status: 'ACTIVE', ManagedLoginVersion: 1 };
}
