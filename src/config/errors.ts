/** Every error start-up can stop on. `code` is stable; `message` names the key and source, never a value. */
export type ConfigErrorCode =
  | 'CONFIG_MISSING'
  | 'CONFIG_INVALID'
  | 'CONFIG_DOTENV_MALFORMED'
  | 'CONFIG_DOTENV_UNREADABLE'
  | 'CONFIG_SECRETS_DIR_UNREADABLE'
  | 'CONFIG_SECRET_NOT_FOUND'
  | 'CONFIG_SECRET_NOT_JSON'
  | 'CONFIG_SECRET_UNAVAILABLE';

export interface ConfigIssue {
  code: ConfigErrorCode;
  key?: string;
  source?: string;
  message: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code: ConfigErrorCode;
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const first = issues[0];
    if (!first) throw new TypeError('ConfigError needs at least one issue');
    super(
      issues.length === 1
        ? first.message
        : `${issues.length} configuration problems:\n${issues.map((i) => `  - ${i.message}`).join('\n')}`,
    );
    this.code = first.code;
    this.issues = issues;
  }
}
