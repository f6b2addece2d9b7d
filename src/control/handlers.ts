// The commands the control listener answers, by rabbitmqctl's name: node commands (status, environment,
// cluster_status, set_cluster_name, definitions, the app lifecycle: reset only while stopped, stop answers before
// the process ends) and object commands (list_*, purge_queue, delete_queue, close_connection); user, vhost,
// permission, policy and parameter commands are in handlers-access.ts. rabbitmqctl acts as the node itself, so
// object commands bypass user permissions and exclusive ownership; changes still go through broker.execute().
import { ReplyCode } from '../amqp/errors.js';
import { DefinitionsError, exportDefinitions, importDefinitions, type Definitions } from '../broker/definitions.js';
import { LIST_COLUMNS } from './columns.js';
import { ACCESS_HANDLERS } from './handlers-access.js';
import { LIMIT_HANDLERS } from './handlers-limits.js';
import {
  bindingRows, channelRows, connectionByPid, connectionRows, consumerRows, exchangeRows, queueRows, rowSource, type RowSource,
} from './info.js';
import type { Handler, HandlerContext } from './listener.js';
import { ControlError, ExitCode, type ListResult } from './protocol.js';
import { clusterStatusInfo, environmentInfo, statusInfo } from './status.js';

/** rabbitmqctl await_startup's default wait. */
const AWAIT_STARTUP_DEFAULT_MS = 300_000;

const NODE_HANDLERS: Record<string, Handler> = {
  status: { needsApp: true, run: (ctx) => statusInfo(ctx.node, ctx.node.requireApp()) },
  cluster_status: { needsApp: true, run: (ctx) => clusterStatusInfo(ctx.node, ctx.node.requireApp()) },
  // As in RabbitMQ, the environment is the node's and answers while the app is stopped too.
  environment: { needsApp: false, run: (ctx) => environmentInfo(ctx.node) },

  set_cluster_name: { needsApp: true, run: (ctx) => {
    const [name] = ctx.req.args as [string];
    ctx.node.requireApp().broker.execute({ type: 'global-parameter.set', def: { name: 'cluster_name', value: name } });
  } },

  export_definitions: { needsApp: true, run: (ctx) => exportDefinitions(ctx.node.requireApp().broker, ctx.node.version) },
  import_definitions: { needsApp: true, run: (ctx) => {
    const defs = ctx.req.opts.definitions as unknown;
    try {
      importDefinitions(ctx.node.requireApp().broker, defs as Definitions);
    } catch (e) {
      if (e instanceof DefinitionsError) throw new ControlError(ExitCode.DataErr, e.message);
      throw e;
    }
  } },

  stop_app: { needsApp: false, run: (ctx) => ctx.node.stopApp() },
  start_app: { needsApp: false, run: async (ctx) => {
    try { await ctx.node.startApp(); } catch (e) {
      throw new ControlError(ExitCode.Software, `failed to start the warren application: ${(e as Error).message}`);
    }
  } },
  reset: { needsApp: false, run: (ctx) => ctx.node.reset() },
  await_startup: { needsApp: false, run: async (ctx) => {
    const t = ctx.req.opts.timeout;
    const ms = typeof t === 'number' ? t * 1000 : AWAIT_STARTUP_DEFAULT_MS;
    if (!await ctx.node.waitRunning(ms)) {
      throw new ControlError(ExitCode.Unavailable, `the warren application is not running on node ${ctx.node.name}`);
    }
  } },
  stop: { needsApp: false, run: (ctx) => {
    ctx.afterResponse(() => { void ctx.node.stop(); });
    return { pid: process.pid };
  } },
};

const source = (ctx: HandlerContext): RowSource => rowSource(ctx.node.requireApp(), ctx.node.pids);
const vhostOf = (ctx: HandlerContext) => ctx.req.vhost ?? '/';
const columnsOf = (ctx: HandlerContext) => ctx.req.columns ?? LIST_COLUMNS[ctx.req.command]!.defaults;

type Lister = (src: RowSource, vhost: string, columns: readonly string[]) => ListResult['rows'];

function lister(fn: Lister): Handler {
  return { needsApp: true, run: (ctx): ListResult => ({ rows: fn(source(ctx), vhostOf(ctx), columnsOf(ctx)) }) };
}

/** `<node.1.2.3>`: the pid form list_connections prints (rabbitmqctl also rejects `<1.2.3>`). */
const PID_SYNTAX = /^<[^<>.\s]+(?:\.[^<>.\s]+)*\.\d+\.\d+\.\d+>$/;

function queueOf(ctx: HandlerContext, notFoundCode: number) {
  const [name] = ctx.req.args as [string];
  const q = source(ctx).broker.vhosts.get(vhostOf(ctx))?.queues.get(name);
  if (!q) throw new ControlError(notFoundCode, 'Queue not found');
  return q;
}

const OBJECT_HANDLERS: Record<string, Handler> = {
  list_queues: lister(queueRows),
  list_exchanges: lister(exchangeRows),
  list_bindings: lister(bindingRows),
  list_consumers: lister(consumerRows),
  list_connections: lister((src, _vh, cols) => connectionRows(src, cols)),
  list_channels: lister((src, _vh, cols) => channelRows(src, cols)),

  purge_queue: { needsApp: true, run: (ctx) => {
    // rabbitmqctl prints the Erlang atom not_found here (exit 69); the code is kept, the words are delete_queue's.
    queueOf(ctx, ExitCode.Unavailable).purge();
  } },

  delete_queue: { needsApp: true, run: (ctx) => {
    // rabbitmqctl 3.10 reports these three with exit 64 (EX_USAGE), so Warren does too.
    const q = queueOf(ctx, ExitCode.Usage);
    const o = ctx.req.opts;
    if (o['if-empty'] === true && q.messageCount > 0) throw new ControlError(ExitCode.Usage, 'Queue is not empty');
    if (o['if-unused'] === true && q.hasConsumers()) throw new ControlError(ExitCode.Usage, 'Queue is in use');
    const ready = q.messageCount;
    source(ctx).broker.execute({ type: 'queue.delete', vhost: q.vhost, name: q.name });
    return { messages: ready };
  } },

  close_connection: { needsApp: true, run: (ctx) => {
    const [pid, explanation] = ctx.req.args as [string, string];
    // rabbitmqctl prints {:invalid_pid_syntax, "x"} (exit 69): same code, in words.
    if (!PID_SYNTAX.test(pid)) throw new ControlError(ExitCode.Unavailable, `invalid connection pid syntax: ${pid}`);
    // A pid that names no connection (any more) is not an error, as in RabbitMQ.
    connectionByPid(source(ctx), pid)?.close(ReplyCode.ConnectionForced, explanation);
  } },
};

export const HANDLERS: Record<string, Handler> = { ...NODE_HANDLERS, ...ACCESS_HANDLERS, ...LIMIT_HANDLERS, ...OBJECT_HANDLERS };
