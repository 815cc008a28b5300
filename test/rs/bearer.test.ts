import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { extractBearer, type BearerRejection } from '../../src/rs/bearer.js';

const URL_ = 'https://mcp.example.com/mcp';
const JWT = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln';

type Expect = 'none' | { token: string } | `invalid:${BearerRejection}`;

const req = (headers: [string, string][], url = URL_, init: RequestInit = {}) =>
  new Request(url, { ...init, headers: new Headers(headers) });

const cases: [string, Request, Expect][] = [
  ['no Authorization header', req([]), 'none'],
  ['Bearer token', req([['authorization', `Bearer ${JWT}`]]), { token: JWT }],
  ['scheme is case-insensitive (RFC 9110 §11.1)', req([['authorization', `bEARER ${JWT}`]]), { token: JWT }],
  ['several spaces after the scheme (1*SP)', req([['authorization', `Bearer   ${JWT}`]]), { token: JWT }],
  ['b64token with trailing "="', req([['authorization', 'Bearer abc+/-._~==']]), { token: 'abc+/-._~==' }],
  ['another scheme carries no bearer token', req([['authorization', 'Basic dXNlcjpwYXNz']]), 'none'],
  ['DPoP scheme is not a bearer token', req([['authorization', `DPoP ${JWT}`]]), 'none'],
  ['Bearer without a token', req([['authorization', 'Bearer']]), 'invalid:malformed_header'],
  ['Bearer followed by spaces only', req([['authorization', 'Bearer   ']]), 'invalid:malformed_header'],
  ['two tokens', req([['authorization', `Bearer ${JWT} ${JWT}`]]), 'invalid:malformed_header'],
  ['characters outside b64token', req([['authorization', 'Bearer abc$def']]), 'invalid:malformed_header'],
  ['"=" inside the token', req([['authorization', 'Bearer ab=cd']]), 'invalid:malformed_header'],
  ['empty header', req([['authorization', '']]), 'invalid:malformed_header'],
  [
    'two Authorization headers',
    req([['authorization', `Bearer ${JWT}`], ['authorization', `Bearer ${JWT}`]]),
    'invalid:multiple_credentials',
  ],
  ['Basic and Bearer together', req([['authorization', 'Basic x'], ['authorization', `Bearer ${JWT}`]]), 'invalid:multiple_credentials'],
  ['access_token in the query, no header', req([], `${URL_}?access_token=${JWT}`), 'invalid:token_in_query'],
  ['access_token in the query, with a header', req([['authorization', `Bearer ${JWT}`]], `${URL_}?x=1&access_token=a`), 'invalid:token_in_query'],
  ['other query parameters are fine', req([['authorization', `Bearer ${JWT}`]], `${URL_}?a=b`), { token: JWT }],
  [
    'form-encoded body (RFC 6750 §2.2 not supported)',
    req([['content-type', 'application/x-www-form-urlencoded; charset=utf-8']], URL_, { method: 'POST', body: `access_token=${JWT}` }),
    'invalid:form_body',
  ],
  [
    'JSON body with a header token',
    req([['content-type', 'application/json'], ['authorization', `Bearer ${JWT}`]], URL_, { method: 'POST', body: '{}' }),
    { token: JWT },
  ],
];

describe('RFC 6750 §2 / MCP "Token Requirements": bearer token only in the Authorization header (rs.bearer.header-only)', () => {
  for (const [title, request, expected] of cases) {
    it(title, () => {
      const got = extractBearer(request);
      if (expected === 'none') assert.deepEqual(got, { kind: 'none' });
      else if (typeof expected === 'object') assert.deepEqual(got, { kind: 'token', token: expected.token });
      else {
        assert.equal(got.kind, 'invalid');
        assert.equal(got.kind === 'invalid' && got.reason, expected.slice('invalid:'.length));
        // the wire description never echoes the credential
        assert.equal(got.kind === 'invalid' && got.description.includes(JWT), false);
      }
    });
  }
});
