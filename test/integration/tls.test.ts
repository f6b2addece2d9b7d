// Integration tests: AMQPS (listeners.ssl.*, ssl_options.*), the EXTERNAL mechanism (user from the client
// certificate, as rabbitmq_auth_mechanism_ssl) and the management API over HTTPS, with a CA, server and client
// certificates made by Debian's openssl in a temp dir. Two brokers: one with verify_peer and
// fail_if_no_peer_cert = true and ssl_cert_login_from = common_name, one with fail_if_no_peer_cert = false and
// the default distinguished_name. Needs the openssl command (and python3-pika for one test): skipped when
// missing, failed under CI (process.env.CI), as test/interop does.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import amqp from 'amqplib';
import { startWarren, type TestBroker } from '../support/broker.js';
import { api, enc } from '../support/mgmt.js';
import { WireSocket, sleep } from '../support/amqp.js';

const works = (cmd: string, args: string[]) => { try { execFileSync(cmd, args, { stdio: 'ignore' }); return true; } catch { return false; } };
const haveOpenssl = works('openssl', ['version']);
const python = [process.env.WARREN_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => !!c)
  .find((c) => works(c, ['-c', 'import pika']));

function missing(t: { skip(msg?: string): void }, what: string): void {
  if (process.env.CI) assert.fail(`TLS test prerequisite missing under CI: ${what}`);
  t.skip(what);
}

const dir = mkdtempSync(join(tmpdir(), 'warren-tls-'));
const f = (name: string) => join(dir, name);
const CN = 'tls-user';
/** The same certificate's subject as RabbitMQ's distinguished_name login names it (most specific first). */
const DN = `CN=${CN},O=Warren Test`;

/** A CA, a server certificate (CN localhost, SAN localhost and 127.0.0.1), a client one, and a stranger CA's client. */
function makeCertificates(): void {
  const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const key = (name: string) => ossl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', name);
  for (const ca of ['ca', 'other-ca']) {
    key(`${ca}.key`);
    ossl('req', '-x509', '-new', '-key', `${ca}.key`, '-out', `${ca}.pem`, '-days', '2', '-subj', `/CN=Warren ${ca}`);
  }
  writeFileSync(f('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  writeFileSync(f('client.ext'), 'extendedKeyUsage=clientAuth\n');
  const sign = (name: string, subj: string, ca: string, ext: string) => {
    key(`${name}.key`);
    ossl('req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', subj);
    ossl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', ext);
  };
  sign('server', '/CN=localhost', 'ca', 'server.ext');
  sign('client', `/O=Warren Test/CN=${CN}`, 'ca', 'client.ext');
  sign('stranger', `/O=Warren Test/CN=${CN}`, 'other-ca', 'client.ext');
}

function conf(name: string, lines: string[]): string {
  const p = f(name);
  writeFileSync(p, [
    'listeners.ssl.default = 0', 'ssl_options.cacertfile = ca.pem', 'ssl_options.certfile = server.pem',
    'ssl_options.keyfile = server.key', 'ssl_options.verify = verify_peer',
    'auth_mechanisms.1 = PLAIN', 'auth_mechanisms.2 = AMQPLAIN', 'auth_mechanisms.3 = EXTERNAL', ...lines, ''].join('\n'));
  return p;
}

let strict: TestBroker, lax: TestBroker;
const read = (name: string) => readFileSync(f(name));
const tlsOpts = (client: 'client' | 'stranger' | null, ca = 'ca.pem') => ({
  ca: [read(ca)], servername: 'localhost', ...(client ? { cert: read(`${client}.pem`), key: read(`${client}.key`) } : {}),
});
const amqps = (b: TestBroker, user = 'guest:guest@') => `amqps://${user}localhost:${b.tlsPort}/`;

before(async () => {
  if (!haveOpenssl) return;
  makeCertificates();
  [strict, lax] = await Promise.all([
    startWarren({ env: { WARREN_CONFIG_FILE: conf('strict.conf', [
      'ssl_options.fail_if_no_peer_cert = true', 'ssl_cert_login_from = common_name',
      'management.ssl.port = 0', 'management.ssl.certfile = server.pem', 'management.ssl.keyfile = server.key',
    ]) } }),
    startWarren({ env: { WARREN_CONFIG_FILE: conf('lax.conf', ['ssl_options.fail_if_no_peer_cert = false']) } }),
  ]);
  for (const [b, user] of [[strict, CN], [lax, DN]] as const) {
    const a = api(b);
    assert.equal((await a.put(`/users/${enc(user)}`, { password_hash: '', tags: '' })).status, 201);
    assert.equal((await a.put(`/permissions/%2F/${enc(user)}`, { configure: '.*', write: '.*', read: '.*' })).status, 201);
  }
});
after(async () => {
  await Promise.all([strict?.stop(), lax?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

/** Declare, publish, consume on a fresh connection; returns the user the broker says logged in. */
async function roundTrip(conn: amqp.ChannelModel): Promise<void> {
  const ch = await conn.createChannel();
  const q = (await ch.assertQueue('', { exclusive: true })).queue;
  const got = new Promise<string>((resolve) => { void ch.consume(q, (m) => { if (m) resolve(m.content.toString()); }, { noAck: true }); });
  ch.sendToQueue(q, Buffer.from('over tls'));
  assert.equal(await got, 'over tls');
  await conn.close();
}

/** The connection's user as the management API lists it (by client port). */
async function userOf(b: TestBroker, conn: amqp.ChannelModel): Promise<string> {
  const port = (conn.connection as unknown as { stream: { localPort: number } }).stream.localPort;
  for (let i = 0; i < 50; i++) {
    const list = (await api(b).get<Array<{ peer_port: number; user: string }>>('/connections')).json;
    const c = list.find((x) => x.peer_port === port);
    if (c) return c.user;
    await sleep(100);
  }
  throw new Error('connection not listed');
}

describe('AMQPS and EXTERNAL', () => {
  it('amqplib over TLS with the CA and a client certificate: declare, publish, consume', async (t) => {
    if (!haveOpenssl) return missing(t, 'the openssl command (apt-get install openssl)');
    await roundTrip(await amqp.connect(amqps(strict), tlsOpts('client')));
  });

  it('connection.start offers EXTERNAL only on TLS connections with a verified client certificate', async (t) => {
    if (!haveOpenssl) return missing(t, 'the openssl command');
    const mechanisms = async (b: TestBroker, client: 'client' | null, tls = true) => {
      const w = tls ? await tlsWire(b, client) : await WireSocket.open(b.host, b.port);
      const start = await w.readMethod();
      w.destroy();
      const len = start.args.readUInt32BE(2);
      const p = 6 + len;
      return start.args.toString('utf8', p + 4, p + 4 + start.args.readUInt32BE(p));
    };
    assert.equal(await mechanisms(strict, 'client'), 'PLAIN AMQPLAIN EXTERNAL');
    assert.equal(await mechanisms(lax, null), 'PLAIN AMQPLAIN');
    assert.equal(await mechanisms(strict, null, false), 'PLAIN AMQPLAIN');
  });

  it('EXTERNAL logs in as the certificate CN (ssl_cert_login_from = common_name), no password', async (t) => {
    if (!haveOpenssl) return missing(t, 'the openssl command');
    const conn = await amqp.connect(amqps(strict, ''), { ...tlsOpts('client'), credentials: amqp.credentials.external() });
    assert.equal(await userOf(strict, conn), CN);
    // The management API shows the TLS session and the certificate, as RabbitMQ's connection page does.
    const port = (conn.connection as unknown as { stream: { localPort: number } }).stream.localPort;
    const info = (await api(strict).get<Array<Record<string, unknown>>>('/connections')).json.find((c) => c.peer_port === port)!;
    assert.equal(info.ssl, true);
    assert.equal(info.auth_mechanism, 'EXTERNAL');
    assert.match(String(info.ssl_protocol), /^tlsv1\.[23]$/);
    assert.equal(info.peer_cert_subject, DN);
    assert.equal(info.peer_cert_issuer, 'CN=Warren ca');
    await roundTrip(conn);
  });

  it('EXTERNAL with the default ssl_cert_login_from logs in as the distinguished name, as RabbitMQ 3.10', async (t) => {
    if (!haveOpenssl) return missing(t, 'the openssl command');
    const conn = await amqp.connect(amqps(lax, ''), { ...tlsOpts('client'), credentials: amqp.credentials.external() });
    assert.equal(await userOf(lax, conn), DN);
    await conn.close();
  });

  it('EXTERNAL for a certificate whose user does not exist: 403 ACCESS_REFUSED', async (t) => {
    if (!haveOpenssl) return missing(t, 'the openssl command');
    // On the lax broker the certificate's CN-only name is not a user (its users are named by DN).
    const b = await startWarren({ env: { WARREN_CONFIG_FILE: conf('cn.conf', ['ssl_cert_login_from = common_name', 'auth_failure_delay = 0']) } });
    try {
      await assert.rejects(amqp.connect(amqps(b, ''), { ...tlsOpts('client'), credentials: amqp.credentials.external() }),
        /403 \(ACCESS-REFUSED\) with message "ACCESS_REFUSED - Login was refused using authentication mechanism EXTERNAL/);
      assert.match(b.output(), new RegExp(`EXTERNAL login refused: user '${CN}' - invalid credentials`));
    } finally { await b.stop(); }
  });

  it('EXTERNAL is an unknown mechanism on plain TCP: the connection is dropped', async (t) => {
    if (!haveOpenssl) return missing(t, 'the openssl command');
    await assert.rejects(amqp.connect(`amqp://localhost:${strict.port}/`, { credentials: amqp.credentials.external() }));
  });

  it('fail_if_no_peer_cert = true: a client without a certificate is refused in the handshake', async (t) => {
    if (!haveOpenssl) return missing(t, 'the openssl command');
    await assert.rejects(amqp.connect(amqps(strict), tlsOpts(null)));
  });

  it('fail_if_no_peer_cert = false: a client without a certificate logs in with PLAIN', async (t) => {
    if (!haveOpenssl) return missing(t, 'the openssl command');
    await roundTrip(await amqp.connect(amqps(lax), tlsOpts(null)));
  });

  it('a client certificate from another CA is refused (both settings); a client not trusting the server CA gives up', async (t) => {
    if (!haveOpenssl) return missing(t, 'the openssl command');
    await assert.rejects(amqp.connect(amqps(strict), tlsOpts('stranger')));
    await assert.rejects(amqp.connect(amqps(lax), tlsOpts('stranger')));
    await assert.rejects(amqp.connect(amqps(strict), tlsOpts('client', 'other-ca.pem')), /self-signed|unable to verify|certificate/i);
  });

  it('plain AMQP and garbage to the TLS port do not disturb the broker or a bystander connection', async (t) => {
    if (!haveOpenssl) return missing(t, 'the openssl command');
    const by = await amqp.connect(amqps(strict), tlsOpts('client'));
    const errors: unknown[] = [];
    by.on('error', (e) => errors.push(e));
    const byCh = await by.createChannel();
    await assert.rejects(amqp.connect(`amqp://guest:guest@localhost:${strict.tlsPort}/`, { timeout: 5000 }));
    for (const junk of [Buffer.from('AMQP\x00\x00\x09\x01'), Buffer.from('GET / HTTP/1.1\r\n\r\n'), Buffer.alloc(3000, 0x16)]) {
      const w = await WireSocket.open(strict.host, strict.tlsPort!, junk);
      await Promise.race([w.closed, sleep(3000)]);
      w.destroy();
    }
    assert.deepEqual([strict.proc!.exitCode, strict.proc!.signalCode], [null, null]);
    const q = (await byCh.assertQueue('', { exclusive: true })).queue;
    byCh.sendToQueue(q, Buffer.from('x'));
    await sleep(50);
    assert.ok(await byCh.get(q, { noAck: true }));
    assert.deepEqual(errors, []);
    await by.close();
    assert.match(strict.output(), /TLS handshake with .* failed/);
  });

  it('the management API answers over HTTPS (management.ssl.*): /api/overview lists the amqp/ssl listener', async (t) => {
    if (!haveOpenssl) return missing(t, 'the openssl command');
    assert.ok(strict.mgmtHttpsUrl, 'https listener line printed');
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(`${strict.mgmtHttpsUrl}/api/overview`, { ca: read('ca.pem'), auth: 'guest:guest' }, (res) => {
        let s = '';
        res.setEncoding('utf8').on('data', (d: string) => { s += d; }).on('end', () => res.statusCode === 200 ? resolve(s) : reject(new Error(`${res.statusCode} ${s}`)));
      });
      req.on('error', reject).end();
    });
    const o = JSON.parse(body) as { listeners: Array<{ protocol: string; port: number }> };
    assert.ok(o.listeners.some((l) => l.protocol === 'amqp/ssl' && l.port === strict.tlsPort), JSON.stringify(o.listeners));
    assert.ok(o.listeners.some((l) => l.protocol === 'https'), JSON.stringify(o.listeners));
  });

  it('a missing certificate file stops the node with a config error (exit 78) naming the key and file', async (t) => {
    if (!haveOpenssl) return missing(t, 'the openssl command');
    writeFileSync(f('bad.conf'), 'listeners.ssl.default = 0\nssl_options.certfile = nowhere.pem\nssl_options.keyfile = server.key\n');
    await assert.rejects(startWarren({ env: { WARREN_CONFIG_FILE: f('bad.conf') } }), /exited with 78[\s\S]*ssl_options\.certfile \S*nowhere\.pem: ENOENT/);
  });

  it('Python pika over TLS logs in with EXTERNAL and round-trips a message', { timeout: 60_000 }, async (t) => {
    if (!haveOpenssl) return missing(t, 'the openssl command');
    if (!python) return missing(t, 'python3 with the pika module (Debian package python3-pika)');
    const script = [
      'import ssl, sys, pika',
      'ctx = ssl.create_default_context(cafile=sys.argv[2]); ctx.load_cert_chain(sys.argv[3], sys.argv[4])',
      'p = pika.ConnectionParameters(host="localhost", port=int(sys.argv[1]), ssl_options=pika.SSLOptions(ctx, "localhost"),',
      '    credentials=pika.credentials.ExternalCredentials())',
      'c = pika.BlockingConnection(p); ch = c.channel()',
      'q = ch.queue_declare("", exclusive=True).method.queue',
      'ch.basic_publish("", q, b"pika over tls")',
      'm = ch.basic_get(q, auto_ack=True); print(m[2].decode()); c.close()',
    ].join('\n');
    const out = await new Promise<string>((resolve, reject) => execFile(python, ['-c', script, String(strict.tlsPort), f('ca.pem'), f('client.pem'), f('client.key')],
      { timeout: 30_000 }, (e, stdout, stderr) => (e ? reject(new Error(`${e.message}\n${stderr}`)) : resolve(stdout))));
    assert.equal(out.trim(), 'pika over tls');
  });
});

/** A raw TLS connection that has sent the protocol header, as a WireSocket. */
async function tlsWire(b: TestBroker, client: 'client' | null): Promise<WireSocket> {
  const s = tlsConnect({ host: '127.0.0.1', port: b.tlsPort!, ...tlsOpts(client) });
  await new Promise<void>((resolve, reject) => { s.once('secureConnect', resolve); s.once('error', reject); });
  return WireSocket.wrap(s);
}
