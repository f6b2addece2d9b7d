// Users, vhosts and permissions enforced on every operation, as RabbitMQ does: configure/write/read regexes
// (unanchored; '' grants nothing), 403 ACCESS_REFUSED channel closes, 530 for a vhost the user may not use.
// Warren gets its users from a definitions file (load_definitions); RabbitMQ from rabbitmqctl.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp, { type ChannelModel } from 'amqplib';
import { external, startBroker, type TestBroker } from '../support/broker.js';
import { expectChannelError, uniq } from '../support/amqp.js';
import { hashPassword } from '../../src/broker/auth.js';

interface TestUser { name: string; password: string; perms: [string, string, string] | undefined }

const prefix = uniq('perm');
const users: Record<string, TestUser> = {
  // may do anything with names starting with its prefix, nothing else
  scoped: { name: `${prefix}.scoped`, password: 's3cret', perms: [`^${prefix}\\.own\\.`, `^${prefix}\\.own\\.`, `^${prefix}\\.own\\.`] },
  // may read and write but not configure
  rw: { name: `${prefix}.rw`, password: 'pw', perms: ['', '.*', '.*'] },
  // may write (publish) but not read (consume/get)
  writer: { name: `${prefix}.writer`, password: 'pw', perms: ['.*', '.*', '^$'] },
  // has no permissions on "/" at all
  none: { name: `${prefix}.none`, password: 'pw', perms: undefined },
};

let broker: TestBroker;
const conns: ChannelModel[] = [];

function rabbitctl(...args: string[]): void {
  execFileSync(join(process.cwd(), 'test/rabbitmq.sh'), ['ctl', ...args], { stdio: 'ignore' });
}

before(async () => {
  if (external) {
    broker = await startBroker();
    for (const u of Object.values(users)) {
      rabbitctl('add_user', u.name, u.password);
      if (u.perms) rabbitctl('set_permissions', '-p', '/', u.name, ...u.perms);
    }
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'warren-perm-'));
  const defs = {
    users: [{ name: 'guest', password_hash: hashPassword('guest'), tags: ['administrator'] },
      ...Object.values(users).map((u) => ({ name: u.name, password_hash: hashPassword(u.password), tags: [] as string[] }))],
    vhosts: [{ name: '/' }],
    permissions: [{ user: 'guest', vhost: '/', configure: '.*', write: '.*', read: '.*' },
      ...Object.values(users).filter((u) => u.perms).map((u) => ({ user: u.name, vhost: '/', configure: u.perms![0], write: u.perms![1], read: u.perms![2] }))],
  };
  writeFileSync(join(dir, 'defs.json'), JSON.stringify(defs));
  writeFileSync(join(dir, 'warren.conf'), `load_definitions = ${join(dir, 'defs.json')}\n`);
  broker = await startBroker({ env: { WARREN_CONFIG_FILE: join(dir, 'warren.conf') } });
});

after(async () => {
  for (const c of conns) await c.close().catch(() => {});
  if (external) for (const u of Object.values(users)) rabbitctl('delete_user', u.name);
  await broker.stop();
});

async function as(u: TestUser): Promise<ChannelModel> {
  const url = new URL(broker.url);
  url.username = encodeURIComponent(u.name);
  url.password = u.password;
  const c = await amqp.connect(url.toString());
  conns.push(c);
  return c;
}

describe('permissions', () => {
  it('a user with no permissions on the vhost is refused at connection.open with 530', async () => {
    // amqplib reports only that connection.close came instead of open-ok; read the close off the wire.
    const url = new URL(broker.url);
    const { connect } = await import('node:net');
    const sock = connect({ host: url.hostname, port: Number(url.port) });
    const got: Buffer[] = [];
    sock.on('data', (d) => got.push(d));
    await new Promise((r) => sock.once('connect', r));
    const frame = (payload: Buffer) => { const h = Buffer.alloc(7); h[0] = 1; h.writeUInt32BE(payload.length, 3); return Buffer.concat([h, payload, Buffer.from([0xce])]); };
    const ss = (s: string) => Buffer.concat([Buffer.from([Buffer.byteLength(s)]), Buffer.from(s)]);
    const ls = (s: string) => { const b = Buffer.alloc(4); b.writeUInt32BE(Buffer.byteLength(s)); return Buffer.concat([b, Buffer.from(s)]); };
    const u16 = (n: number) => { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b; };
    const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
    sock.write('AMQP\x00\x00\x09\x01');
    await new Promise((r) => setTimeout(r, 100));
    sock.write(frame(Buffer.concat([u16(10), u16(11), u32(0), ss('PLAIN'), ls(`\0${users.none!.name}\0pw`), ss('en_US')])));
    await new Promise((r) => setTimeout(r, 100));
    sock.write(frame(Buffer.concat([u16(10), u16(31), u16(2047), u32(131072), u16(0)])));
    sock.write(frame(Buffer.concat([u16(10), u16(40), ss('/'), ss(''), Buffer.from([0])])));
    await new Promise((r) => { sock.on('close', r); setTimeout(r, 3000); });
    sock.destroy();
    const all = Buffer.concat(got).toString('latin1');
    assert.match(all, new RegExp(`NOT_ALLOWED - access to vhost '/' refused for user '${users.none!.name.replace(/\./g, '\\.')}'`));
    const at = all.indexOf('NOT_ALLOWED');
    assert.equal(Buffer.from(all, 'latin1').readUInt16BE(at - 3), 530, 'reply code 530');
  });

  it('configure is checked on queue.declare and exchange.declare (403, names outside the regex)', async () => {
    const c = await as(users.scoped!);
    const ch = await c.createChannel();
    const own = `${prefix}.own.q`;
    await ch.assertQueue(own, { autoDelete: true });
    const err = await expectChannelError(ch, () => ch.assertQueue(`${prefix}.other.q`));
    assert.equal(err.code, 403);
    assert.deepEqual([err.classId, err.methodId], [50, 10]);
    assert.match(err.message, new RegExp(`ACCESS_REFUSED - access to queue '${prefix}\\.other\\.q' in vhost '/' refused for user '${users.scoped!.name}'`));
    const ch2 = await c.createChannel();
    const e2 = await expectChannelError(ch2, () => ch2.assertExchange(`${prefix}.other.x`, 'fanout'));
    assert.equal(e2.code, 403);
    assert.deepEqual([e2.classId, e2.methodId], [40, 10]);
    const ch3 = await c.createChannel();
    await ch3.deleteQueue(own);
  });

  it('an empty configure regex grants nothing', async () => {
    const c = await as(users.rw!);
    const ch = await c.createChannel();
    const err = await expectChannelError(ch, () => ch.assertQueue(uniq('perm.rwq')));
    assert.equal(err.code, 403);
  });

  it('write is checked on basic.publish (403 closes the channel) and on the queue of a binding', async () => {
    const admin = await amqp.connect(broker.url);
    conns.push(admin);
    const ach = await admin.createChannel();
    const q = `${prefix}.other.target`;
    await ach.assertQueue(q);
    const c = await as(users.scoped!);
    const ch = await c.createChannel();
    const err = await expectChannelError(ch, async () => { ch.publish('amq.direct', q, Buffer.from('x')); await ch.checkQueue(`${prefix}.own.nothing`).catch(() => {}); });
    assert.equal(err.code, 403);
    assert.deepEqual([err.classId, err.methodId], [60, 40]);
    assert.match(err.message, /access to exchange 'amq\.direct' in vhost '\/' refused/);
    const ch2 = await c.createChannel();
    const e2 = await expectChannelError(ch2, () => ch2.bindQueue(q, 'amq.direct', 'k'));
    assert.equal(e2.code, 403);
    assert.deepEqual([e2.classId, e2.methodId], [50, 20]);
    await ach.deleteQueue(q);
  });

  it('publishing to the default exchange is checked as amq.default', async () => {
    const c = await as(users.scoped!);
    const ch = await c.createChannel();
    const err = await expectChannelError(ch, async () => { ch.sendToQueue(`${prefix}.own.q2`, Buffer.from('x')); await ch.assertQueue(`${prefix}.own.q2`, { autoDelete: true }); });
    assert.equal(err.code, 403);
    assert.match(err.message, /access to exchange 'amq\.default' in vhost '\/' refused/);
  });

  it('read is checked on basic.consume and basic.get', async () => {
    const c = await as(users.writer!);
    const ch = await c.createChannel();
    const q = uniq('perm.wq');
    await ch.assertQueue(q, { autoDelete: false });
    ch.sendToQueue(q, Buffer.from('m'));
    const e1 = await expectChannelError(ch, () => ch.get(q));
    assert.equal(e1.code, 403);
    assert.deepEqual([e1.classId, e1.methodId], [60, 70]);
    const ch2 = await c.createChannel();
    const e2 = await expectChannelError(ch2, () => ch2.consume(q, () => {}));
    assert.equal(e2.code, 403);
    assert.deepEqual([e2.classId, e2.methodId], [60, 20]);
    const ch3 = await c.createChannel();
    await ch3.deleteQueue(q);
  });

  it('a wrong password for an existing user is refused like an unknown user', async () => {
    await assert.rejects(as({ ...users.rw!, password: 'nope' }), /ACCESS_REFUSED - Login was refused/);
    await assert.rejects(as({ name: uniq('ghost'), password: 'pw', perms: undefined }), /ACCESS_REFUSED - Login was refused/);
  });
});
