import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { appRoleStatements, onEvent, quoteLiteral, scramVerifier, type AppRoleDeps } from './appRole.js';

describe('scramVerifier', () => {
  it('makes the keys of RFC 7677 section 3: its client proof checks against StoredKey, its server signature is ServerKey\'s', () => {
    const v = scramVerifier('pencil', Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'), 4096);
    const m = /^SCRAM-SHA-256\$4096:W22ZaJ0SNY7soEsUEjb6gQ==\$([^:]+):(.+)$/.exec(v);
    expect(m).not.toBeNull();
    const storedKey = Buffer.from(m![1]!, 'base64');
    const serverKey = Buffer.from(m![2]!, 'base64');
    const authMessage = [
      'n=user,r=rOprNGfwEbeRWgbNEkqO',
      'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
    ].join(',');
    const proof = Buffer.from('dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=', 'base64');
    const clientSignature = createHmac('sha256', storedKey).update(authMessage).digest();
    const clientKey = Buffer.from(proof.map((b, i) => b ^ clientSignature[i]!));
    expect(createHash('sha256').update(clientKey).digest().equals(storedKey)).toBe(true);
    expect(createHmac('sha256', serverKey).update(authMessage).digest('base64')).toBe('6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
  });

  it('salts each call and refuses what would need SASLprep', () => {
    expect(scramVerifier('pw')).not.toBe(scramVerifier('pw'));
    expect(() => scramVerifier('pässword')).toThrow(/ASCII/);
  });
});

describe('appRoleStatements', () => {
  it('quotes identifiers and literals and grants only CONNECT/TEMPORARY and USAGE/CREATE on public', () => {
    const v = scramVerifier('secret');
    const sql = appRoleStatements('pier_app', 'pier', v);
    expect(sql).toHaveLength(4);
    expect(sql[0]).toContain(`WHERE rolname = 'pier_app'`);
    expect(sql[0]).toContain('CREATE ROLE "pier_app" NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS');
    expect(sql[1]).toBe(`ALTER ROLE "pier_app" WITH LOGIN NOCREATEDB NOCREATEROLE PASSWORD ${quoteLiteral(v)}`);
    expect(sql.slice(2)).toEqual(['GRANT CONNECT, TEMPORARY ON DATABASE "pier" TO "pier_app"', 'GRANT USAGE, CREATE ON SCHEMA public TO "pier_app"']);
    expect(sql.join('\n')).not.toContain('secret');
    expect(quoteLiteral("it's")).toBe("'it''s'");
  });

  it('refuses names it would have to escape and anything but a SCRAM verifier as the password', () => {
    expect(() => appRoleStatements('pier"; DROP', 'pier')).toThrow(/role name/);
    expect(() => appRoleStatements('pier_app', 'Pier')).toThrow(/database name/);
    expect(() => appRoleStatements('pier_app', 'pier', "plain' password")).toThrow(/SCRAM/);
  });
});

describe('the custom resource handler', () => {
  const props = { MasterSecretArn: 'arn:master', AppSecretArn: 'arn:app', Host: 'pier.cluster-x.us-east-1.rds.amazonaws.com', Port: '5432', Database: 'pier', Role: 'pier_app' };
  const secrets: Record<string, string> = {
    'arn:master': JSON.stringify({ username: 'pier', password: 'master-pw', engine: 'postgres' }),
    'arn:app': JSON.stringify({ username: 'pier_app', password: 'app-pw', host: props.Host, port: 5432, dbname: 'pier', engine: 'postgres' }),
  };
  const deps = (runs: { url: string; sql: readonly string[] }[], s = secrets): AppRoleDeps => ({
    readSecret: async (arn) => s[arn]!,
    run: async (url, sql) => void runs.push({ url, sql }),
  });

  it('on Create and Update connects as master with verify-full and sets the app secret\'s password as a verifier', async () => {
    for (const RequestType of ['Create', 'Update'] as const) {
      const runs: { url: string; sql: readonly string[] }[] = [];
      expect(await onEvent({ RequestType, ResourceProperties: props, PhysicalResourceId: 'pier_app@pier' }, deps(runs))).toEqual({ PhysicalResourceId: 'pier_app@pier' });
      expect(runs).toHaveLength(1);
      const url = new URL(runs[0]!.url);
      expect([url.username, url.password, url.hostname, url.port, url.pathname, url.searchParams.get('sslmode')]).toEqual(['pier', 'master-pw', props.Host, '5432', '/pier', 'verify-full']);
      expect(runs[0]!.sql[1]).toMatch(/PASSWORD 'SCRAM-SHA-256\$4096:/);
      expect(runs[0]!.sql.join('\n')).not.toContain('app-pw');
    }
  });

  it('on Delete leaves the role (touches neither secret nor database)', async () => {
    const runs: { url: string; sql: readonly string[] }[] = [];
    const none: AppRoleDeps = { readSecret: () => Promise.reject(new Error('no')), run: async (url, sql) => void runs.push({ url, sql }) };
    expect(await onEvent({ RequestType: 'Delete', ResourceProperties: props, PhysicalResourceId: 'pier_app@pier' }, none)).toEqual({ PhysicalResourceId: 'pier_app@pier' });
    expect(runs).toEqual([]);
  });

  it('refuses an app secret for another user, without echoing a password', async () => {
    const other = { ...secrets, 'arn:app': JSON.stringify({ username: 'someone', password: 'app-pw' }) };
    await expect(onEvent({ RequestType: 'Create', ResourceProperties: props }, deps([], other))).rejects.toThrow(/names user "someone"/);
    const broken = { ...secrets, 'arn:master': JSON.stringify({ user: 'pier', password: 'master-pw' }) };
    const err = await onEvent({ RequestType: 'Create', ResourceProperties: props }, deps([], broken)).catch((e: Error) => e);
    expect(String(err)).toMatch(/master secret/);
    expect(String(err)).not.toContain('master-pw');
  });
});
