import { describe, expect, it } from 'vitest';
import { buildEventV2, isTextContentType, requestTime } from './event.js';

const base = {
  method: 'GET',
  url: '/x',
  rawHeaders: ['Host', 'api.example.com:4000'],
  body: undefined,
  routeKey: 'GET /x',
  pathParameters: undefined,
  sourceIp: '10.0.0.1',
  httpVersion: '1.1',
  requestId: 'rid',
  now: new Date(Date.UTC(2020, 2, 12, 19, 3, 58)),
};

describe('buildEventV2', () => {
  it('leaves out what has nothing to say, as AWS does', () => {
    const e = buildEventV2(base) as unknown as Record<string, unknown>;
    for (const k of ['cookies', 'queryStringParameters', 'pathParameters', 'body', 'stageVariables']) expect(k in e, k).toBe(false);
    expect(e.isBase64Encoded).toBe(false);
    expect(e.rawQueryString).toBe('');
    expect((e.requestContext as Record<string, unknown>).authorizer).toBeUndefined();
    expect(e.requestContext).toMatchObject({ domainName: 'api.example.com:4000', domainPrefix: 'api', time: '12/Mar/2020:19:03:58 +0000', timeEpoch: 1584039838000 });
  });

  it('base64-encodes a body without a text content type', () => {
    const e = buildEventV2({ ...base, method: 'POST', body: Buffer.from('hello') });
    expect(e.isBase64Encoded).toBe(true);
    expect(e.body).toBe(Buffer.from('hello').toString('base64'));
  });

  it('joins repeated cookies headers into one list', () => {
    const e = buildEventV2({ ...base, rawHeaders: ['Cookie', 'a=1; b=2', 'cookie', 'c=3'] });
    expect(e.cookies).toEqual(['a=1', 'b=2', 'c=3']);
  });
});

describe('isTextContentType', () => {
  it('knows text from binary', () => {
    for (const t of ['text/plain', 'application/json; charset=utf-8', 'application/problem+json', 'application/xml', 'image/svg+xml', 'application/x-www-form-urlencoded']) {
      expect(isTextContentType(t), t).toBe(true);
    }
    for (const t of [undefined, '', 'application/octet-stream', 'image/png', 'multipart/form-data; boundary=x']) expect(isTextContentType(t), String(t)).toBe(false);
  });

  it('formats requestContext.time as API Gateway does', () => {
    expect(requestTime(new Date(Date.UTC(2021, 0, 5, 1, 2, 3)))).toBe('05/Jan/2021:01:02:03 +0000');
  });
});
