// Policies acting on live queues and exchanges, as RabbitMQ 3.10 applies them: set through the management
// API, they take effect on existing entities; numeric limits take the lower of argument and policy, other
// keys prefer the argument; clearing a policy lifts it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { startBroker, type TestBroker } from '../support/broker.js';
import { eventually, sleep, uniq } from '../support/amqp.js';

let broker: TestBroker;
let conn: ChannelModel;
let ch: ConfirmChannel;
const policies: string[] = [];
const auth = { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}`, 'content-type': 'application/json' };

async function setPolicy(name: string, pattern: string, definition: Record<string, unknown>, applyTo = 'queues', priority = 0): Promise<void> {
  const r = await fetch(`${broker.mgmtUrl}/api/policies/%2F/${name}`, { method: 'PUT', headers: auth,
    body: JSON.stringify({ pattern, definition, 'apply-to': applyTo, priority }) });
  assert.ok(r.status === 201 || r.status === 204, `policy ${name}: ${r.status} ${await r.text()}`);
  policies.push(name);
}
async function clearPolicy(name: string): Promise<void> {
  await fetch(`${broker.mgmtUrl}/api/policies/%2F/${name}`, { method: 'DELETE', headers: auth });
}
const count = async (q: string) => (await ch.checkQueue(q)).messageCount;

before(async () => {
  broker = await startBroker();
  conn = await amqp.connect(broker.url);
  ch = await conn.createConfirmChannel();
});
after(async () => {
  for (const p of policies) await clearPolicy(p);
  await conn.close();
  await broker.stop();
});

describe('policies on live entities', () => {
  it('a max-length policy trims an existing queue from the head; clearing it lifts the limit', async () => {
    const q = uniq('pol.len');
    await ch.assertQueue(q, { autoDelete: false, durable: false });
    for (let i = 0; i < 5; i++) ch.sendToQueue(q, Buffer.from(`m${i}`));
    await ch.waitForConfirms();
    const name = uniq('p');
    await setPolicy(name, `^${q.replace(/\./g, '\\.')}$`, { 'max-length': 2 });
    await eventually(async () => (await count(q)) === 2);
    const head = await ch.get(q, { noAck: true });
    assert.ok(head);
    assert.equal(head.content.toString(), 'm3', 'drop-head kept the newest');
    await clearPolicy(name);
    await sleep(100);
    for (let i = 0; i < 4; i++) ch.sendToQueue(q, Buffer.from('more'));
    await ch.waitForConfirms();
    await eventually(async () => (await count(q)) === 5);
    await ch.deleteQueue(q);
  });

  it('message-ttl: the lower of argument and policy wins', async () => {
    const q = uniq('pol.ttl');
    await ch.assertQueue(q, { durable: false, arguments: { 'x-message-ttl': 60000 } });
    const name = uniq('p');
    await setPolicy(name, `^${q.replace(/\./g, '\\.')}$`, { 'message-ttl': 100 });
    await sleep(100);
    ch.sendToQueue(q, Buffer.from('short-lived'));
    await ch.waitForConfirms();
    await eventually(async () => (await count(q)) === 0, 3000);
    await ch.deleteQueue(q);
  });

  it('dead-letter-exchange: the argument wins over the policy; the policy applies where there is none', async () => {
    const viaArg = uniq('pol.dlq.arg'), viaPolicy = uniq('pol.dlq.pol');
    await ch.assertQueue(viaArg, { durable: false });
    await ch.assertQueue(viaPolicy, { durable: false });
    const withArg = uniq('pol.src.a'), withoutArg = uniq('pol.src.b');
    await ch.assertQueue(withArg, { durable: false, arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': viaArg } });
    await ch.assertQueue(withoutArg, { durable: false });
    const name = uniq('p');
    await setPolicy(name, '^pol\\.src\\.', { 'dead-letter-exchange': '', 'dead-letter-routing-key': viaPolicy });
    await sleep(100);
    for (const q of [withArg, withoutArg]) {
      ch.sendToQueue(q, Buffer.from(q));
      await ch.waitForConfirms();
      const m = await ch.get(q, { noAck: false });
      assert.ok(m);
      ch.reject(m, false);
    }
    await eventually(async () => (await count(viaArg)) === 1 && (await count(viaPolicy)) === 1);
    assert.equal((await ch.get(viaArg, { noAck: true }) || { content: '' }).content.toString(), withArg);
    assert.equal((await ch.get(viaPolicy, { noAck: true }) || { content: '' }).content.toString(), withoutArg);
    for (const q of [viaArg, viaPolicy, withArg, withoutArg]) await ch.deleteQueue(q);
  });

  it('alternate-exchange by policy catches unroutable messages of a matching exchange', async () => {
    const x = uniq('pol.x'), ae = uniq('pol.ae'), q = uniq('pol.aeq');
    await ch.assertExchange(x, 'direct', { durable: false });
    await ch.assertExchange(ae, 'fanout', { durable: false });
    await ch.assertQueue(q, { durable: false });
    await ch.bindQueue(q, ae, '');
    const name = uniq('p');
    await setPolicy(name, `^${x.replace(/\./g, '\\.')}$`, { 'alternate-exchange': ae }, 'exchanges');
    await sleep(100);
    ch.publish(x, 'nowhere', Buffer.from('caught'));
    await ch.waitForConfirms();
    await eventually(async () => (await count(q)) === 1);
    await ch.deleteQueue(q);
    await ch.deleteExchange(x);
    await ch.deleteExchange(ae);
  });
});
