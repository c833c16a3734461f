/**
 * The page's security headers in AWS: CloudFront's response headers policy is the policy object of
 * src/webSecurityHeaders.ts (the one the local gateway sends), its CSP names the hosted login and the API, the
 * distribution uses it, and naming the API did not close a dependency cycle. cdk-nag runs in infra/stack.test.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { securityHeaders, webSecurityPolicy } from '../src/webSecurityHeaders.js';
import { buildApp } from './app.js';
import type { PierStack } from './lib/stack.js';
import { ENVIRONMENTS, type EnvSettings } from './settings.js';

// Synthesized CloudFormation is untyped JSON.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
type Built = { stack: PierStack; resources: Record<string, Json> };

const outdir = mkdtempSync(join(tmpdir(), 'pier-cdk-web-'));
const built: Record<string, Built> = {};

beforeAll(() => {
  const pageDir = join(outdir, 'page');
  mkdirSync(pageDir);
  writeFileSync(join(pageDir, 'index.html'), '<!doctype html><title>Pier</title>');
  const forTest = (s: EnvSettings, distDir: string): EnvSettings => ({ ...s, functions: { ...s.functions, bundle: false }, web: { distDir } });
  const app = new App({ outdir, builtinCloudFormationValidation: false });
  // dev with a built page, prod without: the policy must not depend on the upload.
  for (const stack of buildApp(app, { envs: [forTest(ENVIRONMENTS.dev, pageDir), forTest(ENVIRONMENTS.prod, join(outdir, 'none'))], nag: false })) {
    built[stack.settings.env] = { stack, resources: Template.fromStack(stack).toJSON().Resources };
  }
});
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

/** A template value as text, references as `{LogicalId}` / `{LogicalId.Attr}` / `{AWS::URLSuffix}`. */
function text(v: Json): string {
  if (typeof v === 'string') return v;
  if (v?.['Fn::Join']) return (v['Fn::Join'][1] as Json[]).map(text).join(v['Fn::Join'][0] as string);
  if (v?.Ref) return `{${v.Ref}}`;
  if (v?.['Fn::GetAtt']) return `{${(v['Fn::GetAtt'] as string[]).join('.')}}`;
  throw new Error(`unexpected template value ${JSON.stringify(v)}`);
}

/** The headers CloudFront adds for a response headers policy's config, as the gateway's `securityHeaders()` names them. */
function cloudFrontHeaders(config: Json): Record<string, string> {
  const sec = config.SecurityHeadersConfig;
  const h: Record<string, string> = {};
  if (sec.ContentSecurityPolicy) h['content-security-policy'] = text(sec.ContentSecurityPolicy.ContentSecurityPolicy);
  if (sec.ContentTypeOptions) h['x-content-type-options'] = 'nosniff';
  if (sec.FrameOptions) h['x-frame-options'] = sec.FrameOptions.FrameOption;
  if (sec.ReferrerPolicy) h['referrer-policy'] = sec.ReferrerPolicy.ReferrerPolicy;
  const t = sec.StrictTransportSecurity;
  if (t) h['strict-transport-security'] = `max-age=${t.AccessControlMaxAgeSec}${t.IncludeSubdomains ? '; includeSubDomains' : ''}${t.Preload ? '; preload' : ''}`;
  if (sec.XSSProtection) h['x-xss-protection'] = 'set';
  for (const c of config.CustomHeadersConfig?.Items ?? []) h[(c.Header as string).toLowerCase()] = text(c.Value);
  // Every header overrides what the origin (S3) might send.
  for (const v of [sec.ContentSecurityPolicy, sec.ContentTypeOptions, sec.FrameOptions, sec.ReferrerPolicy, t, ...(config.CustomHeadersConfig?.Items ?? [])]) {
    if (v) expect(v.Override).toBe(true);
  }
  return h;
}

/** Resource ids each resource refers to (Ref, Fn::GetAtt, Fn::Sub, DependsOn). */
function edges(resources: Record<string, Json>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const walk = (v: Json, into: Set<string>) => {
    if (Array.isArray(v)) return v.forEach((x) => walk(x, into));
    if (v === null || typeof v !== 'object') return;
    if (typeof v.Ref === 'string' && v.Ref in resources) into.add(v.Ref);
    if (Array.isArray(v['Fn::GetAtt']) && v['Fn::GetAtt'][0] in resources) into.add(v['Fn::GetAtt'][0]);
    const sub = v['Fn::Sub'];
    const subText = typeof sub === 'string' ? sub : Array.isArray(sub) ? sub[0] : undefined;
    if (typeof subText === 'string') for (const [, id] of subText.matchAll(/\$\{([A-Za-z0-9]+)/g)) if (id! in resources) into.add(id!);
    for (const x of Object.values(v)) walk(x, into);
  };
  for (const [id, r] of Object.entries(resources)) {
    const into = new Set<string>();
    walk(r.Properties ?? {}, into);
    for (const d of [r.DependsOn ?? []].flat()) into.add(d as string);
    out.set(id, into);
  }
  return out;
}

/** One dependency cycle, or undefined: what CloudFormation refuses ("Circular dependency between resources"). */
function findCycle(graph: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'open') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'open');
    path.push(id);
    for (const next of graph.get(id) ?? []) {
      const c = visit(next);
      if (c) return c;
    }
    path.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const id of graph.keys()) {
    const c = visit(id);
    if (c) return c;
  }
  return undefined;
}

describe.each(['dev', 'prod'])('Pier-%s web page headers', (env) => {
  const b = () => built[env]!;
  const id = (c: { node: { defaultChild?: unknown } }) => b().stack.getLogicalId(c.node.defaultChild as never);
  const ofType = (type: string) => Object.entries(b().resources).filter(([, r]) => r.Type === type);

  it("serves every response through the page's own response headers policy, not the managed one", () => {
    const [dist] = ofType('AWS::CloudFront::Distribution');
    const policies = ofType('AWS::CloudFront::ResponseHeadersPolicy');
    expect(policies.map(([pid]) => pid)).toEqual([id(b().stack.web.responseHeadersPolicy)]);
    const config = dist![1].Properties.DistributionConfig;
    expect(config.DefaultCacheBehavior.ResponseHeadersPolicyId).toEqual({ Ref: policies[0]![0] });
    expect(config.CacheBehaviors ?? []).toEqual([]);
  });

  it('sends exactly the headers of the policy object, the one the local gateway sends, with HSTS', () => {
    const { stack } = b();
    const policy = stack.web.policy!;
    const [, rhp] = ofType('AWS::CloudFront::ResponseHeadersPolicy')[0]!;
    const expected = Object.fromEntries(Object.entries(stack.resolve(securityHeaders(policy)) as Record<string, Json>).map(([k, v]) => [k, text(v)]));
    expect(cloudFrontHeaders(rhp.Properties.ResponseHeadersPolicyConfig)).toEqual(expected);
    // And that object is the shared policy for an https page whose connect-src the page's config names.
    const { contentSecurityPolicy, ...rest } = policy;
    const { contentSecurityPolicy: _, ...shape } = webSecurityPolicy({ connectSrc: [], https: true });
    expect(rest).toEqual(shape);
    expect(expected['strict-transport-security']).toBe('max-age=63072000; includeSubDomains');
    expect(contentSecurityPolicy).toContain('connect-src');
  });

  it("names the hosted login's token endpoint and the region's HTTP APIs in connect-src, and nothing else", () => {
    const { stack } = b();
    const [, rhp] = ofType('AWS::CloudFront::ResponseHeadersPolicy')[0]!;
    const csp = text(rhp.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy);
    const domain = id(stack.auth.domain);
    const region = stack.settings.region;
    expect(csp).toBe(
      [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        `connect-src 'self' https://{${domain}}.auth.${region}.amazoncognito.com https://*.execute-api.${region}.{AWS::URLSuffix}`,
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
      ].join('; '),
    );
    // config.json, deployed beside the page, has the same hosted login (dev builds the page; prod has none to deploy).
    const deployments = ofType('Custom::CDKBucketDeployment');
    expect(deployments).toHaveLength(env === 'dev' ? 1 : 0);
    if (env === 'dev') expect(Object.values(deployments[0]![1].Properties.SourceMarkers[1] as object)).toContainEqual({ Ref: domain });
  });

  it('has no dependency cycle, which naming the API by its own URL would close', () => {
    const graph = edges(b().resources);
    expect(findCycle(graph)).toBeUndefined();
    // The HTTP API depends on the distribution (its CORS origin): a policy -> API edge would be a cycle.
    const policy = id(b().stack.web.responseHeadersPolicy);
    const api = id(b().stack.api.httpApi);
    graph.get(policy)!.add(api);
    const cycle = findCycle(graph);
    expect(cycle).toEqual(expect.arrayContaining([policy, api, id(b().stack.web.distribution)]));
  });
});
