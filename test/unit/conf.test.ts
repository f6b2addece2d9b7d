// Unit tests for warren.conf (syntax, every value form, errors naming file and line, unknown keys), for
// warren-env.conf, and for loadSettings' layering: defaults < warren.conf < warren-env.conf < environment.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, KNOWN_KEYS, INERT_KEYS, inertSettings, parseConf, parseConfLines } from '../../src/config/conf.js';
import { loadSettings, parseEnvFile } from '../../src/config/settings.js';
import { bytesize, informationUnit, listener } from '../../src/config/values.js';

/** Asserts that parsing throws a ConfigError with exactly this message. */
function rejects(text: string, message: string, file = 'warren.conf'): void {
  assert.throws(() => parseConf(text, file), (e: unknown) => {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${e}`);
    assert.equal(e.message, message);
    return true;
  });
}

describe('warren.conf syntax', () => {
  it('skips comments and blank lines, trims whitespace, takes CRLF', () => {
    const lines = parseConfLines('# a comment\n\n   \t\n  heartbeat\t=  30   \r\n\t# indented comment\r\nframe_max=8192\n', 'x.conf');
    assert.deepEqual(lines.map((l) => [l.key, l.value, l.line]), [['heartbeat', '30', 4], ['frame_max', '8192', 6]]);
  });

  it('a # ends an unquoted value, wherever it is; quoted values keep it', () => {
    const lines = parseConfLines("a = x # note\nb = abc#def\nc = 'p#ss word' # note\nd = \"p#ss\"\ne = ''\n");
    assert.deepEqual(lines.map((l) => l.value), ['x', 'abc', 'p#ss word', 'p#ss', '']);
  });

  it('keys: dotted, numeric and named segments, - and _, escaped dots', () => {
    const lines = parseConfLines('listeners.tcp.1 = 5672\nlisteners.tcp.local-v6_2 = [::1]:5672\nloopback_users.john\\.doe = true\n');
    assert.deepEqual(lines.map((l) => l.segments), [
      ['listeners', 'tcp', '1'], ['listeners', 'tcp', 'local-v6_2'], ['loopback_users', 'john.doe'],
    ]);
  });

  it('values keep inner spaces and everything but a #', () => {
    const c = parseConf('cluster_name = my cluster: east/1   \nserver_properties.information = Licensed under MPL 2.0, see https://x.org/?a=b\n');
    assert.equal(c.clusterName, 'my cluster: east/1');
    assert.equal(c.serverProperties.information, 'Licensed under MPL 2.0, see https://x.org/?a=b');
  });

  it('syntax errors name the file and line', () => {
    rejects('heartbeat = 1\njust some words\n', "warren.conf:2: expected 'key = value', got 'just some words'");
    rejects('\n\nheartbeat =\n', "warren.conf:3: missing value for 'heartbeat'");
    rejects('heartbeat =    # nothing\n', "warren.conf:1: missing value for 'heartbeat'");
    rejects("default_pass = 'abc\n", "/etc/warren/warren.conf:1: unterminated quoted value for 'default_pass'", '/etc/warren/warren.conf');
    rejects("default_pass = 'abc' def\n", "warren.conf:1: unexpected text after the quoted value of 'default_pass': 'def'");
    rejects('frame max = 1\n', "warren.conf:1: invalid key 'frame max': keys are words of letters, digits, _ and - joined by dots");
    rejects('= 1\n', 'warren.conf:1: missing key before =');
    rejects('a..b = 1\n', "warren.conf:1: invalid key 'a..b': keys are words of letters, digits, _ and - joined by dots");
    rejects('include conf.d/*.conf\n', 'warren.conf:1: include directives are not supported');
  });
});

describe('warren.conf keys', () => {
  it('unknown keys are rejected with the line, a suggestion, or a note for RabbitMQ-only settings', () => {
    rejects('heartbeat = 10\n\n# x\n\n\n\nfoo.bar = 1\n', "warren.conf:7: unknown key 'foo.bar'");
    rejects('frame_mx = 8192\n', "warren.conf:1: unknown key 'frame_mx' (did you mean 'frame_max'?)");
    rejects('management.tcp.prot = 1\n', "warren.conf:1: unknown key 'management.tcp.prot' (did you mean 'management.tcp.port'?)");
    rejects('ssl_options.depth = 2\n', "warren.conf:1: unknown key 'ssl_options.depth': a RabbitMQ setting Warren does not support");
    rejects('listeners.tcp.a.b = 5672\n', "warren.conf:1: unknown key 'listeners.tcp.a.b' (did you mean 'listeners.tcp.a'?)");
    rejects('Heartbeat = 5\n', "warren.conf:1: unknown key 'Heartbeat' (did you mean 'heartbeat'?)");
  });

  it('listeners: port, IPv4:port, [IPv6]:port, bare IPv6:port, in file order', () => {
    const c = parseConf('listeners.tcp.default = 5672\nlisteners.tcp.local = 127.0.0.1:5673\nlisteners.tcp.v6 = [::1]:5674\nlisteners.tcp.2 = ::1:5675\n');
    assert.deepEqual(c.tcpListeners, [
      { name: 'default', host: undefined, port: 5672 }, { name: 'local', host: '127.0.0.1', port: 5673 },
      { name: 'v6', host: '::1', port: 5674 }, { name: '2', host: '::1', port: 5675 },
    ]);
  });

  it('listeners.tcp = none wins over named listeners; bad listeners are rejected', () => {
    assert.deepEqual(parseConf('listeners.tcp.default = 5672\nlisteners.tcp = none\n').tcpListeners, []);
    assert.equal(parseConf('heartbeat = 1\n').tcpListeners, undefined);
    rejects('listeners.tcp.x = localhost:5672\n', "warren.conf:1: invalid value 'localhost:5672' for 'listeners.tcp.x': 'localhost' is not an IP address (expected 5672, 127.0.0.1:5672 or [::1]:5672)");
    rejects('listeners.tcp.x = 70000\n', "warren.conf:1: invalid value '70000' for 'listeners.tcp.x': must be between 0 and 65535");
    rejects('listeners.tcp.x = 127.0.0.1:http\n', "warren.conf:1: invalid value '127.0.0.1:http' for 'listeners.tcp.x': 'http' is not a TCP port number");
    rejects('listeners.tcp.x = 127.0.0.1\n', "warren.conf:1: invalid value '127.0.0.1' for 'listeners.tcp.x': expected a port (5672) or address:port (127.0.0.1:5672, [::1]:5672)");
    rejects('listeners.tcp = all\n', "warren.conf:1: invalid value 'all' for 'listeners.tcp': expected one of: none");
  });

  it('negotiation limits: integers, frame_max as a cuttlefish byte size', () => {
    const c = parseConf('heartbeat = 0\nframe_max = 128KB\nchannel_max = 0\nmax_message_size = 536870912\n');
    assert.deepEqual([c.heartbeat, c.frameMax, c.channelMax, c.maxMessageSize], [0, 131072, 0, 536870912]);
    assert.equal(parseConf('frame_max = 8192').frameMax, 8192);
    assert.equal(parseConf('frame_max = 1mb').frameMax, 1048576);
    rejects('heartbeat = 1.5\n', "warren.conf:1: invalid value '1.5' for 'heartbeat': expected an integer");
    rejects('heartbeat = -1\n', "warren.conf:1: invalid value '-1' for 'heartbeat': must be between 0 and 65535");
    rejects('frame_max = 4095\n', "warren.conf:1: invalid value '4095' for 'frame_max': must be between 4096 and 4294967295 bytes");
    rejects('frame_max = 8 KB\n', "warren.conf:1: invalid value '8 KB' for 'frame_max': expected a size in bytes such as 131072 or 128KB");
    rejects('max_message_size = 536870913\n', "warren.conf:1: invalid value '536870913' for 'max_message_size': must be between 1 and 536870912");
    rejects('channel_max = 65536\n', "warren.conf:1: invalid value '65536' for 'channel_max': must be between 0 and 65535");
  });

  it('default user, vhost, tags and permissions', () => {
    const c = parseConf("default_user = admin\ndefault_pass = 's3cr#t'\ndefault_vhost = /prod\ndefault_user_tags.administrator = true\n" +
      'default_user_tags.monitoring = true\ndefault_user_tags.management = false\ndefault_permissions.configure = ^amq\\..*\ndefault_permissions.read = .*\n');
    assert.deepEqual([c.defaultUser, c.defaultPass, c.defaultVhost], ['admin', 's3cr#t', '/prod']);
    assert.deepEqual(c.defaultUserTags, ['administrator', 'monitoring']);
    assert.deepEqual(c.defaultPermissions, { configure: '^amq\\..*', read: '.*' });
    rejects('default_permissions.write = (\n', "warren.conf:1: invalid value '(' for 'default_permissions.write': is not a valid regular expression");
    rejects('default_user_tags.administrator = yes\n', "warren.conf:1: invalid value 'yes' for 'default_user_tags.administrator': expected true or false");
    rejects("default_user = ''\n", "warren.conf:1: invalid value '' for 'default_user': must not be empty");
  });

  it('loopback_users: none, per-user booleans replacing the default', () => {
    assert.deepEqual(parseConf('loopback_users = none\nloopback_users.guest = true\n').loopbackUsers, []);
    assert.deepEqual(parseConf('loopback_users.guest = false\n').loopbackUsers, []);
    assert.deepEqual(parseConf('loopback_users.guest = true\nloopback_users.john\\.doe = true\nloopback_users.bob = false\n').loopbackUsers, ['guest', 'john.doe']);
    assert.equal(parseConf('heartbeat = 1').loopbackUsers, undefined);
  });

  it('resource limits: floats and RabbitMQ information units, stored', () => {
    const c = parseConf('vm_memory_high_watermark.relative = 0.4\nvm_memory_high_watermark.absolute = 2GiB\ndisk_free_limit.absolute = 50MB\ndisk_free_limit.relative = 1\n');
    assert.deepEqual(c.vmMemoryHighWatermark, { relative: 0.4, absolute: 2 * 1024 ** 3 });
    assert.deepEqual(c.diskFreeLimit, { absolute: 50_000_000, relative: 1 });
    assert.deepEqual(inertSettings(c), [], 'resource limits are enforced (alarms), not inert');
    rejects('vm_memory_high_watermark.relative = forty\n', "warren.conf:1: invalid value 'forty' for 'vm_memory_high_watermark.relative': expected a number such as 0.4");
    rejects('disk_free_limit.absolute = 50XB\n', "warren.conf:1: invalid value '50XB' for 'disk_free_limit.absolute': expected a size such as 50000000, 50MB, 512MiB or 2GB");
  });

  it('information units: powers of 1000 with B, of 1024 with i or alone', () => {
    const cases: [string, number][] = [
      ['1000', 1000], ['50MB', 50e6], ['50000kB', 50e6], ['50000KB', 50e6], ['2GB', 2e9], ['1Gb', 1e9], ['1TB', 1e12],
      ['1k', 1024], ['1K', 1024], ['1kiB', 1024], ['1KiB', 1024], ['1KIB', 1024], ['1Ki', 1024], ['512MiB', 512 * 1024 ** 2],
      ['1M', 1024 ** 2], ['1g', 1024 ** 3], ['1GiB', 1024 ** 3], ['1TiB', 1024 ** 4],
    ];
    for (const [raw, n] of cases) assert.equal(informationUnit(raw), n, raw);
    for (const bad of ['', 'MB', '1.5GB', '-1', '1 GB', '1XB', '1GBi']) assert.throws(() => informationUnit(bad), bad);
  });

  it('cuttlefish byte sizes are powers of 1024, upper or lower case', () => {
    const p = bytesize(0, 2 ** 40);
    for (const [raw, n] of [['20', 20], ['1kb', 1024], ['2KB', 2048], ['10mb', 10485760], ['1GB', 1073741824], ['1.5KB', 1536]] as const) {
      assert.equal(p(raw), n, raw);
    }
    for (const bad of ['1Kb', '1KiB', '10MB10kb', '1.1KB']) assert.throws(() => p(bad), bad);
  });

  it('listener values', () => {
    assert.deepEqual(listener('0'), { host: undefined, port: 0 });
    assert.deepEqual(listener('[::]:5672'), { host: '::', port: 5672 });
    assert.deepEqual(listener('2001:db8::1:5672'), { host: '2001:db8::1', port: 5672 });
    for (const bad of [':5672', '127.0.0.1:', '[::1]5672', '127.0.0.256:1', 'host:1', '1.2.3.4:-1']) assert.throws(() => listener(bad), bad);
  });

  it('logging, HTTP endpoints, cluster name, server properties', () => {
    const c = parseConf('log.level = debug\nlog.file = false\nlog.file.level = error\nlog.console = false\nlog.console.level = warning\n' +
      'management.tcp.port = 15673\nmanagement.tcp.ip = ::\nprometheus.tcp.port = 0\nprometheus.tcp.ip = 127.0.0.1\n' +
      'cluster_name = east\nserver_properties.product = RabbitMQ\nserver_properties.version = "3.13.7"\n');
    assert.deepEqual(c.log, { level: 'debug', file: false, fileLevel: 'error', console: false, consoleLevel: 'warning' });
    assert.deepEqual(c.management, { port: 15673, ip: '::' });
    assert.deepEqual(c.prometheus, { port: 0, ip: '127.0.0.1' });
    assert.equal(c.clusterName, 'east');
    assert.deepEqual(c.serverProperties, { product: 'RabbitMQ', version: '3.13.7' });
    assert.equal(parseConf('log.file = /var/log/warren.log').log.file, '/var/log/warren.log');
    rejects('log.level = verbose\n', "warren.conf:1: invalid value 'verbose' for 'log.level': expected one of: debug, info, notice, warning, error, critical, alert, emergency, none");
    rejects('log.console = yes\n', "warren.conf:1: invalid value 'yes' for 'log.console': expected true or false");
    const f = parseConf('log.console.formatter = json\nlog.file.formatter = plaintext\n');
    assert.deepEqual(f.log, { consoleFormat: 'json', fileFormat: 'plaintext' });
    rejects('log.file.formatter = xml\n', "warren.conf:1: invalid value 'xml' for 'log.file.formatter': expected one of: plaintext, json");
    rejects('management.tcp.ip = localhost\n', "warren.conf:1: invalid value 'localhost' for 'management.tcp.ip': expected an IPv4 or IPv6 address");
    rejects('server_properties.capabilities = x\n', "warren.conf:1: invalid value for 'server_properties.capabilities': capabilities is a table Warren fills in itself and cannot be set here");
  });

  it('TLS: listeners.ssl.*, ssl_options.*, management.ssl.*, auth_mechanisms.N, ssl_cert_login_from, auth_failure_delay', () => {
    const c = parseConf('listeners.ssl.default = 5671\nlisteners.ssl.local = 127.0.0.1:5681\nssl_options.cacertfile = /c/ca.pem\n' +
      'ssl_options.certfile = s.pem\nssl_options.keyfile = s.key\nssl_options.password = pw\nssl_options.verify = verify_peer\n' +
      'ssl_options.fail_if_no_peer_cert = true\nssl_options.versions.1 = tlsv1.3\nssl_options.versions.2 = tlsv1.2\n' +
      'management.ssl.port = 15671\nmanagement.ssl.certfile = m.pem\nmanagement.ssl.keyfile = m.key\n' +
      'auth_mechanisms.2 = EXTERNAL\nauth_mechanisms.1 = PLAIN\nssl_cert_login_from = common_name\nauth_failure_delay = 250\n');
    assert.deepEqual(c.sslListeners, [{ name: 'default', host: undefined, port: 5671 }, { name: 'local', host: '127.0.0.1', port: 5681 }]);
    assert.deepEqual(c.ssl, { cacertfile: '/c/ca.pem', certfile: 's.pem', keyfile: 's.key', password: 'pw', verify: 'verify_peer', failIfNoPeerCert: true, versions: ['tlsv1.3', 'tlsv1.2'] });
    assert.deepEqual(c.management.ssl, { port: 15671, certfile: 'm.pem', keyfile: 'm.key' });
    assert.deepEqual(c.authMechanisms, [{ n: 2, name: 'EXTERNAL' }, { n: 1, name: 'PLAIN' }]);
    assert.equal(c.sslCertLoginFrom, 'common_name');
    assert.equal(c.authFailureDelay, 250);
    assert.deepEqual(parseConf('listeners.ssl.default = 5671\nlisteners.ssl = none\n').sslListeners, []);
    rejects('ssl_options.verify = yes\n', "warren.conf:1: invalid value 'yes' for 'ssl_options.verify': expected one of: verify_peer, verify_none");
    rejects('auth_mechanisms.1 = CRAM-MD5\n', "warren.conf:1: invalid value 'CRAM-MD5' for 'auth_mechanisms.1': expected one of: PLAIN, AMQPLAIN, EXTERNAL");
    rejects('ssl_cert_login_from = subject_alternative_name\n', "warren.conf:1: invalid value 'subject_alternative_name' for 'ssl_cert_login_from': expected one of: distinguished_name, common_name");
  });

  it('a repeated key: the last value wins', () => {
    const c = parseConf('heartbeat = 10\nheartbeat = 20\n');
    assert.equal(c.heartbeat, 20);
    assert.deepEqual(c.settings.get('heartbeat'), { value: '20', line: 2 });
  });
});

describe('warren.conf.example', () => {
  const example = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'warren.conf.example'), 'utf8');
  const settingLine = /^# ([a-z_]+(?:\.[A-Za-z0-9_\\.-]+)* = .*)$/;
  const uncommented = example.split('\n').map((l) => settingLine.exec(l)?.[1]).filter((l): l is string => l !== undefined);

  it('every commented-out setting parses', () => {
    const c = parseConf(uncommented.join('\n'), 'warren.conf.example');
    assert.ok(c.settings.size >= 30, `only ${c.settings.size} settings`);
  });

  it('lists every supported key', () => {
    const keys = parseConfLines(uncommented.join('\n')).map((l) => l.segments);
    for (const known of KNOWN_KEYS) {
      const pattern = known.split('.');
      assert.ok(keys.some((k) => k.length === pattern.length && pattern.every((p, i) => p === '<name>' || p === k[i])), `${known} missing`);
    }
    assert.ok(!INERT_KEYS.includes('disk_free_limit.absolute'), 'the disk limit is enforced');
  });
});

describe('warren-env.conf', () => {
  it('NAME=value lines, with or without WARREN_, quoted or bare, export allowed', () => {
    const vars = parseEnvFile('# env\nNODENAME=warren@east\nexport WARREN_NODE_PORT=5673 # comment\nDATA_DIR="/var/lib/warren dir"\nLOG_LEVEL=\'debug\'\n\n');
    assert.deepEqual(Object.fromEntries([...vars].map(([k, v]) => [k, v.value])), {
      WARREN_NODENAME: 'warren@east', WARREN_NODE_PORT: '5673', WARREN_DATA_DIR: '/var/lib/warren dir', WARREN_LOG_LEVEL: 'debug',
    });
  });

  it('errors name the file and line', () => {
    const bad: [string, string][] = [
      ['\nFOO=1', "e.conf:2: unknown variable 'FOO' (known: NODENAME, NODE_IP_ADDRESS, NODE_PORT, MANAGEMENT_PORT, PROMETHEUS_PORT, DATA_DIR, LOG_LEVEL, CONFIG_FILE, DIST_PORT, STATS_INTERVAL_MS)"],
      ['NODE_PORT = 1', "e.conf:1: no spaces are allowed around '=' (shell syntax: NAME=value)"],
      ['DATA_DIR=$HOME/x', 'e.conf:1: DATA_DIR: quote the value; variable expansion and command substitution are not supported'],
      ['DATA_DIR="$HOME/x"', 'e.conf:1: DATA_DIR: variable expansion and command substitution are not supported'],
      ['DATA_DIR=/a b', 'e.conf:1: unexpected text after the value of DATA_DIR (quote values that contain spaces)'],
      ["NODENAME='x", 'e.conf:1: unterminated quoted value for NODENAME'],
      ['rubbish', "e.conf:1: expected NAME=value, got 'rubbish'"],
    ];
    for (const [text, msg] of bad) assert.throws(() => parseEnvFile(text, 'e.conf'), { name: 'ConfigError', message: msg });
  });
});

describe('loadSettings', () => {
  let dir: string;
  const none = { systemConfigFile: '/nonexistent/warren.conf', systemEnvFile: '/nonexistent/warren-env.conf' };
  const file = (name: string, text: string) => { const p = join(dir, name); writeFileSync(p, text); return p; };
  before(() => { dir = mkdtempSync(join(tmpdir(), 'warren-conf-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('embedded defaults without files or variables', () => {
    const s = loadSettings({}, none);
    assert.deepEqual(s.listeners, [{ host: undefined, port: 5672 }]);
    assert.deepEqual([s.amqpPort, s.amqpHost, s.managementPort, s.prometheusPort], [5672, undefined, 15672, 15692]);
    assert.deepEqual([s.frameMax, s.channelMax, s.heartbeat, s.maxMessageSize], [131072, 2047, 60, 134217728]);
    assert.deepEqual([s.defaultUser, s.defaultPass, s.defaultVhost, s.loopbackUsers], ['guest', 'guest', '/', ['guest']]);
    assert.deepEqual([s.configFile, s.envFile, s.logLevel], [undefined, undefined, 'info']);
    assert.match(s.nodeName, /^warren@/);
    assert.ok(s.dataDir.endsWith(join('data', s.nodeName)));
  });

  it('warren.conf < warren-env.conf < environment', () => {
    const conf = file('layers.conf', 'listeners.tcp.a = 127.0.0.1:6000\nlisteners.tcp.b = 6001\nmanagement.tcp.port = 16000\nlog.level = warning\nchannel_max = 0\n');
    const envFile = file('layers-env.conf', `CONFIG_FILE=${conf}\nMANAGEMENT_PORT=16001\nNODENAME=warren@file\n`);
    let s = loadSettings({ WARREN_CONF_ENV_FILE: envFile }, none);
    assert.equal(s.configFile, conf);
    assert.deepEqual(s.listeners, [{ host: '127.0.0.1', port: 6000 }, { host: undefined, port: 6001 }]);
    assert.deepEqual([s.managementPort, s.nodeName, s.logLevel, s.log.consoleLevel, s.channelMax], [16001, 'warren@file', 'warning', 'warning', 65535]);
    s = loadSettings({ WARREN_CONF_ENV_FILE: envFile, WARREN_MANAGEMENT_PORT: '16002', WARREN_NODENAME: 'warren@env', WARREN_LOG_LEVEL: 'debug', WARREN_NODE_PORT: '0' }, none);
    assert.deepEqual([s.managementPort, s.nodeName, s.logLevel, s.log.consoleLevel], [16002, 'warren@env', 'debug', 'debug']);
    assert.deepEqual(s.listeners, [{ host: '127.0.0.1', port: 0 }], 'WARREN_NODE_PORT keeps the first listener\'s address');
    s = loadSettings({ WARREN_CONFIG_FILE: conf, WARREN_NODE_IP_ADDRESS: '[::1]', WARREN_CONF_ENV_FILE: '' }, none);
    assert.deepEqual(s.listeners, [{ host: '::1', port: 6000 }]);
  });

  it('system files are used when present; WARREN_CONFIG_FILE may omit .conf', () => {
    const conf = file('sys.conf', 'heartbeat = 5\n');
    const envFile = file('sys-env.conf', 'LOG_LEVEL=error\n');
    const s = loadSettings({}, { systemConfigFile: conf, systemEnvFile: envFile });
    assert.deepEqual([s.configFile, s.envFile, s.heartbeat, s.logLevel], [conf, envFile, 5, 'error']);
    assert.equal(loadSettings({ WARREN_CONFIG_FILE: conf.slice(0, -'.conf'.length) }, none).heartbeat, 5);
  });

  it('errors: missing files, bad variables, .config files, with the origin named', () => {
    const cases: [NodeJS.ProcessEnv, string | RegExp][] = [
      [{ WARREN_CONFIG_FILE: join(dir, 'missing.conf') }, `config file ${join(dir, 'missing.conf')} does not exist`],
      [{ WARREN_CONF_ENV_FILE: join(dir, 'missing-env.conf') }, `environment file ${join(dir, 'missing-env.conf')} does not exist`],
      [{ WARREN_NODE_PORT: '65536' }, 'WARREN_NODE_PORT=65536 is not a TCP port number'],
      [{ WARREN_LOG_LEVEL: 'loud' }, /^WARREN_LOG_LEVEL=loud is not a log level/],
      [{ WARREN_CONF_ENV_FILE: file('bad-env.conf', '\n\nNODE_PORT=x\n') }, `${join(dir, 'bad-env.conf')}:3: NODE_PORT=x is not a TCP port number`],
      [{ WARREN_CONFIG_FILE: file('advanced.config', '[].') }, /Erlang-term \.config files are not supported/],
      [{ WARREN_CONFIG_FILE: file('bad.conf', 'heartbeat = 1\nnope = 1\n') }, `${join(dir, 'bad.conf')}:2: unknown key 'nope'`],
    ];
    for (const [env, msg] of cases) assert.throws(() => loadSettings(env, none), { name: 'ConfigError', message: msg });
  });
});
