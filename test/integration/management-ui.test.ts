// The management web UI in a real headless Chromium (Debian's chromium, driven by playwright-core) against a
// Warren process: a wrong password and a user without a management tag are refused with a message; guest logs
// in, declares a queue with the form, publishes with the form (and amqplib publishes in a loop), sees the
// queue's message count and the rate charts move, gets the message back, and deletes the queue (checked over the
// API). Without chromium the tests skip, except under CI (CI set), where they fail. With WARREN_UI_SCREENSHOTS=dir
// a second suite fills a broker with realistic traffic and writes screenshots of the main pages into dir.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import amqp, { type ChannelModel } from 'amqplib';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startWarren, type TestBroker } from '../support/broker.js';
import { api, enc, type Api } from '../support/mgmt.js';

const CHROMIUM = process.env.WARREN_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
/** Under CI a missing chromium is a failure (.ci/run installs it); elsewhere the suite skips. */
const skip = !haveChromium && !process.env.CI ? `no chromium at ${CHROMIUM} (apt-get install chromium)` : false;
const SHOTS = process.env.WARREN_UI_SCREENSHOTS;
/** Generous waits: the machine may be busy; nothing here asserts how fast anything is. */
const WAIT = 30_000;

async function launch(): Promise<Browser> {
  assert.ok(haveChromium, `chromium is required under CI and missing at ${CHROMIUM}`);
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

async function logIn(page: Page, base: string, user: string, password: string): Promise<void> {
  await page.goto(`${base}/`);
  await page.fill('#login-form input[name=username]', user);
  await page.fill('#login-form input[name=password]', password);
  await page.click('#login-form button[type=submit]');
}

/** The number shown in an element, without thousands separators. */
async function shownNumber(page: Page, selector: string): Promise<number> {
  return Number(((await page.textContent(selector)) ?? '').replace(/,/g, ''));
}

async function openPanel(page: Page, id: string): Promise<void> {
  if (await page.locator(`#${id}.closed`).count()) await page.click(`#${id} > h2`);
}

describe('management UI in Chromium', { skip }, () => {
  let broker: TestBroker;
  let a: Api;
  let browser: Browser;
  let page: Page;
  let conn: ChannelModel;
  const queue = `ui-test-q-${process.pid}`;
  const errors: string[] = [];

  before(async () => {
    broker = await startWarren({ env: { WARREN_STATS_INTERVAL_MS: '500' } });
    a = api(broker);
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(WAIT);
    page.on('pageerror', (e) => errors.push(String(e)));
    conn = await amqp.connect(broker.url);
  });

  after(async () => {
    await conn?.close().catch(() => {});
    await browser?.close();
    await broker?.stop();
  });

  it('serves the page and its assets from the node itself', async () => {
    const index = await fetch(`${broker.mgmtUrl}/`);
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-type') ?? '', /text\/html/);
    for (const path of ['/ui/js/main.js', '/ui/css/warren.css', '/ui/vendor/preact.mjs', '/ui/vendor/hooks.mjs', '/ui/vendor/htm.mjs']) {
      assert.equal((await fetch(`${broker.mgmtUrl}${path}`)).status, 200, path);
    }
    assert.equal((await fetch(`${broker.mgmtUrl}/ui/..%2f..%2fpackage.json`)).status, 404);
  });

  it('a wrong password shows "Login failed"', async () => {
    await logIn(page, broker.mgmtUrl, 'guest', 'wrong-password');
    await page.waitForSelector('#login-form .msg.error');
    assert.match((await page.textContent('#login-form .msg.error')) ?? '', /Login failed/);
  });

  it('a user without a management tag is told it is not authorised', async () => {
    const user = `ui-nomgmt-${process.pid}`;
    assert.equal((await a.put(`/users/${enc(user)}`, { password: 'pw', tags: '' })).status, 201);
    try {
      await logIn(page, broker.mgmtUrl, user, 'pw');
      await page.waitForSelector('#login-form .msg.error');
      assert.match((await page.textContent('#login-form .msg.error')) ?? '', /Not authorised.*no management tag/);
    } finally {
      await a.del(`/users/${enc(user)}`);
    }
  });

  it('guest logs in and sees the overview', async () => {
    await logIn(page, broker.mgmtUrl, 'guest', 'guest');
    await page.waitForSelector('#chart-rates');
    await page.waitForFunction(() => document.querySelector('#cluster-name')?.textContent !== '…');
    // Refresh every second, so the test does not wait 5 s per poll.
    await page.selectOption('#refresh-select', '1000');
    assert.ok((await page.textContent('#count-exchanges'))?.trim(), 'object totals shown');
  });

  it('declares a queue with the form', async () => {
    await page.click('#tab-queues');
    await openPanel(page, 'add-queue-panel');
    await page.fill('#add-queue input[name=name]', queue);
    await page.selectOption('#add-queue select[name=durable]', 'false');
    await page.click('#add-queue button[type=submit]');
    await page.waitForSelector(`#queues-table a:text-is("${queue}")`);
    const r = await a.get<{ durable: boolean }>(`/queues/%2F/${enc(queue)}`);
    assert.equal(r.status, 200);
    assert.equal(r.json.durable, false);
  });

  it('publishes with the form; the message count and the rate charts move', async () => {
    await page.click(`#queues-table a:text-is("${queue}")`);
    await page.waitForSelector('#queue-messages');
    await openPanel(page, 'publish-panel');
    await page.fill('#publish-form textarea[name=payload]', 'hello from the UI');
    await page.click('#publish-form button[type=submit]');
    await page.waitForSelector('#publish-form .msg.ok:text("Message published.")');
    await page.waitForFunction(() => document.querySelector('#queue-messages')?.textContent === '1');

    // Traffic for the charts: amqplib publishes a steady stream into the queue.
    const ch = await conn.createChannel();
    const timer = setInterval(() => { for (let i = 0; i < 10; i++) ch.sendToQueue(queue, Buffer.from(`load ${i}`)); }, 50);
    try {
      const before = await page.getAttribute('#queue-chart-rates polyline[data-series=publish]', 'points');
      await page.waitForFunction(() => Number(document.querySelector('#queue-messages')?.textContent?.replace(/,/g, '')) > 1);
      await page.waitForFunction(() => Number(document.querySelector('#queue-chart-rates svg')?.getAttribute('data-max')) > 0);
      await page.waitForFunction((b) =>
        document.querySelector('#queue-chart-rates polyline[data-series=publish]')?.getAttribute('points') !== b, before);
      const last = JSON.parse((await page.getAttribute('#queue-chart-rates svg', 'data-last')) ?? '{}');
      assert.ok(last.publish > 0, `publish rate plotted: ${JSON.stringify(last)}`);
      assert.ok(await shownNumber(page, '#queue-messages') > 1);

      // The overview's node-wide charts see the same traffic.
      await page.click('#tab-overview');
      await page.waitForFunction(() => Number(document.querySelector('#chart-rates svg')?.getAttribute('data-max')) > 0);
      await page.waitForFunction(() => Number(document.querySelector('#chart-lengths svg')?.getAttribute('data-max')) > 1);
      assert.ok(await shownNumber(page, '#total-messages') > 1);
      assert.ok(Number(await page.getAttribute('#chart-rates svg', 'data-points')) >= 1);
    } finally {
      clearInterval(timer);
      await ch.close();
    }
  });

  it('gets the message back with the form', async () => {
    await page.goto(`${broker.mgmtUrl}/#/queues/%2F/${enc(queue)}`);
    await openPanel(page, 'get-panel');
    await page.click('#get-form button[type=submit]');
    await page.waitForSelector('#got-messages .payload');
    assert.equal(await page.textContent('#got-messages .payload'), 'hello from the UI');
  });

  it('an API error is shown with its reason', async () => {
    await page.click('#tab-queues');
    await openPanel(page, 'add-queue-panel');
    // Redeclaring with other properties: RabbitMQ's PRECONDITION_FAILED text, shown as the API returns it.
    await page.fill('#add-queue input[name=name]', queue);
    await page.selectOption('#add-queue select[name=durable]', 'true');
    await page.click('#add-queue button[type=submit]');
    await page.waitForSelector('#add-queue .msg.error');
    assert.match((await page.textContent('#add-queue .msg.error')) ?? '', /inequivalent arg 'durable'/);
  });

  it('deletes the queue after confirmation', async () => {
    await page.goto(`${broker.mgmtUrl}/#/queues/%2F/${enc(queue)}`);
    await openPanel(page, 'danger-panel');
    await page.click('#delete-queue');
    await page.click('#danger-panel [data-confirm=yes]');
    await page.waitForFunction(() => location.hash === '#/queues');
    assert.equal((await a.get(`/queues/%2F/${enc(queue)}`)).status, 404);
  });

  it('logs out', async () => {
    await page.click('#logout');
    await page.waitForSelector('#login-form');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('warren.auth')), null);
  });

  it('a management user sees the overview and queues but no Admin tab', async () => {
    const user = `ui-mgmt-${process.pid}`;
    assert.equal((await a.put(`/users/${enc(user)}`, { password: 'pw', tags: 'management' })).status, 201);
    await a.put(`/permissions/%2F/${enc(user)}`, { configure: '.*', write: '.*', read: '.*' });
    try {
      await logIn(page, broker.mgmtUrl, user, 'pw');
      await page.waitForSelector('#chart-rates');
      assert.equal(await page.locator('#tab-admin').count(), 0);
      await page.click('#tab-queues');
      await page.waitForSelector('#queues-table tbody tr');
      await page.click('#logout');
      await page.waitForSelector('#login-form');
    } finally {
      await a.del(`/users/${enc(user)}`);
    }
    assert.deepEqual(errors, [], 'no uncaught errors in the page');
  });
});

describe('management UI screenshots', { skip: SHOTS ? skip : 'set WARREN_UI_SCREENSHOTS=dir to write screenshots' }, () => {
  it('writes overview, queues, queue, exchanges, connections and admin screenshots', { timeout: 240_000 }, async () => {
    const dir = SHOTS!;
    mkdirSync(dir, { recursive: true });
    const broker = await startWarren({ env: { WARREN_STATS_INTERVAL_MS: '1000' } });
    const browser = await launch();
    const traffic = await startTraffic(broker, api(broker));
    try {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
      page.setDefaultTimeout(WAIT);
      await logIn(page, broker.mgmtUrl, 'guest', 'guest');
      await page.waitForSelector('#chart-rates');
      await page.selectOption('#refresh-select', '1000');
      // Let the charts gather a minute of history.
      await new Promise((r) => setTimeout(r, 60_000));
      const shot = async (hash: string, file: string, ready: string) => {
        await page.goto(`${broker.mgmtUrl}/${hash}`);
        await page.waitForSelector(ready);
        await new Promise((r) => setTimeout(r, 2500));
        await page.screenshot({ path: join(dir, file), fullPage: file !== 'overview.png' });
      };
      await shot('#/overview', 'overview.png', '#node-panel');
      await shot('#/queues', 'queues.png', '#queues-table tbody tr');
      await shot('#/connections', 'connections.png', '#connections-table tbody tr');
      await shot('#/exchanges', 'exchanges.png', '#exchanges-table tbody tr');
      await shot('#/admin/users', 'admin.png', '#users-table tbody tr');
      // The queue page keeps its history only while shown: stay on it a while before the picture.
      await page.goto(`${broker.mgmtUrl}/#/queues/%2F/orders.created`);
      await page.waitForSelector('#queue-messages');
      await new Promise((r) => setTimeout(r, 40_000));
      await page.click('#publish-panel > h2');
      await page.fill('#publish-form textarea[name=payload]', '{"order": 1042, "total": 99.5}');
      await page.screenshot({ path: join(dir, 'queue.png'), fullPage: true });
    } finally {
      await traffic.stop();
      await browser.close();
      await broker.stop();
    }
  });
});

/** Realistic-looking load: a few exchanges and queues, consumers acking at different speeds, varying rates. */
async function startTraffic(broker: TestBroker, a: Api): Promise<{ stop(): Promise<void> }> {
  await a.put('/vhosts/staging', { description: 'Staging environment' });
  await a.put('/permissions/staging/guest', { configure: '.*', write: '.*', read: '.*' });
  await a.put('/users/billing-svc', { password: 'pw', tags: 'management' });
  await a.put('/permissions/%2F/billing-svc', { configure: '^billing\\.', write: '.*', read: '^billing\\.' });
  await a.put('/users/ops', { password: 'pw', tags: 'monitoring' });
  await a.put('/policies/%2F/orders-ttl', { pattern: '^orders\\.', definition: { 'message-ttl': 3600000 }, 'apply-to': 'queues' });
  const conns: ChannelModel[] = [];
  for (let i = 0; i < 4; i++) conns.push(await amqp.connect(broker.url, { clientProperties: { connection_name: ['order-service', 'order-worker', 'shipping-worker', 'billing-worker'][i] } }));
  const pub = await conns[0]!.createConfirmChannel();
  await pub.assertExchange('orders', 'topic', { durable: true });
  await pub.assertExchange('events', 'fanout', { durable: true });
  await pub.assertExchange('billing', 'direct', { durable: true });
  const queues: [string, string, string, Record<string, unknown>][] = [
    ['orders.created', 'orders', 'order.created.*', {}], ['orders.shipped', 'orders', 'order.shipped.#', {}],
    ['billing.invoices', 'billing', 'invoice', { 'x-max-length': 50000 }], ['audit.log', 'events', '', { 'x-queue-mode': 'lazy' }],
    ['emails.dlq', 'events', '', { 'x-message-ttl': 600000 }],
  ];
  await a.put('/queues/staging/sessions', { durable: true, arguments: { 'x-expires': 1800000 } });
  await a.post('/exchanges/staging/amq.default/publish', { properties: {}, routing_key: 'sessions', payload: 'user-42', payload_encoding: 'string' });
  for (const [q, x, key, args] of queues) {
    await pub.assertQueue(q, { durable: true, arguments: args });
    await pub.bindQueue(q, x, key);
  }
  // Consumers: fast on orders.created and billing.invoices, slow on orders.shipped; audit.log and emails.dlq grow.
  const consume = async (c: ChannelModel, q: string, prefetch: number, delayMs: number) => {
    const ch = await c.createChannel();
    await ch.prefetch(prefetch);
    await ch.consume(q, (m) => { if (m) setTimeout(() => { try { ch.ack(m); } catch { /* closed */ } }, delayMs); });
  };
  await consume(conns[1]!, 'orders.created', 50, 5);
  await consume(conns[2]!, 'orders.shipped', 10, 300);
  await consume(conns[3]!, 'billing.invoices', 100, 1);
  let t = 0;
  const timer = setInterval(() => {
    t++;
    // Rates that rise and fall, so the charts show shape rather than a flat line.
    const wave = 1 + Math.sin(t / 40);
    for (let i = 0; i < Math.round(6 * wave) + 2; i++) pub.publish('orders', `order.created.eu`, Buffer.from(JSON.stringify({ order: t * 10 + i })), { persistent: true });
    if (t % 3 === 0) pub.publish('orders', 'order.shipped.eu.fast', Buffer.from('{}'));
    for (let i = 0; i < Math.round(3 * (2 - wave)); i++) pub.publish('billing', 'invoice', Buffer.from('{"amount": 12}'));
    if (t % 5 === 0) pub.publish('events', '', Buffer.from('{"event":"login"}'));
  }, 100);
  return {
    async stop() {
      clearInterval(timer);
      for (const c of conns) await c.close().catch(() => {});
    },
  };
}
