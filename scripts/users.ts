/**
 * `npm run users -- add|list|remove|disable|enable`: the local user pool's accounts. Talks to the running identity
 * endpoint (found through DATA_DIR/endpoints.json) with the Cognito SDK; when `npm start` is not running, starts the
 * identity endpoint in this process over the same data folder for the duration of the command.
 */
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminListGroupsForUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  ListGroupsCommand,
  ListUsersCommand,
  type AttributeType,
} from '@aws-sdk/client-cognito-identity-provider';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startIdentity, type IdentityPart } from '../local/identity/index.js';
import { generatePassword } from '../local/identity/password.js';
import { ConfigError, loadConfig } from '../src/config/index.js';
import { LOCAL_CREDENTIALS } from '../src/config/localCredentials.js';
import { createLogger } from '../src/log.js';
import { endpointString, readLocalEndpoints } from './localEndpoints.js';

const HELP = `Usage: npm run users -- <command> [options]

Manages the accounts of the local Cognito stand-in (DATA_DIR/identity). Uses the running
identity endpoint of npm start if there is one, else opens the data folder directly.

Commands:
  add <email> [--password P] [--group G]...   create a confirmed user (password generated and
                                              printed if not given); groups are created if missing
  list                                        list users: email, status, groups, sub
  remove <email>                              delete a user
  disable <email> | enable <email>            stop / allow sign-in

Options:
  --data-dir DIR   data folder (default DATA_DIR, else .pier)
  -h, --help       this text

Exit codes: 0 done, 1 failed, 2 usage error.
`;

class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
  }
}

const attr = (attrs: AttributeType[] | undefined, name: string) => attrs?.find((a) => a.Name === name)?.Value ?? '';

/** The running endpoint if it answers for this pool; otherwise one started here over the data folder. */
async function connect(dataDir: string, userPoolId: string, clientId: string): Promise<{ url: string; local?: IdentityPart }> {
  try {
    const identity = endpointString(await readLocalEndpoints(dataDir), 'identity');
    if (identity) {
      const health = (await (await fetch(`${identity}/health`, { signal: AbortSignal.timeout(2000) })).json()) as { userPoolId?: string };
      if (health.userPoolId === userPoolId) return { url: identity };
    }
  } catch {
    // No endpoints file, or nothing listening: open the folder ourselves.
  }
  const local = await startIdentity({ dataDir: join(dataDir, 'identity'), port: 0, userPoolId, clients: [{ clientId, callbackUrls: [], logoutUrls: [] }], logger: createLogger({ level: 'silent' }) });
  return { url: local.url, local };
}

async function run(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { password: { type: 'string' }, group: { type: 'string', multiple: true }, 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    throw new CliError(`${(err as Error).message} (see --help)`, 2);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const [command, email, ...extra] = positionals;
  const needsEmail = ['add', 'remove', 'disable', 'enable'];
  if (!command) throw new CliError('missing command: list, add, remove, disable or enable (see --help)', 2);
  if (!needsEmail.includes(command) && command !== 'list') throw new CliError(`unknown command "${command}": expected list, add, remove, disable or enable (see --help)`, 2);
  if (needsEmail.includes(command) && !email) throw new CliError(`${command} needs an email (see --help)`, 2);
  if (extra.length || (command === 'list' && email)) throw new CliError('too many arguments (see --help)', 2);
  if (command !== 'add' && (values.password || values.group)) throw new CliError('--password and --group go with add (see --help)', 2);

  const config = await loadConfig({ skipSecretsManager: true, overrides: values['data-dir'] ? { DATA_DIR: values['data-dir'] } : {} });
  const dataDir = resolve(config.DATA_DIR);
  const UserPoolId = config.COGNITO_USER_POOL_ID;
  const { url, local } = await connect(dataDir, UserPoolId, config.COGNITO_CLIENT_ID);
  // No IAM locally: any credentials sign the admin calls.
  const cognito = new CognitoIdentityProviderClient({ endpoint: url, region: UserPoolId.split('_')[0], credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
  const out = (line: string) => process.stdout.write(line + '\n');
  try {
    const Username = email as string;
    switch (command) {
      case 'add': {
        const password = values.password ?? generatePassword();
        const created = await cognito.send(new AdminCreateUserCommand({ UserPoolId, Username, MessageAction: 'SUPPRESS', UserAttributes: [{ Name: 'email', Value: Username }, { Name: 'email_verified', Value: 'true' }] }));
        try {
          await cognito.send(new AdminSetUserPasswordCommand({ UserPoolId, Username, Password: password, Permanent: true }));
        } catch (err) {
          // A refused password must not leave a half-made account behind.
          await cognito.send(new AdminDeleteUserCommand({ UserPoolId, Username }));
          throw err;
        }
        const existing = new Set(((await cognito.send(new ListGroupsCommand({ UserPoolId }))).Groups ?? []).map((g) => g.GroupName));
        for (const GroupName of values.group ?? []) {
          if (!existing.has(GroupName)) await cognito.send(new CreateGroupCommand({ UserPoolId, GroupName }));
          await cognito.send(new AdminAddUserToGroupCommand({ UserPoolId, Username, GroupName }));
        }
        out(`added ${Username.toLowerCase()} (sub ${attr(created.User?.Attributes, 'sub')})${values.group?.length ? ` to ${values.group.join(', ')}` : ''}`);
        // Only a password this command made up is shown: the operator has no other way to learn it.
        if (!values.password) out(`password: ${password}`);
        break;
      }
      case 'list': {
        const users = [];
        let PaginationToken: string | undefined;
        do {
          const page = await cognito.send(new ListUsersCommand({ UserPoolId, PaginationToken }));
          users.push(...(page.Users ?? []));
          PaginationToken = page.PaginationToken;
        } while (PaginationToken);
        const rows = await Promise.all(
          users.map(async (u) => {
            const groups = ((await cognito.send(new AdminListGroupsForUserCommand({ UserPoolId, Username: u.Username }))).Groups ?? []).map((g) => g.GroupName).join(',');
            return [attr(u.Attributes, 'email'), `${u.UserStatus}${u.Enabled ? '' : ' (disabled)'}`, groups || '-', attr(u.Attributes, 'sub')];
          }),
        );
        const table = [['EMAIL', 'STATUS', 'GROUPS', 'SUB'], ...rows];
        const widths = [0, 1, 2].map((i) => Math.max(...table.map((r) => (r[i] ?? '').length)));
        for (const r of table) out(r.map((c, i) => (i < 3 ? c.padEnd(widths[i] as number) : c)).join('  '));
        out(`${rows.length} user${rows.length === 1 ? '' : 's'}`);
        break;
      }
      case 'remove':
        await cognito.send(new AdminDeleteUserCommand({ UserPoolId, Username }));
        out(`removed ${Username}`);
        break;
      case 'disable':
        await cognito.send(new AdminDisableUserCommand({ UserPoolId, Username }));
        out(`disabled ${Username}`);
        break;
      case 'enable':
        await cognito.send(new AdminEnableUserCommand({ UserPoolId, Username }));
        out(`enabled ${Username}`);
        break;
    }
  } catch (err) {
    const e = err as Error & { $metadata?: unknown };
    if (e.$metadata) throw new CliError(`${e.name}: ${e.message}`);
    throw err;
  } finally {
    cognito.destroy();
    await local?.close();
  }
}

try {
  await run(process.argv.slice(2));
} catch (err) {
  if (err instanceof CliError) {
    process.stderr.write(`users: ${err.message}\n`);
    process.exit(err.exitCode);
  }
  if (err instanceof ConfigError) {
    process.stderr.write(`users: configuration error: ${err.message}\n`);
    process.exit(2);
  }
  // The data folder cannot be made or read (a file in the way, no permission): one line, not a stack trace.
  if ((err as NodeJS.ErrnoException).syscall) {
    process.stderr.write(`users: ${(err as Error).message}\n`);
    process.exit(1);
  }
  throw err;
}
