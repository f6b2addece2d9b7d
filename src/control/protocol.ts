// The control protocol between warrenctl and a node: one authenticated JSON request per command over HTTP on
// loopback, and typed result cells so the client alone decides how a value prints (table, JSON, CSV).
// Exit codes are sysexits.h values, as rabbitmqctl uses them.

export const ExitCode = {
  Ok: 0,
  Usage: 64,
  DataErr: 65,
  NoInput: 66,
  NoUser: 67,
  Unavailable: 69,
  Software: 70,
  TempFail: 75,
  Config: 78,
} as const;

/** HTTP path of the single control endpoint. */
export const CONTROL_PATH = '/warren/control/v1';
/** The file in the node's data directory holding the control port it listens on. */
export const CONTROL_PORT_FILE = 'control.port';
/** Header carrying `<unix ms>.<hex HMAC-SHA256(cookie, "<unix ms>\n<body>")>`. */
export const AUTH_HEADER = 'x-warren-auth';

export interface ControlRequest {
  /** The node the client means to reach; a node answering under another name refuses the request. */
  node: string;
  command: string;
  vhost?: string;
  args: string[];
  /** Command options as parsed; import_definitions also carries the definitions here. */
  opts: Record<string, unknown>;
  /** Info keys for list commands, already validated by the client. */
  columns?: string[];
}

/**
 * An error as the node reports it. `plain` errors print their message alone; the others print "Error:" on
 * the line before, as rabbitmqctl does for each case. `appState` marks the "requires the app to be running /
 * stopped" refusals, which rabbitmqctl reports as usage errors.
 */
export interface ControlErrorBody {
  exitCode: number;
  message: string;
  plain?: boolean;
  appState?: 'running' | 'stopped';
}

export type ControlResponse = { ok: true; result: unknown } | { ok: false; error: ControlErrorBody };

/** Thrown by command handlers on the node; sent back as a ControlErrorBody. */
export class ControlError extends Error {
  constructor(readonly exitCode: number, message: string, readonly plain = false, readonly appState?: 'running' | 'stopped') {
    super(message);
  }

  toBody(): ControlErrorBody {
    const b: ControlErrorBody = { exitCode: this.exitCode, message: this.message };
    if (this.plain) b.plain = true;
    if (this.appState) b.appState = this.appState;
    return b;
  }
}

/**
 * A value in a listed row. Plain JSON values print as themselves (null prints empty); the tagged forms print
 * as rabbitmqctl prints the Erlang terms behind them, which differ between the table and JSON formatters.
 */
export type Cell =
  | string | number | boolean | null
  /** An Erlang pid, `<node.creation.id.serial>`. */
  | { t: 'pid'; v: string }
  /** An AMQP field table with its wire types: [key, RabbitMQ type name, value]. */
  | { t: 'table'; v: TypedField[] }
  /** A list of atoms, such as user tags: `[a, b]` in tables, `["a","b"]` in JSON. */
  | { t: 'atoms'; v: string[] }
  /** An IP address: `127.0.0.1` in tables, `[127,0,0,1]` in JSON. */
  | { t: 'ip'; v: string }
  /** A tuple of numbers, such as the protocol version `{0,9,1}`. */
  | { t: 'tuple'; v: number[] }
  /** Node → state, such as a vhost's cluster_state: `[{warren@h, running}]` / `{"warren@h":"running"}`. */
  | { t: 'map'; v: Record<string, string> };

/** One field of a typed table. Arrays hold [type, value] pairs; nested tables hold TypedField lists. */
export type TypedField = [string, string, TypedValue];
export type TypedValue = string | number | boolean | null | TypedField[] | [string, TypedValue][] | number[];

export type Row = Record<string, Cell>;

/** What list commands return: rows keyed by the requested columns. */
export interface ListResult { rows: Row[] }
