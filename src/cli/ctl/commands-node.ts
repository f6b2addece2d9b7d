// warrenctl's node commands: status, environment, cluster_status, set_cluster_name, the app lifecycle (stop,
// stop_app, start_app, reset, await_startup) and definitions export/import, which read and write files on the
// client's side as rabbitmqctl 3.10 does.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ExitCode } from '../../control/protocol.js';
import { sortedJson } from './format.js';
import { clusterStatusText, statusText, type Unit } from './render.js';
import { change, type CommandSpec, type Ctx } from './spec.js';
import { UsageError, waitUntilDown } from './transport.js';

const NODES = 'Nodes';

function readInput(c: Ctx): string {
  const file = c.args[0];
  if (file === undefined || file === '-') return readFileSync(0, 'utf8');
  return readFileSync(file, 'utf8');
}

export const NODE_COMMANDS: Record<string, CommandSpec> = {
  status: {
    section: 'Monitoring, observability and health checks', args: [0, 0], usage: 'status [--unit <unit>] [--timeout <timeout>]',
    summary: 'Displays status of a node', options: { unit: { type: 'string' } },
    argHelp: [['--unit <bytes | mb | gb>', 'byte multiple (bytes, megabytes, gigabytes) to use'],
      ['--formatter <json>', 'alternative formatter (JSON)']],
    run: async (c) => {
      const unit = String(c.opts.unit ?? 'gb').toLowerCase();
      if (!['bytes', 'mb', 'gb'].includes(unit)) throw new UsageError(`unit '${unit}' is not supported; use bytes, mb or gb`);
      c.info(`Status of node ${c.node} ...`);
      const s = await c.call() as Record<string, unknown>;
      c.out(c.formatter === 'json' ? `${sortedJson(s)}\n` : statusText(s, unit as Unit));
    },
  },
  environment: {
    section: 'Configuration and Environment', args: [0, 0], usage: 'environment',
    summary: 'Displays the name and value of each variable in the application environment for each running application',
    run: async (c) => {
      c.info(`Application environment of node ${c.node} ...`);
      const env = await c.call() as { json: unknown; text: string };
      c.out(c.formatter === 'json' ? `${sortedJson(env.json)}\n` : `${env.text}\n`);
    },
  },
  cluster_status: {
    section: 'Cluster', args: [0, 0], usage: 'cluster_status [--timeout <timeout>]',
    summary: 'Displays all the nodes in the cluster grouped by node type, together with the currently running nodes',
    run: async (c) => {
      c.info(`Cluster status of node ${c.node} ...`);
      const s = await c.call() as Record<string, unknown>;
      c.out(c.formatter === 'json' ? `${sortedJson(s)}\n` : clusterStatusText(s));
    },
  },
  set_cluster_name: {
    section: 'Configuration and Environment', args: [1, 1], usage: 'set_cluster_name <name>', summary: 'Sets the cluster name',
    argHelp: [['<name>', 'New cluster name']],
    run: change((c) => `Setting cluster name to ${c.args[0]} ...`),
  },

  stop: {
    section: NODES, args: [0, 1], usage: 'stop [--idempotent] [<pidfile>]', options: { idempotent: { type: 'boolean' } },
    summary: 'Stops Warren and its runtime (Node.js process). Waits until the node has stopped.',
    argHelp: [['<pidfile>', 'accepted for compatibility; warrenctl waits for the control port to close instead'],
      ['--idempotent', 'return success if target node is not running (cannot be contacted)']],
    run: async (c) => {
      c.info(`Stopping and halting node ${c.node} ...`);
      await c.call();
      await waitUntilDown(c);
    },
  },
  stop_app: {
    section: NODES, args: [0, 0], usage: 'stop_app',
    summary: 'Stops the Warren application, leaving the runtime (Node.js process) running',
    run: change((c) => `Stopping warren application on node ${c.node} ...`),
  },
  start_app: {
    section: NODES, args: [0, 0], usage: 'start_app',
    summary: 'Starts the Warren application but leaves the runtime (Node.js process) running',
    run: change((c) => `Starting node ${c.node} ...`),
  },
  reset: {
    section: NODES, args: [0, 0], usage: 'reset',
    summary: 'Instructs a Warren node to leave the cluster and return to its virgin state',
    run: change((c) => `Resetting node ${c.node} ...`),
  },
  await_startup: {
    section: NODES, args: [0, 0], usage: 'await_startup', summary: 'Waits for the Warren application to start on the target node',
    run: async (c) => {
      // The node waits (up to --timeout, default 300 s, as rabbitmqctl's) and answers once the app runs.
      await c.call(c.timeout !== undefined ? { opts: { ...c.opts, timeout: c.timeout } } : {});
    },
  },

  export_definitions: {
    section: 'Definitions', args: [1, 1], usage: 'export_definitions <file_path | "-"> [--format <json | erlang>] [--timeout <timeout>]',
    summary: 'Exports definitions in JSON or compressed Erlang Term Format.', description: 'Exports definitions in JSON.',
    options: { format: { type: 'string' } },
    argHelp: [['<file>', 'Local file path to export to. Pass a dash (-) for stdout.'], ['--format', 'output format to use: json']],
    run: async (c) => {
      if ((c.opts.format ?? 'json') !== 'json') throw new UsageError(`format '${String(c.opts.format)}' is not supported; use json`);
      const file = c.args[0]!;
      if (file !== '-' && !existsSync(dirname(file))) {
        throw new UsageError(`Bad argument: Directory ${dirname(file)} does not exist`, ExitCode.DataErr);
      }
      if (file !== '-') c.info(`Exporting definitions in JSON to a file at "${file}" ...`);
      // As rabbitmqctl: keys sorted, no newline at the end.
      const text = sortedJson(await c.call());
      if (file === '-') c.out(text); else writeFileSync(file, text);
    },
  },
  import_definitions: {
    section: 'Definitions', args: [0, 1], usage: 'import_definitions <file_path | "-"> [--format <json | erlang>] [--skip-if-unchanged] [--timeout <timeout>]',
    summary: 'Imports definitions in JSON or compressed Erlang Term Format.', description: 'Imports definitions in JSON.',
    options: { format: { type: 'string' }, 'skip-if-unchanged': { type: 'boolean' } },
    argHelp: [['[file]', 'Local file path to import from. If omitted (or "-") will be read from standard input'], ['--format', 'input format to use: json']],
    run: async (c) => {
      if ((c.opts.format ?? 'json') !== 'json') throw new UsageError(`format '${String(c.opts.format)}' is not supported; use json`);
      const file = c.args[0];
      // rabbitmqctl 3.10 says "File - does not exist" for "-" although its usage offers it; Warren reads stdin.
      const fromStdin = file === undefined || file === '-';
      if (!fromStdin && !(existsSync(file) && statSync(file).isFile())) {
        throw new UsageError(`Bad argument: File ${file} does not exist`, ExitCode.DataErr);
      }
      c.info(fromStdin ? 'Importing definitions in JSON from standard input ...' : `Importing definitions in JSON from a file at "${file}" ...`);
      let defs: unknown;
      try { defs = JSON.parse(readInput(c)); } catch (e) {
        throw new UsageError(`Failed to deserialise input (format: JSON) (error: ${(e as Error).message.replace(/\s+/g, ' ')})`, ExitCode.DataErr, 'plain-error');
      }
      await c.call({ opts: { ...c.opts, definitions: defs as never } });
      // rabbitmqctl says the import "is asynchronous"; Warren's has finished (or failed) when the call returns.
      c.info('Successfully imported definitions.');
    },
  },
};
