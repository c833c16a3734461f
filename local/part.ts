/** One running piece of the local runtime (a stand-in or a Pier role), as the runner sees it. */
export interface RunningPart {
  /** Key in `.pier/endpoints.json` (`service`, `gateway`, `identity`, `sqs`, `secretsmanager`, `web`). */
  name: string;
  /** Base URL, without a trailing slash. */
  url?: string;
  /** Plain settings a client needs (issuer, userPoolId, clientId, queue URLs...), merged into endpoints.json. */
  settings?: Record<string, string>;
  /** Lines printed under the part at start-up (demo account, hints). Never a secret or password hash. */
  notes?: string[];
  close(): Promise<void>;
}
