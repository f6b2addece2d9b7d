// warrenctl's commands on queues, exchanges, bindings, connections, channels and consumers: the list_*
// commands with rabbitmqctl's columns and info lines, purge_queue, delete_queue and close_connection.
import { LIST_COLUMNS } from '../../control/columns.js';
import { change, listing, type CommandSpec, type Ctx } from './spec.js';

/** list_queues' default timeout; rabbitmqctl prints it before listing. */
export const LIST_QUEUES_TIMEOUT_S = 60;

const columnHelp = (cmd: string): [string, string] =>
  ['<column>', `must be one of ${[...LIST_COLUMNS[cmd]!.all].sort().join(', ')}`];

const listQueues = listing((c) => `Listing queues for vhost ${c.vhost} ...`, true);

function deleteBanner(c: Ctx): string {
  const cond = [c.opts['if-empty'] === true ? 'if queue is empty' : '', c.opts['if-unused'] === true ? 'if queue is unused' : '']
    .filter(Boolean).join(' and ');
  return `Deleting queue '${c.args[0]}' on vhost '${c.vhost}' ${cond ? `${cond} ` : ''}...`;
}

export const OBJECT_COMMANDS: Record<string, CommandSpec> = {
  list_queues: {
    section: 'Monitoring, observability and health checks', args: [0, Infinity], columns: true,
    usage: 'list_queues [--vhost <vhost>] [--online] [--offline] [--local] [--no-table-headers] [<column>, ...] [--timeout <timeout>]',
    summary: 'Lists queues and their properties',
    options: { online: { type: 'boolean' }, offline: { type: 'boolean' }, local: { type: 'boolean' } },
    argHelp: [columnHelp('list_queues'), ['--online', 'lists only queues on online (reachable) nodes'],
      ['--offline', 'lists only queues on offline (unreachable) nodes'], ['--local', 'only return queues hosted on the target node']],
    run: async (c) => {
      c.info(`Timeout: ${(c.timeout ?? LIST_QUEUES_TIMEOUT_S).toFixed(1)} seconds ...`);
      // One node: every queue is online and local, none offline.
      if (c.opts.offline === true && c.opts.online !== true) {
        c.info(`Listing queues for vhost ${c.vhost} ...`);
        c.out(c.formatter === 'json' ? '[\n]\n' : '');
        return;
      }
      await listQueues(c);
    },
  },
  list_exchanges: {
    section: 'Monitoring, observability and health checks', args: [0, Infinity], columns: true,
    usage: 'list_exchanges [--vhost <vhost>] [--no-table-headers] [<column> ...] [--timeout <timeout>]', summary: 'Lists exchanges',
    argHelp: [columnHelp('list_exchanges')],
    run: listing((c) => `Listing exchanges for vhost ${c.vhost} ...`, true),
  },
  list_bindings: {
    section: 'Monitoring, observability and health checks', args: [0, Infinity], columns: true,
    usage: 'list_bindings [--vhost <vhost>] [--no-table-headers] [<column> ...] [--timeout <timeout>]',
    summary: 'Lists all bindings on a vhost', argHelp: [columnHelp('list_bindings')],
    // No space before the dots: rabbitmqctl 3.10 prints it so.
    run: listing((c) => `Listing bindings for vhost ${c.vhost}...`, true),
  },
  list_connections: {
    section: 'Monitoring, observability and health checks', args: [0, Infinity], columns: true,
    usage: 'list_connections [--no-table-headers] [<column> ...] [--timeout <timeout>]',
    summary: 'Lists AMQP 0.9.1 connections for the node', argHelp: [columnHelp('list_connections')],
    run: listing(() => 'Listing connections ...', true),
  },
  list_channels: {
    section: 'Monitoring, observability and health checks', args: [0, Infinity], columns: true,
    usage: 'list_channels [--no-table-headers] [<column> ...]', summary: 'Lists all channels in the node',
    argHelp: [columnHelp('list_channels')],
    run: listing(() => 'Listing channels ...', true),
  },
  list_consumers: {
    section: 'Monitoring, observability and health checks', args: [0, Infinity], columns: true,
    usage: 'list_consumers [--vhost <vhost>] [--no-table-headers] [<column> ...] [--timeout <timeout>]',
    summary: 'Lists all consumers for a vhost', argHelp: [columnHelp('list_consumers')],
    run: listing((c) => `Listing consumers in vhost ${c.vhost} ...`, true),
  },

  purge_queue: {
    section: 'Queues', args: [1, 1], usage: 'purge_queue <queue> [--timeout <timeout>]',
    summary: 'Purges a queue (removes all messages in it)', argHelp: [['<queue>', 'Name of the queue to purge']],
    run: change((c) => `Purging queue '${c.args[0]}' in vhost '${c.vhost}' ...`),
  },
  delete_queue: {
    section: 'Queues', args: [1, 1], summary: 'Deletes a queue',
    usage: 'delete_queue <queue_name> [--if-empty|-e] [--if-unused|-u] [--timeout <timeout>]',
    options: { 'if-empty': { type: 'boolean', short: 'e' }, 'if-unused': { type: 'boolean', short: 'u' } },
    argHelp: [['<queue_name>', 'name of the queue to delete'],
      ['--if-empty', 'delete the queue if it is empty (has no messages ready for delivery)'],
      ['--if-unused', 'delete the queue only if it has no consumers']],
    run: async (c) => {
      c.info(deleteBanner(c));
      const r = await c.call() as { messages: number };
      // Printed even with --quiet, as rabbitmqctl does: it is the command's result, not an info line.
      const message = `Queue was successfully deleted with ${r.messages} ready messages`;
      c.out(c.formatter === 'json' ? `${JSON.stringify({ message })}\n` : `${message}\n`);
    },
  },
  close_connection: {
    section: 'Operations', args: [2, 2], usage: 'close_connection <connection pid> <explanation>',
    summary: 'Instructs the broker to close the connection associated with the Erlang process id',
    description: 'Instructs the broker to close the connection associated with the process id that list_connections prints.',
    argHelp: [['<connection pid>', 'connection identifier (Erlang PID), see list_connections'], ['<explanation>', 'reason for connection closure']],
    run: change((c) => `Closing connection ${c.args[0]}, reason: ${c.args[1]}...`),
  },
};
