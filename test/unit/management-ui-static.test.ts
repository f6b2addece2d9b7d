// The UI's static routes in process (no socket): index.html at "/", modules and CSS under /ui/ with their
// content types, the vendored preact/htm modules, and no file outside the UI directory, however the path is spelt.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Hono } from 'hono';
import { mountUi, uiDir } from '../../src/management/ui-static.js';

const app = new Hono();
mountUi(app as never);

describe('management UI static files', () => {
  it('finds the UI directory from the compiled module', () => {
    assert.ok(existsSync(join(uiDir(), 'index.html')), uiDir());
  });

  it('serves index.html at / with an import map for the vendored modules', async () => {
    const r = await app.request('/');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type')!, /^text\/html/);
    const body = await r.text();
    assert.match(body, /"preact": "\/ui\/vendor\/preact.mjs"/);
    assert.match(body, /\/ui\/js\/main.js/);
  });

  it('serves modules, CSS and vendored libraries with their types', async () => {
    for (const [path, type] of [['/ui/js/main.js', /javascript/], ['/ui/js/pages/queues.js', /javascript/], ['/ui/css/warren.css', /text\/css/],
      ['/ui/vendor/preact.mjs', /javascript/], ['/ui/vendor/hooks.mjs', /javascript/], ['/ui/vendor/htm.mjs', /javascript/]] as const) {
      const r = await app.request(path);
      assert.equal(r.status, 200, path);
      assert.match(r.headers.get('content-type')!, type, path);
    }
  });

  it('answers 404 for missing files, unknown vendor names and paths leaving the UI directory', async () => {
    for (const path of ['/ui/js/nope.js', '/ui/vendor/react.mjs', '/ui/..%2f..%2fui-static.js', '/ui/%2e%2e/%2e%2e/%2e%2e/package.json', '/ui/']) {
      assert.equal((await app.request(path)).status, 404, path);
    }
  });
});
