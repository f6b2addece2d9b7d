// What a warrenctl command is: its help (section, usage, description, arguments), what it accepts (arity,
// options, columns) and how it runs: the info line rabbitmqctl prints first, the node call, the output. The
// helpers build the three common shapes: a change (banner, call), a list (banner, call, rows), a local command.
import { FIXED_COLUMNS, LIST_COLUMNS } from '../../control/columns.js';
import type { ControlRequest, ListResult } from '../../control/protocol.js';
import type { OptSpec } from './args.js';
import { formatRows, type Formatter } from './format.js';

/** Help sections, in rabbitmqctl's order. */
export const SECTIONS = [
  'Help', 'Nodes', 'Cluster', 'Users', 'Access Control', 'Monitoring, observability and health checks', 'Parameters',
  'Policies', 'Virtual hosts', 'Configuration and Environment', 'Definitions', 'Operations', 'Queues',
] as const;
export type Section = typeof SECTIONS[number];

export interface Ctx {
  command: string;
  /** Positional arguments (for list commands, without the columns). */
  args: string[];
  columns: string[] | undefined;
  opts: Record<string, string | boolean | number>;
  node: string;
  vhost: string;
  formatter: Formatter;
  /** -q / -s: no info lines. */
  quiet: boolean;
  /** Header line in tables (not with -s or --no-table-headers). */
  headers: boolean;
  /** --timeout in seconds, if given. */
  timeout: number | undefined;
  /** The control port that answered the last call (stop waits for it to close). */
  controlPort: number | undefined;
  /** The whole command line, for usage errors. */
  argv: string[];
  /** Sends the command to the node; resolves with its result, throws CtlFailure/Unreachable otherwise. */
  call(extra?: Partial<ControlRequest>): Promise<unknown>;
  /** Prints an info line (not with -q/-s, nor with json/csv output). */
  info(line: string): void;
  out(text: string): void;
}

export interface CommandSpec {
  section: Section;
  /** One line for the command list. */
  summary: string;
  /** After `warrenctl [--node <node>] [--longnames] [--quiet] `. */
  usage: string;
  /** The help page's sentence; the summary with a full stop when absent. */
  description?: string;
  argHelp?: [string, string][];
  /** Positional arguments: [min, max]. */
  args: [number, number];
  options?: Record<string, OptSpec>;
  /** Column arguments validated against LIST_COLUMNS[command] (list commands). */
  columns?: boolean;
  /** Runs without a node (help, version). */
  local?: boolean;
  run(ctx: Ctx): Promise<void>;
}

/** A command that changes something: info line, node call, and {"node", "result": "ok"} in JSON. */
export function change(banner: (c: Ctx) => string, after?: (c: Ctx, result: unknown) => void): (c: Ctx) => Promise<void> {
  return async (c) => {
    c.info(banner(c));
    const result = await c.call();
    if (c.formatter === 'json') c.out(`${JSON.stringify({ node: c.node, result: 'ok' })}\n`);
    else after?.(c, result);
  };
}

/**
 * A list command: info line, rows, formatted. `streamed` marks rabbitmqctl's streamed object lists (queues,
 * exchanges, bindings, connections, channels, consumers), which print differently when empty.
 */
export function listing(banner: (c: Ctx) => string, streamed: boolean): (c: Ctx) => Promise<void> {
  return async (c) => {
    c.info(banner(c));
    const columns = c.columns ?? LIST_COLUMNS[c.command]?.defaults ?? FIXED_COLUMNS[c.command] ?? [];
    const result = await c.call({ columns: [...columns] }) as ListResult;
    c.out(formatRows(result.rows, columns, c.formatter, { streamed, headers: c.headers }));
  };
}
