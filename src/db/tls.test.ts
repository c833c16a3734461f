import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pgTls } from './tls.js';

describe('pgTls', () => {
  const rds = 'postgresql://pier_app:pw@pier-dev.cluster-abc.us-east-1.rds.amazonaws.com:5432/pier?sslmode=verify-full';

  it('verifies an RDS endpoint against the Amazon RDS CAs only, with the host name checked', () => {
    const out = pgTls(rds);
    expect(out.connectionString).toBe('postgresql://pier_app:pw@pier-dev.cluster-abc.us-east-1.rds.amazonaws.com:5432/pier');
    expect(out.ssl).toMatchObject({ rejectUnauthorized: true, servername: 'pier-dev.cluster-abc.us-east-1.rds.amazonaws.com' });
    const names = (out.ssl!.ca as string[]).map((pem) => new X509Certificate(pem).subject);
    expect(names.some((n) => n.includes('CN=Amazon RDS us-east-1 Root CA RSA2048 G1'))).toBe(true);
    expect(names.every((n) => n.includes('Amazon'))).toBe(true);
  });

  it('leaves local URLs, other hosts and explicit root certificates to pg unchanged', () => {
    for (const url of [
      'postgres://pier:pier@127.0.0.1:5432/pier',
      'postgres://pier:pier@db.example.com/pier?sslmode=verify-full',
      `${rds}&sslrootcert=/etc/ssl/rds.pem`,
      rds.replace('verify-full', 'require'),
      'not a url',
    ]) {
      expect(pgTls(url)).toEqual({ connectionString: url });
    }
  });
});
