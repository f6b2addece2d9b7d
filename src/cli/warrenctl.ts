#!/usr/bin/env node
// warrenctl: rabbitmqctl's commands, flags, output and exit codes for a Warren node. Arguments are checked
// here before the node is contacted (exit 64 with the usage); the command then runs on the node over its
// cookie-signed control port (src/control/). Exit codes: 64 usage, 65 data, 67 no user, 69 unreachable, 75 timeout.
import { LIST_COLUMNS } from '../control/columns.js';
import { ExitCode, type ControlRequest } from '../control/protocol.js';
import { parseArgs } from './ctl/args.js';
import { commandHelp, COMMANDS, generalUsage, usageBlock } from './ctl/commands.js';
import { FORMATTERS, type Formatter } from './ctl/format.js';
import { LIST_QUEUES_TIMEOUT_S } from './ctl/commands-objects.js';
import type { CommandSpec, Ctx } from './ctl/spec.js';
import { NodeError, resolveTarget, send, TimedOut, Unreachable, unreachableText, UsageError } from './ctl/transport.js';

const out = (s: string) => { process.stdout.write(s); };
const err = (s: string) => { process.stderr.write(s); };

/** Splits column arguments ("name messages" or "name,messages") and checks them. */
function columnsOf(name: string, words: string[]): string[] | undefined {
  const cols = words.flatMap((w) => w.split(',')).map((w) => w.trim()).filter(Boolean);
  if (cols.length === 0) return undefined;
  const bad = cols.filter((c) => !LIST_COLUMNS[name]!.all.includes(c));
  if (bad.length) throw new UsageError(`Info key(s) ${bad.join(',')} are not supported`);
  return cols;
}

async function run(argv: string[]): Promise<number> {
  const lookup = (cmd: string | undefined) => (cmd !== undefined && Object.hasOwn(COMMANDS, cmd) ? COMMANDS[cmd] : undefined);
  const p = parseArgs(argv, (cmd) => lookup(cmd)?.options ?? {});
  if (p.command === undefined) { err(generalUsage(COMMANDS)); return ExitCode.Usage; }
  const name = p.command;
  const spec = lookup(name);
  if (!spec) { err(`\nCommand '${name}' not found. \n${generalUsage(COMMANDS)}`); return ExitCode.Usage; }
  if (p.opts.help === true) { out(commandHelp(name, spec)); return 0; }
  const info = new InfoLines();
  try {
    return await runCommand(argv, name, spec, p.positional, p.opts, p.invalid, info);
  } catch (e) {
    return report(e, argv, name, spec, p.opts, info);
  }
}

async function runCommand(argv: string[], name: string, spec: CommandSpec, positional: string[],
  opts: Record<string, string | boolean | number>, invalid: [string, string][], pending: InfoLines): Promise<number> {
  if (invalid.length) {
    throw new UsageError(`Invalid options for this command:\n${invalid.map(([o, v]) => `${o} : ${v}`).join('\n')}`);
  }
  const formatter = String(opts.formatter ?? 'table');
  // rabbitmqctl crashes on an unknown formatter (exit 1); pretty_table and erlang are not implemented here.
  if (!FORMATTERS.includes(formatter)) throw new UsageError(`formatter '${formatter}' is not supported; use table, json or csv`);
  const columns = spec.columns ? columnsOf(name, positional) : undefined;
  const args = spec.columns ? [] : positional;
  if (args.length < spec.args[0]) throw new UsageError('not enough arguments.');
  if (args.length > spec.args[1]) throw new UsageError('too many arguments.');
  const target = resolveTarget(opts);
  const quiet = opts.quiet === true || opts.silent === true || formatter !== 'table';
  const timeout = typeof opts.timeout === 'number' ? opts.timeout : undefined;
  // await_startup's wait happens on the node, which answers when its own timeout ends.
  const callTimeout = name === 'await_startup' ? undefined : timeout ?? (name === 'list_queues' ? LIST_QUEUES_TIMEOUT_S : undefined);
  const ctx: Ctx = {
    command: name, args, columns, opts, node: target.node, vhost: typeof opts.vhost === 'string' ? opts.vhost : '/',
    formatter: formatter as Formatter, quiet, headers: opts.silent !== true && opts['no-table-headers'] !== true,
    timeout, argv, controlPort: undefined,
    call: async (extra = {}) => {
      const req: ControlRequest = { node: target.node, command: name, vhost: ctx.vhost, args, opts, ...extra };
      if (columns && !extra.columns) req.columns = columns;
      const r = await send(target, req, callTimeout === undefined ? undefined : callTimeout * 1000);
      ctx.controlPort = r.port;
      pending.flush();
      return r.result;
    },
    info: (line) => { if (!quiet) pending.add(`${line}\n`); },
    out,
  };
  await spec.run(ctx);
  pending.flush();
  return 0;
}

/**
 * Info lines wait for the node's first answer: rabbitmqctl checks that the app runs (or is stopped, for reset)
 * before the command prints anything, and prints nothing but the refusal when it does not.
 */
class InfoLines {
  private lines: string[] = [];
  private flushed = false;
  add(line: string): void { if (this.flushed) out(line); else this.lines.push(line); }
  flush(): void { this.flushed = true; for (const l of this.lines.splice(0)) out(l); }
  drop(): void { this.lines.length = 0; }
}

function report(e: unknown, argv: string[], name: string, spec: CommandSpec, opts: Record<string, unknown>, pending: InfoLines): number {
  // The info line goes out before an error the command itself reports, but not before a usage error, an
  // app-state refusal or an unreachable node (stop aside, whose banner rabbitmqctl prints first).
  if ((e instanceof NodeError && !e.body.appState) || e instanceof TimedOut || (e instanceof Unreachable && name === 'stop') ||
    (e instanceof UsageError && e.style === 'plain-error')) pending.flush();
  else pending.drop();
  if (e instanceof UsageError) {
    if (e.style === 'plain-error') err(`Error:\n${e.message}\n`);
    else err(`Error (argument validation): ${e.message}\n${usageBlock(argv, name, spec)}`);
    return e.exitCode;
  }
  if (e instanceof NodeError) {
    const b = e.body;
    // "requires the app to be running/stopped" is a usage error in rabbitmqctl, with the usage after it.
    if (b.appState) { err(`Error: ${b.message}\n${usageBlock(argv, name, spec)}`); return ExitCode.Usage; }
    err(b.plain ? `${b.message}\n` : `Error:\n${b.message}\n`);
    return b.exitCode;
  }
  if (e instanceof Unreachable) {
    if (name === 'stop' && opts.idempotent === true) { out(`Node ${e.node} is no longer running\n`); return 0; }
    err(unreachableText(e));
    return ExitCode.Unavailable;
  }
  if (e instanceof TimedOut) {
    err(`Error: operation ${name} on node ${resolveTarget(opts).node} timed out. Timeout value used: ${e.ms}\n`);
    return ExitCode.TempFail;
  }
  err(`Error:\n${(e as Error)?.message ?? String(e)}\n`);
  return ExitCode.Software;
}

run(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: unknown) => {
  err(`warrenctl: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exitCode = ExitCode.Software;
});
