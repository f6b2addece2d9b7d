// RabbitMQ's own HTTP API client, rabbitmqadmin (a Python script shipped in Debian's rabbitmq-server package),
// against the broker: list, declare, publish, get, export, import, delete. Run with Debian's /usr/bin/python3
// (a pyenv python3 earlier on PATH would do too: the script needs only the standard library). When the script
// is missing the test is skipped locally and fails under CI (.ci/run extracts it from the package).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uniq } from '../support/amqp.js';
import { startBroker, type TestBroker } from '../support/broker.js';
import { api, enc, MGMT_TEST_ENV, type Api, type Json } from '../support/mgmt.js';

const SCRIPT = [process.env.WARREN_RABBITMQADMIN, '/usr/bin/rabbitmqadmin', '/usr/local/bin/rabbitmqadmin']
  .find((f): f is string => !!f && existsSync(f));
const PYTHON = ['/usr/bin/python3', 'python3'].find((p) => p === 'python3' || existsSync(p))!;
const missing = SCRIPT === undefined
  ? 'rabbitmqadmin not found (set WARREN_RABBITMQADMIN, or install Debian\'s rabbitmq-server package)' : undefined;
if (missing && process.env.CI) throw new Error(`prerequisite missing under CI: ${missing}`);

let broker: TestBroker;
let a: Api;
let dir: string;
const p = uniq('ra');

/** Runs rabbitmqadmin against the broker's management port; resolves with stdout, rejects with stderr. */
function admin(...args: string[]): Promise<string> {
  const base = ['-H', '127.0.0.1', '-P', String(broker.mgmtPort), '-u', 'guest', '-p', 'guest'];
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [SCRIPT!, ...base, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`rabbitmqadmin ${args.join(' ')} failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

before(async () => {
  if (missing) return;
  broker = await startBroker({ env: MGMT_TEST_ENV });
  a = api(broker);
  dir = mkdtempSync(join(tmpdir(), 'warren-rabbitmqadmin-'));
});

after(async () => {
  if (missing) return;
  for (const q of [`${p}.q`, `${p}.q2`]) await a.del(`/queues/${enc('/')}/${enc(q)}`);
  await a.del(`/exchanges/${enc('/')}/${enc(`${p}.x`)}`);
  rmSync(dir, { recursive: true, force: true });
  await broker.stop();
});

describe('rabbitmqadmin', { skip: missing }, () => {
  it('declare queue/exchange/binding, list them, publish, get, purge, delete', async () => {
    assert.match(await admin('declare', 'queue', `name=${p}.q`, 'durable=false'), /queue declared/);
    assert.match(await admin('declare', 'exchange', `name=${p}.x`, 'type=topic'), /exchange declared/);
    assert.match(await admin('declare', 'binding', `source=${p}.x`, `destination=${p}.q`, 'routing_key=a.#'), /binding declared/);
    const queues = JSON.parse(await admin('-f', 'raw_json', 'list', 'queues', 'name', 'messages')) as Json[];
    assert.ok(queues.some((q) => q.name === `${p}.q`));
    assert.match(await admin('list', 'exchanges'), new RegExp(`${p}\\.x\\s+\\| topic`));
    assert.match(await admin('list', 'bindings'), new RegExp(`${p}\\.x\\s+\\| ${p}\\.q\\s+\\| a\\.#`));
    assert.match(await admin('publish', `exchange=${p}.x`, 'routing_key=a.b', 'payload=hello from rabbitmqadmin'), /^Message published\n$/);
    await admin('publish', `exchange=${p}.x`, 'routing_key=a.c', 'payload=second');
    assert.match(await admin('publish', `exchange=${p}.x`, 'routing_key=zzz', 'payload=lost'), /NOT routed/);
    const got = JSON.parse(await admin('-f', 'raw_json', 'get', `queue=${p}.q`, 'count=1', 'ackmode=ack_requeue_false')) as Json[];
    assert.deepEqual([got.length, got[0]!.payload, got[0]!.routing_key, got[0]!.message_count], [1, 'hello from rabbitmqadmin', 'a.b', 1]);
    assert.match(await admin('get', `queue=${p}.q`), /second/);
    assert.match(await admin('purge', 'queue', `name=${p}.q`), /queue purged/);
    assert.match(await admin('delete', 'binding', `source=${p}.x`, 'destination_type=queue', `destination=${p}.q`, 'properties_key=a.%23'),
      /binding deleted/);
    assert.match(await admin('delete', 'queue', `name=${p}.q`), /queue deleted/);
    assert.match(await admin('delete', 'exchange', `name=${p}.x`), /exchange deleted/);
    assert.doesNotMatch(await admin('list', 'queues'), new RegExp(`${p}\\.q\\b`));
  });

  it('export and import definitions', async () => {
    await admin('declare', 'queue', `name=${p}.q2`, 'durable=true');
    const file = join(dir, 'defs.json');
    assert.match(await admin('export', file), /Exported definitions/);
    const defs = JSON.parse(readFileSync(file, 'utf8')) as Json;
    assert.ok((defs.queues as Json[]).some((q) => q.name === `${p}.q2`));
    await admin('delete', 'queue', `name=${p}.q2`);
    assert.match(await admin('import', file), /Uploaded definitions/);
    assert.equal((await a.get<Json>(`/queues/${enc('/')}/${enc(`${p}.q2`)}`)).json.durable, true);
  });

  it('show overview, list nodes, users, vhosts and permissions; errors come back as RabbitMQ\'s', async () => {
    assert.match(await admin('show', 'overview'), /rabbitmq_version/);
    assert.match(await admin('list', 'nodes'), /mem_used/);
    assert.match(await admin('list', 'users'), /guest/);
    assert.match(await admin('list', 'vhosts'), /\| \/\s/);
    assert.match(await admin('list', 'permissions'), /guest/);
    await assert.rejects(admin('declare', 'queue', `name=amq.${p}`), /Access refused/);
    await assert.rejects(admin('delete', 'queue', `name=${p}.none`), /Not found/);
  });
});
