// Every warrenctl command by rabbitmqctl's name, with the two that need no node (help, version), and the help
// texts laid out as rabbitmqctl 3.10's: the general usage with the commands by section, one command's page
// (usage, description, arguments and options, general options), and the usage block after argument errors.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode } from '../../control/protocol.js';
import { ACCESS_COMMANDS } from './commands-access.js';
import { LIMIT_COMMANDS } from './commands-limits.js';
import { NODE_COMMANDS } from './commands-node.js';
import { OBJECT_COMMANDS } from './commands-objects.js';
import { bold } from './format.js';
import { SECTIONS, type CommandSpec } from './spec.js';
import { UsageError } from './transport.js';

/** The package version (dist/src/cli/ctl/ is four levels below the project root). */
export function version(): string {
  const file = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

const LOCAL_COMMANDS: Record<string, CommandSpec> = {
  help: {
    section: 'Help', args: [0, 1], local: true, usage: 'help (<command> | [--list-commands])',
    summary: 'Displays usage information for a command', options: { 'list-commands': { type: 'boolean' } },
    argHelp: [['--list-commands', 'only output a list of discovered commands']],
    run: async (c) => {
      const name = c.args[0];
      if (name === undefined) {
        c.out(c.opts['list-commands'] === true ? `\n${commandList(COMMANDS)}` : generalUsage(COMMANDS));
        return;
      }
      const spec = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
      if (!spec) throw new UsageError(`\nCommand '${name}' not found.`, ExitCode.Usage, 'plain-error');
      c.out(commandHelp(name, spec));
    },
  },
  version: {
    section: 'Help', args: [0, 0], local: true, usage: 'version', summary: 'Displays CLI tools version',
    run: async (c) => {
      const v = version();
      c.out(c.formatter === 'json' ? `${JSON.stringify({ node: c.node, result: 'ok', value: { version: v } })}\n` : `${v}\n`);
    },
  },
};

export const COMMANDS: Record<string, CommandSpec> = { ...LOCAL_COMMANDS, ...NODE_COMMANDS, ...ACCESS_COMMANDS, ...LIMIT_COMMANDS, ...OBJECT_COMMANDS };

const PREFIX = 'warrenctl [--node <node>] [--longnames] [--quiet]';

export function usageLine(name: string, spec: CommandSpec): string {
  return `${PREFIX} ${spec.usage ?? name}`;
}

export function commandList(commands: Record<string, CommandSpec>): string {
  const out: string[] = [];
  for (const section of SECTIONS) {
    const names = Object.keys(commands).filter((n) => commands[n]!.section === section).sort();
    if (names.length === 0) continue;
    out.push(`${bold(section)}:`, '');
    for (const n of names) out.push(`   ${n.padEnd(30)}${commands[n]!.summary}`);
    out.push('');
  }
  return out.join('\n');
}

export function generalUsage(commands: Record<string, CommandSpec>): string {
  return [
    '', bold('Usage'), '',
    'warrenctl [--node <node>] [--timeout <timeout>] [--longnames] [--quiet] <command> [<command options>]', '',
    'Available commands:', '',
    commandList(commands),
    "Use 'warrenctl help <command>' to learn more about a specific command", '',
  ].join('\n');
}

const GENERAL_OPTIONS = `${bold('General Options')}

The following options are accepted by most or all commands.

short            | long          | description
-----------------|---------------|--------------------------------
-?               | --help        | displays command help
-n <node>        | --node <node> | connect to node <node>
-l               | --longnames   | use long host names
-t               | --timeout <n> | for commands that support it, operation timeout in seconds
-q               | --quiet       | suppress informational messages
-s               | --silent      | suppress informational messages
                                 | and table header row
-p               | --vhost       | for commands that are scoped to a virtual host,
                 |               | virtual host to use
                 | --formatter   | alternative result formatter to use
                                 | if supported: json, table, csv
                                   not all commands support all (or any) alternative formatters.
                 | --port <port> | the node's control port (warrenctl finds it from the
                                 | node's data directory or WARREN_DIST_PORT otherwise)

`;

export function commandHelp(name: string, spec: CommandSpec): string {
  const out = ['', bold('Usage'), '', usageLine(name, spec), '', spec.description ?? `${spec.summary}.`, '', ''];
  if (spec.argHelp?.length) {
    out.push(bold('Arguments and Options'), '');
    for (const [arg, text] of spec.argHelp) out.push(arg, `\t${text}`, '');
    out.push('');
  }
  return `${out.join('\n')}\n${GENERAL_OPTIONS}`;
}

/** What follows "Error (argument validation): ..." and the app-state refusals. */
export function usageBlock(argv: string[], name: string, spec: CommandSpec): string {
  return `Arguments given:\n\t${argv.join(' ')}\n\n${bold('Usage')}\n\n${usageLine(name, spec)}\n`;
}
