// warrenctl against a Warren process: every command at least once, rabbitmqctl 3.10's output (table, json,
// info lines), its exit codes (64 usage, 65 data, 67 no user, 69 unreachable, 70 exists), the cookie check,
// and the app lifecycle (stop_app closes clients with 320, reset only while stopped, stop ends the process).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import { external, startWarren, type TestBroker } from '../support/broker.js';

const ctlScript = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'warrenctl.js');
interface Run { code: number; stdout: string; stderr: string }

describe('warrenctl', { skip: external ? 'runs against a Warren process of its own' : false }, () => {
  let b: TestBroker;
  let dir: string, cookieFile: string, node: string;

  function ctl(args: string[], env: Record<string, string> = {}, input?: string): Promise<Run> {
    return new Promise((resolve) => {
      const p = execFile(process.execPath, [ctlScript, ...args],
        { env: { ...process.env, WARREN_COOKIE_FILE: cookieFile, WARREN_DATA_DIR: b.dataDir!, ...env } },
        (e, stdout, stderr) => resolve({ code: e ? Number(e.code) : 0, stdout, stderr }));
      if (input !== undefined) p.stdin!.end(input);
    });
  }
  const ok = async (...args: string[]) => {
    const r = await ctl(args);
    assert.equal(r.code, 0, `warrenctl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'warrenctl-test-'));
    cookieFile = join(dir, 'cookie');
    b = await startWarren({ env: { WARREN_DIST_PORT: '0', WARREN_COOKIE_FILE: cookieFile } });
    assert.match(b.output(), /control listening on 127\.0\.0\.1:\d+/);
    node = /node (\S+) accepting/.exec(b.output())![1]!;
  });
  after(async () => { await b?.stop(); rmSync(dir, { recursive: true, force: true }); });

  it('creates the cookie readable by its owner only', () => {
    assert.match(readFileSync(cookieFile, 'utf8'), /^[A-Z]{20}$/);
    assert.equal(statSync(cookieFile).mode & 0o777, 0o600);
  });

  it('usage errors exit 64 with a sentence and the usage', async () => {
    let r = await ctl([]);
    assert.equal(r.code, 64);
    assert.match(r.stderr, /warrenctl \[--node <node>\] \[--timeout <timeout>\].*<command>/);
    r = await ctl(['foo_bar']);
    assert.deepEqual([r.code, r.stderr.split('\n').slice(0, 2)], [64, ['', "Command 'foo_bar' not found. "]]);
    r = await ctl(['add_user']);
    assert.equal(r.code, 64);
    assert.equal(r.stderr.split('\n')[0], 'Error (argument validation): not enough arguments.');
    assert.match(r.stderr, /Arguments given:\n\tadd_user\n\n\x1b\[1mUsage\x1b\[0m\n\nwarrenctl \[--node <node>\] \[--longnames\] \[--quiet\] add_user <username> <password>\n$/);
    assert.match((await ctl(['add_user', 'a', 'b', 'c'])).stderr, /^Error \(argument validation\): too many arguments\./);
    r = await ctl(['list_queues', '--bogus']);
    assert.deepEqual([r.code, r.stderr.split('\n').slice(0, 2)], [64, ['Error (argument validation): Invalid options for this command:', '--bogus : ']]);
    r = await ctl(['set_policy', '--priority', 'abc', 'p', '.*', '{}']);
    assert.deepEqual([r.code, r.stderr.split('\n')[1]], [64, '--priority : abc']);
    r = await ctl(['list_queues', 'name', 'bogus']);
    assert.deepEqual([r.code, r.stderr.split('\n')[0]], [64, 'Error (argument validation): Info key(s) bogus are not supported']);
    assert.equal((await ctl(['list_users', '--formatter', 'erlang'])).code, 64);
  });

  it('help, command help and version', async () => {
    assert.match(await ok('help'), /\n   list_queues {19}Lists queues and their properties\n/);
    assert.match(await ok('help', 'set_policy'), /set_policy \[--vhost <vhost>\] \[--priority <priority>\] \[--apply-to <apply-to>\] <name> <pattern> <definition>\n\nSets or updates a policy\.\n/);
    assert.match(await ok('list_queues', '--help'), /must be one of arguments, auto_delete, /);
    assert.equal((await ctl(['help', 'nonexist'])).code, 64);
    assert.match(await ok('version'), /^\d+\.\d+\.\d+\n$/);
  });

  it('an unreachable node is exit 69 with diagnostics', async () => {
    const free = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
    });
    let r = await ctl(['--port', String(free), 'list_users']);
    assert.equal(r.code, 69);
    assert.match(r.stderr, /^Error: unable to perform an operation on node '.+'\. Please see diagnostics/);
    assert.match(r.stderr, new RegExp(`unable to connect to 127\\.0\\.0\\.1:${free} \\(--port\\): connection refused`));
    r = await ctl(['-n', 'other@nohost', 'status']);
    assert.equal(r.code, 69);
    assert.match(r.stderr, new RegExp(`is node '${node}', not 'other@nohost'`));
    assert.deepEqual([(await ctl(['-n', 'other@nohost', 'stop', '--idempotent'])).code], [0]);
  });

  it('a node that does not answer in --timeout is exit 75', async () => {
    const mute = createServer(() => { /* accepts, never answers */ });
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', () => r()));
    try {
      const r = await ctl(['--port', String((mute.address() as { port: number }).port), '-t', '1', 'list_users']);
      assert.deepEqual([r.code, r.stderr], [75, `Error: operation list_users on node ${node} timed out. Timeout value used: 1000\n`]);
    } finally { mute.close(); }
  });

  it('a wrong cookie is refused (69)', async () => {
    const wrong = join(dir, 'wrong-cookie');
    writeFileSync(wrong, 'NOTTHECOOKIE', { mode: 0o600 });
    let r = await ctl(['list_users'], { WARREN_COOKIE_FILE: wrong });
    assert.equal(r.code, 69);
    assert.match(r.stderr, /answered, but the node refused this CLI tool's cookie/);
    writeFileSync(join(dir, 'open-cookie'), 'X', { mode: 0o644 });
    r = await ctl(['list_users'], { WARREN_COOKIE_FILE: join(dir, 'open-cookie') });
    assert.equal(r.code, 69);
    assert.match(r.stderr, /must be accessible by owner only/);
  });

  it('users: add, list (table, json, -q, -s), tags, password, delete', async () => {
    assert.equal(await ok('add_user', 'ctl-u', 'pw1'),
      'Adding user "ctl-u" ...\nDone. Don\'t forget to grant the user permissions to some virtual hosts! See \'warrenctl help set_permissions\' to learn more.\n');
    const dup = await ctl(['add_user', 'ctl-u', 'x']);
    assert.deepEqual(dup, { code: 70, stdout: 'Adding user "ctl-u" ...\n', stderr: 'Error:\nUser "ctl-u" already exists\n' });
    assert.equal(await ok('set_user_tags', 'ctl-u', 'monitoring', 'policymaker'), 'Setting tags for user "ctl-u" to [monitoring, policymaker] ...\n');
    assert.equal(await ok('list_users'), 'Listing users ...\nuser\ttags\nguest\t[administrator]\nctl-u\t[monitoring, policymaker]\n');
    assert.equal(await ok('list_users', '-q'), 'user\ttags\nguest\t[administrator]\nctl-u\t[monitoring, policymaker]\n');
    assert.equal(await ok('list_users', '-s'), 'guest\t[administrator]\nctl-u\t[monitoring, policymaker]\n');
    assert.equal(await ok('list_users', '--no-table-headers'), 'Listing users ...\nguest\t[administrator]\nctl-u\t[monitoring, policymaker]\n');
    assert.equal(await ok('list_users', '--formatter', 'json'),
      '[\n{"user":"guest","tags":["administrator"]}\n,{"user":"ctl-u","tags":["monitoring","policymaker"]}\n]\n');
    assert.equal(await ok('change_password', 'ctl-u', 'pw2'), 'Changing password for user "ctl-u" ...\n');
    assert.equal(await ok('set_permissions', 'ctl-u', '.*', '.*', '.*'), 'Setting permissions for user "ctl-u" in vhost "/" ...\n');
    const c = await amqp.connect(`amqp://ctl-u:pw2@127.0.0.1:${b.port}/`);
    await c.close();
    assert.equal(await ok('delete_user', 'ctl-u'), 'Deleting user "ctl-u" ...\n');
    assert.deepEqual(await ctl(['delete_user', 'ctl-u']), { code: 67, stdout: 'Deleting user "ctl-u" ...\n', stderr: 'Error:\nUser "ctl-u" does not exist\n' });
  });

  it('vhosts and permissions', async () => {
    assert.equal(await ok('add_vhost', 'ctl-v', '--description', 'test vhost', '--tags', 'a,b'), 'Adding vhost "ctl-v" ...\n');
    assert.equal(await ok('list_vhosts', '-q', 'name', 'description', 'tags', 'tracing'), 'name\tdescription\ttags\ttracing\n/\tDefault virtual host\t[]\tfalse\nctl-v\ttest vhost\t[a, b]\tfalse\n');
    assert.match(await ok('list_vhosts', '--formatter', 'json', 'name', 'cluster_state'), new RegExp(`\\{"name":"ctl-v","cluster_state":\\{"${node}":"running"\\}\\}`));
    await ok('add_user', 'ctl-p', 'pw');
    assert.equal(await ok('set_permissions', '-p', 'ctl-v', 'ctl-p', '^c', '^w', '^r'), 'Setting permissions for user "ctl-p" in vhost "ctl-v" ...\n');
    assert.equal(await ok('list_permissions', '-p', 'ctl-v'), 'Listing permissions for vhost "ctl-v" ...\nuser\tconfigure\twrite\tread\nctl-p\t^c\t^w\t^r\n');
    assert.equal(await ok('list_user_permissions', 'ctl-p', '--formatter', 'json'), '[\n{"vhost":"ctl-v","configure":"^c","write":"^w","read":"^r"}\n]\n');
    assert.equal((await ctl(['set_permissions', '-p', 'ctl-v', 'ctl-p', '(', '.*', '.*'])).code, 69);
    assert.deepEqual((await ctl(['set_permissions', '-p', 'nosuch', 'ctl-p', '.*', '.*', '.*'])).stderr, 'Error:\nVirtual host nosuch does not exist\n');
    assert.equal(await ok('clear_permissions', '-p', 'ctl-v', 'ctl-p'), 'Clearing permissions for user "ctl-p" in vhost "ctl-v" ...\n');
    assert.equal(await ok('list_permissions', '-p', 'ctl-v', '-q'), '\n');
    assert.deepEqual(await ctl(['list_permissions', '-p', 'nosuch']),
      { code: 65, stdout: 'Listing permissions for vhost "nosuch" ...\n', stderr: "Virtual host 'nosuch' does not exist\n" });
    assert.equal(await ok('delete_vhost', 'ctl-v'), 'Deleting vhost "ctl-v" ...\n');
    assert.equal((await ctl(['delete_vhost', 'ctl-v'])).code, 65);
  });

  it('policies and parameters', async () => {
    assert.equal(await ok('set_policy', '--priority', '3', '--apply-to', 'queues', 'ctl-pol', '^ctl\\.', '{"max-length":5}'),
      'Setting policy "ctl-pol" for pattern "^ctl\\." to "{"max-length":5}" with priority "3" for vhost "/" ...\n');
    assert.equal(await ok('list_policies'), 'Listing policies for vhost "/" ...\nvhost\tname\tpattern\tapply-to\tdefinition\tpriority\n/\tctl-pol\t^ctl\\.\tqueues\t{"max-length":5}\t3\n');
    assert.equal(await ok('list_policies', '--formatter', 'json'),
      '[\n{"vhost":"/","name":"ctl-pol","pattern":"^ctl\\\\.","apply-to":"queues","definition":"{\\"max-length\\":5}","priority":3}\n]\n');
    const bad = await ctl(['set_policy', 'x', '.*', '{"bogus-key":1}']);
    assert.deepEqual([bad.code, bad.stderr], [69, 'Error:\nValidation failed\n\n[{<<"bogus-key">>,1}] are not recognised policy settings\n\n']);
    assert.equal(await ok('clear_policy', 'ctl-pol'), 'Clearing policy "ctl-pol" on vhost "/" ...\n');
    assert.deepEqual((await ctl(['clear_policy', 'ctl-pol'])).stderr, 'Error:\nParameter does not exist\n');
    assert.equal(await ok('set_parameter', 'federation-upstream', 'up1', '{"uri":"amqp://remote"}'),
      'Setting runtime parameter "up1" for component "federation-upstream" to "{"uri":"amqp://remote"}" in vhost "/" ...\n');
    assert.equal(await ok('list_parameters', '-q'), 'component\tname\tvalue\nfederation-upstream\tup1\t{"uri":"amqp://remote"}\n');
    assert.equal((await ctl(['set_parameter', 'nope', 'n', '{}'])).code, 69);
    assert.equal(await ok('clear_parameter', 'federation-upstream', 'up1', '-q'), '');
  });

  it('queues, exchanges, bindings, connections, channels and consumers', async () => {
    const c = await amqp.connect(b.url);
    const closed = new Promise<string>((r) => c.on('close', (e: Error | undefined) => r(e?.message ?? '')));
    const ch = await c.createChannel();
    await ch.assertQueue('ctl.q1', { durable: true, arguments: { 'x-message-ttl': 60000 } });
    await ch.assertQueue('ctl.q2', { durable: false });
    await ch.assertExchange('ctl.ex', 'topic', { durable: true });
    await ch.bindQueue('ctl.q1', 'ctl.ex', 'a.#', { foo: 'bar' });
    for (let i = 0; i < 3; i++) ch.sendToQueue('ctl.q2', Buffer.from('x'));
    const ch2 = await c.createChannel();
    await ch2.prefetch(2);
    await ch2.consume('ctl.q1', () => {}, { consumerTag: 'ctl-tag' });
    await ch.checkQueue('ctl.q2');
    assert.equal(await ok('list_queues', 'name', 'messages', 'consumers'),
      'Timeout: 60.0 seconds ...\nListing queues for vhost / ...\nname\tmessages\tconsumers\nctl.q1\t0\t1\nctl.q2\t3\t0\n');
    assert.equal(await ok('list_queues', '-q', '--formatter', 'json', 'name', 'durable', 'arguments'),
      '[\n{"name":"ctl.q1","durable":true,"arguments":[["x-message-ttl","signedint",60000]]}\n,{"name":"ctl.q2","durable":false,"arguments":[]}\n]\n');
    assert.equal(await ok('list_queues', '-p', 'nosuch'), 'Timeout: 60.0 seconds ...\nListing queues for vhost nosuch ...\n');
    assert.match(await ok('list_exchanges', '-q', 'name', 'type', 'durable'), /\nctl\.ex\ttopic\ttrue\n/);
    assert.match(await ok('list_bindings'), /^Listing bindings for vhost \/\.\.\.\nsource_name\tsource_kind\tdestination_name\tdestination_kind\trouting_key\targuments\n\texchange\tctl\.q1\tqueue\tctl\.q1\t\[\]\n[^]*ctl\.ex\texchange\tctl\.q1\tqueue\ta\.#\t\[\{"foo","bar"\}\]\n$/);
    assert.match(await ok('list_connections'), /^Listing connections \.\.\.\nuser\tpeer_host\tpeer_port\tstate\nguest\t127\.0\.0\.1\t\d+\trunning\n$/);
    assert.match(await ok('list_channels', '-q', 'number', 'consumer_count', 'prefetch_count'), /^number\tconsumer_count\tprefetch_count\n1\t0\t0\n2\t1\t2\n$/);
    assert.match(await ok('list_consumers'), /^Listing consumers in vhost \/ \.\.\.\nqueue_name\tchannel_pid\tconsumer_tag\tack_required\tprefetch_count\tactive\targuments\nctl\.q1\t<.+\.\d+\.\d+\.0>\tctl-tag\ttrue\t2\ttrue\t\[\]\n$/);
    assert.equal(await ok('purge_queue', 'ctl.q2'), "Purging queue 'ctl.q2' in vhost '/' ...\n");
    assert.deepEqual(await ctl(['delete_queue', '--if-unused', 'ctl.q1']),
      { code: 64, stdout: "Deleting queue 'ctl.q1' on vhost '/' if queue is unused ...\n", stderr: 'Error:\nQueue is in use\n' });
    assert.equal(await ok('delete_queue', '-q', 'ctl.q2'), 'Queue was successfully deleted with 0 ready messages\n');
    assert.equal((await ctl(['purge_queue', 'ctl.q2'])).code, 69);
    const pid = (await ok('list_connections', '-s', 'pid')).trim();
    assert.equal(await ok('close_connection', pid, 'go away'), `Closing connection ${pid}, reason: go away...\n`);
    assert.match(await closed, /320 \(CONNECTION-FORCED\) with message "CONNECTION_FORCED - go away"/);
    assert.equal((await ctl(['close_connection', 'nonsense', 'x'])).code, 69);
  });

  it('status, environment, cluster_status and set_cluster_name', async () => {
    assert.match(await ok('status'), new RegExp(`^Status of node ${node} \\.\\.\\.\\n\\x1b\\[1mRuntime\\x1b\\[0m\\n\\nOS PID: ${b.proc!.pid}\\n[^]*\\nInterface: 127\\.0\\.0\\.1, port: \\d+, protocol: clustering, purpose: inter-node and CLI tool communication\\n`));
    const s = JSON.parse(await ok('status', '--formatter', 'json')) as { pid: number; totals: { virtual_host_count: number } };
    assert.deepEqual([s.pid, s.totals.virtual_host_count], [b.proc!.pid, 1]);
    assert.match(await ok('environment'), /^Application environment of node .+ \.\.\.\n\[\{warren,\n {5}\[\{auth_mechanisms,\['PLAIN','AMQPLAIN'\]\},\n[^]*\{heartbeat,60\},\n/);
    assert.equal(await ok('set_cluster_name', 'ctl-cluster'), 'Setting cluster name to ctl-cluster ...\n');
    assert.match(await ok('cluster_status'), new RegExp(`^Cluster status of node ${node} \\.\\.\\.\\n\\x1b\\[1mBasics\\x1b\\[0m\\n\\nCluster name: ctl-cluster\\n\\n\\x1b\\[1mDisk Nodes\\x1b\\[0m\\n\\n${node}\\n`));
    const cs = JSON.parse(await ok('cluster_status', '--formatter', 'json')) as { running_nodes: string[] };
    assert.deepEqual(cs.running_nodes, [node]);
    const c = await amqp.connect(b.url);
    assert.equal((c.connection.serverProperties as unknown as Record<string, unknown>).cluster_name, 'ctl-cluster');
    await c.close();
  });

  it('export_definitions and import_definitions', async () => {
    const file = join(dir, 'defs.json');
    assert.equal(await ok('export_definitions', file), `Exporting definitions in JSON to a file at "${file}" ...\n`);
    const defs = JSON.parse(readFileSync(file, 'utf8')) as { users: { name: string }[]; vhosts: unknown[] };
    assert.ok(defs.users.some((u) => u.name === 'guest'));
    assert.equal(JSON.stringify(JSON.parse(await ok('export_definitions', '-'))), JSON.stringify(defs));
    writeFileSync(file, JSON.stringify({ vhosts: [{ name: 'ctl-imported' }], users: [] }));
    assert.equal(await ok('import_definitions', file), `Importing definitions in JSON from a file at "${file}" ...\nSuccessfully imported definitions.\n`);
    assert.match(await ok('list_vhosts', '-s'), /^\/\nctl-imported\n$/);
    assert.equal((await ctl(['import_definitions', '-q'], {}, '{"vhosts":[{"name":"ctl-stdin"}]}')).code, 0);
    assert.deepEqual(await ctl(['import_definitions', join(dir, 'missing.json')]).then((r) => r.code), 65);
    writeFileSync(file, 'not json');
    assert.equal((await ctl(['import_definitions', file])).code, 65);
  });

  it('stop_app closes clients with 320; reset only while stopped; start_app and await_startup', async () => {
    await ok('add_user', 'ctl-gone', 'pw');
    // Without reset, start_app recovers what the store holds.
    await ok('stop_app');
    await ok('start_app');
    assert.match(await ok('list_users', '-s'), /\nctl-gone\t\[\]\n/);
    // WARREN_NODE_PORT=0: the restarted app listens on a new port, which status names.
    const st = JSON.parse(await ok('status', '--formatter', 'json')) as { listeners: { protocol: string; port: number }[] };
    const c = await amqp.connect(`amqp://guest:guest@127.0.0.1:${st.listeners.find((l) => l.protocol === 'amqp')!.port}/`);
    const closed = new Promise<string>((r) => c.on('close', (e: Error | undefined) => r(e?.message ?? '')));
    let r = await ctl(['reset']);
    assert.equal(r.code, 64);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^Error: this command requires the 'warren' app to be stopped on the target node\. Stop it with 'warrenctl stop_app'\.\nArguments given:\n\treset\n/);
    assert.equal(await ok('stop_app'), `Stopping warren application on node ${node} ...\n`);
    assert.match(await closed, /320 \(CONNECTION-FORCED\)/);
    r = await ctl(['list_queues']);
    assert.deepEqual([r.code, r.stdout], [64, '']);
    assert.match(r.stderr, /^Error: this command requires the 'warren' app to be running on the target node\. Start it with 'warrenctl start_app'\./);
    assert.equal((await ctl(['await_startup', '--timeout', '1'])).code, 69);
    assert.equal(await ok('reset'), `Resetting node ${node} ...\n`);
    const waiting = ctl(['await_startup']);
    assert.equal(await ok('start_app'), `Starting node ${node} ...\n`);
    assert.deepEqual(await waiting, { code: 0, stdout: '', stderr: '' });
    assert.equal(await ok('list_users', '-s'), 'guest\t[administrator]\n');
    assert.equal(await ok('list_vhosts', '-s'), '/\n');
  });

  it('stop ends the node; the control port file goes with it', async () => {
    const exited = new Promise<number | null>((r) => b.proc!.once('exit', (code) => r(code)));
    assert.equal(await ok('stop'), `Stopping and halting node ${node} ...\n`);
    assert.equal(await exited, 0);
    assert.equal(existsSync(join(b.dataDir!, 'control.port')), false);
    assert.equal((await ctl(['list_users'])).code, 69);
    assert.equal(await ok('stop', '--idempotent'), `Stopping and halting node ${node} ...\nNode ${node} is no longer running\n`);
  });
});
