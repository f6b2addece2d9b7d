// Unit tests: the user names EXTERNAL takes from a certificate subject (RabbitMQ's rabbit_ssl formats), and the
// management API's cross-site guard, without sockets.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { commonName, distinguishedName } from '../../src/server/sasl.js';
import { crossSiteRefusal } from '../../src/management/csrf.js';

describe('EXTERNAL user names', () => {
  it('distinguished_name: RFC 4514, most specific RDN first, escapes kept (as openssl -nameopt RFC2253 prints it)', () => {
    assert.equal(distinguishedName('C=GB\nO=Warren Test\nCN=alice'), 'CN=alice,O=Warren Test,C=GB');
    // X509Certificate.subject of openssl req -subj '/C=GB/O=Example, Inc./CN=al;ice'
    assert.equal(distinguishedName('C=GB\nO=Example\\, Inc.\nCN=al\\;ice'), 'CN=al\\;ice,O=Example\\, Inc.,C=GB');
  });
  it('common_name: the CN (the last one if several), none without one', () => {
    assert.equal(commonName('C=GB\nO=Warren Test\nCN=alice'), 'alice');
    assert.equal(commonName('CN=outer\nCN=inner'), 'inner');
    assert.equal(commonName('O=No CN'), undefined);
    assert.equal(commonName('C=GB\nCN=al\\;ice'), 'al;ice');
  });
});

describe('management cross-site guard', () => {
  const check = (method: string, h: Record<string, string>) => crossSiteRefusal(method, (n) => h[n]);
  it('reads pass whatever their origin', () => {
    assert.equal(check('GET', { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' }), undefined);
  });
  it('changes from another site are 403, from this origin or a tool without Origin pass', () => {
    assert.equal(check('PUT', { origin: 'http://evil.example', host: 'localhost:15672' })?.status, 403);
    assert.equal(check('DELETE', { 'sec-fetch-site': 'cross-site' })?.status, 403);
    assert.equal(check('POST', { origin: 'http://localhost:15672', host: 'localhost:15672' }), undefined);
    assert.equal(check('DELETE', {}), undefined);
  });
  it('a browser\'s bodies must be JSON, except a multipart upload shown to be same-origin', () => {
    const browser = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64)' };
    assert.equal(check('PUT', { ...browser, 'content-length': '2', 'content-type': 'text/plain' })?.status, 415);
    assert.equal(check('PUT', { 'content-length': '2', referer: 'http://x/', 'content-type': 'text/plain' })?.status, 415);
    assert.equal(check('PUT', { ...browser, 'content-length': '2', 'content-type': 'application/json; charset=utf-8' }), undefined);
    assert.equal(check('POST', { ...browser, 'content-length': '9', 'content-type': 'multipart/form-data; boundary=x' })?.status, 415);
    assert.equal(check('POST', { 'content-length': '9', 'content-type': 'multipart/form-data; boundary=x', 'sec-fetch-site': 'same-origin' }), undefined);
  });
  it('tools (no browser headers) send bodies of any type, as to RabbitMQ', () => {
    assert.equal(check('PUT', { 'user-agent': 'curl/7.88.1', 'content-length': '2', 'content-type': 'application/x-www-form-urlencoded' }), undefined);
    assert.equal(check('PUT', { 'content-length': '2', 'content-type': 'text/plain' }), undefined);
  });
});
