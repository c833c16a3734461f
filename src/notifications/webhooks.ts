import type { Queryable } from '../db/index.js';

export interface WebhookSetting {
  url: string;
  enabled: boolean;
  updatedAt: string;
}

export async function putWebhook(db: Queryable, userSub: string, url: string, enabled: boolean): Promise<WebhookSetting> {
  const { rows } = await db.query<{ url: string; enabled: boolean; updated_at: Date }>(
    `INSERT INTO webhooks (user_sub, url, enabled) VALUES ($1, $2, $3)
     ON CONFLICT (user_sub) DO UPDATE SET url = EXCLUDED.url, enabled = EXCLUDED.enabled, updated_at = now()
     RETURNING url, enabled, updated_at`,
    [userSub, url, enabled],
  );
  const r = rows[0] as { url: string; enabled: boolean; updated_at: Date };
  return { url: r.url, enabled: r.enabled, updatedAt: new Date(r.updated_at).toISOString() };
}
