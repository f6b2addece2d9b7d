// The node's one logger: every log line of warren-server goes through here, to stderr (log.console) and/or a
// file (log.file), each output with its own level and formatter, as RabbitMQ 3.10's log.*.level and
// log.*.formatter. Startup lines that scripts parse ("accepting AMQP connections on ...") are not log lines.
//   plaintext: 2026-01-01T00:00:00.000Z [info] msg            (Warren's format; fields are not printed)
//   json:      {"time":"2026-01-01 00:00:00.000000+00:00","level":"info","msg":"...","pid":"<0.1234.0>",...}
// The JSON document has the keys rabbit_logger_json_fmt emits (time in its default rfc3339_space format,
// level, msg, pid, domain) plus the event's own structured fields (connection, user, vhost, peer, ...).
import { mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export type LogLevel = 'debug' | 'info' | 'notice' | 'warning' | 'error' | 'critical' | 'alert' | 'emergency' | 'none';
export type LogFormat = 'plaintext' | 'json';
/** Structured fields of one event; undefined values are left out. */
export type LogFields = Record<string, string | number | boolean | undefined>;
export type LogFn = (level: LogLevel, msg: string, fields?: LogFields) => void;

/** Severity order; `none` as a threshold lets nothing through. */
const SEVERITY: Record<LogLevel, number> = {
  debug: 10, info: 20, notice: 25, warning: 30, error: 40, critical: 50, alert: 60, emergency: 70, none: 100,
};

export interface LogOutput {
  level: LogLevel;
  format: LogFormat;
  write: (line: string) => void;
}

export interface LogSettings {
  console: boolean;
  consoleLevel: LogLevel;
  consoleFormat: LogFormat;
  file: string | undefined;
  fileLevel: LogLevel;
  fileFormat: LogFormat;
}

/** 2026-01-01 00:00:00.000000+00:00: RabbitMQ's default JSON time format (rfc3339_space, microseconds, UTC). */
export function rfc3339Space(d: Date): string {
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 23)}000+00:00`;
}

/** One line in the given format, newline included. */
export function formatLine(format: LogFormat, now: Date, level: LogLevel, msg: string, fields?: LogFields): string {
  if (format === 'plaintext') return `${now.toISOString()} [${level}] ${msg}\n`;
  // Erlang pids have no meaning here; the OS pid in Erlang's shape keeps log shippers' parsers happy.
  const doc: Record<string, unknown> = { time: rfc3339Space(now), level, msg, pid: `<0.${process.pid}.0>`, domain: 'rabbitmq' };
  if (fields) for (const [k, v] of Object.entries(fields)) if (v !== undefined) doc[k] = v;
  return JSON.stringify(doc) + '\n';
}

/** A logger over explicit outputs (tests, and makeLogger below). */
export function loggerFor(outputs: LogOutput[], clock: () => Date = () => new Date()): LogFn {
  const active = outputs.filter((o) => o.level !== 'none');
  return (level, msg, fields) => {
    const sev = SEVERITY[level] ?? SEVERITY.info;
    let now: Date | undefined;
    for (const o of active) {
      if (sev < SEVERITY[o.level]) continue;
      now ??= clock();
      o.write(formatLine(o.format, now, level, msg, fields));
    }
  };
}

/**
 * The node's logger from its settings: stderr and/or an appended file. A file that cannot be opened is the
 * caller's configuration error (thrown as is). File writes are synchronous so the last lines before a crash
 * or exit are on disk.
 */
export function makeLogger(s: LogSettings): LogFn {
  const outputs: LogOutput[] = [];
  if (s.console) outputs.push({ level: s.consoleLevel, format: s.consoleFormat, write: (l) => { process.stderr.write(l); } });
  if (s.file) {
    mkdirSync(dirname(s.file), { recursive: true });
    const fd = openSync(s.file, 'a');
    outputs.push({ level: s.fileLevel, format: s.fileFormat, write: (l) => {
      // A full disk must not take the node down with it: a log line that cannot be written is lost.
      try { writeSync(fd, l); } catch { /* ENOSPC and friends */ }
    } });
  }
  return loggerFor(outputs);
}
