// warrenctl's user, permission, vhost, policy and parameter commands: rabbitmqctl 3.10's usage lines, help
// texts and info lines ("Adding user "u" ..."), with "rabbitmqctl" read as "warrenctl".
import { change, listing, type CommandSpec } from './spec.js';

const q = (s: string) => `"${s}"`;

export const ACCESS_COMMANDS: Record<string, CommandSpec> = {
  add_user: {
    section: 'Users', args: [2, 2], usage: 'add_user <username> <password>',
    summary: 'Creates a new user in the internal database. This user will have no permissions for any virtual hosts by default.',
    description: 'Creates a new user in the internal database. This user will have no permissions for any virtual hosts by default..',
    argHelp: [['<username>', 'Self-explanatory'],
      ['<password>', 'Password this user will authenticate with. Use a blank string to disable password-based authentication.']],
    run: async (c) => {
      c.info(`Adding user ${q(c.args[0]!)} ...`);
      await c.call();
      const done = "Done. Don't forget to grant the user permissions to some virtual hosts! See 'warrenctl help set_permissions' to learn more.";
      if (c.formatter === 'json') c.out(`${JSON.stringify({ message: done, node: c.node, status: 'ok' })}\n`);
      else c.info(done);
    },
  },
  delete_user: {
    section: 'Users', args: [1, 1], usage: 'delete_user <username>',
    summary: 'Removes a user from the internal database. Has no effect on users provided by external backends such as LDAP',
    argHelp: [['<username>', 'Name of the user to delete.']],
    run: change((c) => `Deleting user ${q(c.args[0]!)} ...`),
  },
  change_password: {
    section: 'Users', args: [2, 2], usage: 'change_password <username> <password>', summary: 'Changes the user password',
    argHelp: [['<username>', 'Name of the user whose password should be changed'], ['<password>', 'New password to set']],
    run: change((c) => `Changing password for user ${q(c.args[0]!)} ...`),
  },
  set_user_tags: {
    section: 'Users', args: [1, Infinity], usage: 'set_user_tags <username> <tag> [...]', summary: 'Sets user tags',
    argHelp: [['<username>', 'Self-explanatory'], ['<tags>', 'Space separated list of tags']],
    run: change((c) => `Setting tags for user ${q(c.args[0]!)} to [${c.args.slice(1).join(', ')}] ...`),
  },
  list_users: {
    section: 'Users', args: [0, 0], usage: 'list_users [--no-table-headers] [--timeout <timeout>]', summary: 'List user names and tags',
    run: listing(() => 'Listing users ...', false),
  },

  set_permissions: {
    section: 'Access Control', args: [4, 4], usage: 'set_permissions [--vhost <vhost>] <username> <conf> <write> <read>',
    summary: 'Sets user permissions for a vhost',
    argHelp: [['<username>', 'Self-explanatory'], ['<conf>', 'Configuration permission pattern'],
      ['<write>', 'Write permission pattern'], ['<read>', 'Read permission pattern']],
    run: change((c) => `Setting permissions for user ${q(c.args[0]!)} in vhost ${q(c.vhost)} ...`),
  },
  clear_permissions: {
    section: 'Access Control', args: [1, 1], usage: 'clear_permissions [--vhost <vhost>] <username>',
    summary: 'Revokes user permissions for a vhost', argHelp: [['<username>', 'Name of the user whose permissions should be revoked']],
    run: change((c) => `Clearing permissions for user ${q(c.args[0]!)} in vhost ${q(c.vhost)} ...`),
  },
  list_permissions: {
    section: 'Access Control', args: [0, 0], usage: 'list_permissions [--vhost <vhost>] [--no-table-headers] [--timeout <timeout>]',
    summary: 'Lists user permissions in a virtual host',
    run: listing((c) => `Listing permissions for vhost ${q(c.vhost)} ...`, false),
  },
  list_user_permissions: {
    section: 'Access Control', args: [1, 1], usage: 'list_user_permissions [--no-table-headers] <username> [--timeout <timeout>]',
    summary: 'Lists permissions of a user across all virtual hosts', argHelp: [['<username>', 'Name of the user']],
    run: listing((c) => `Listing permissions for user ${q(c.args[0]!)} ...`, false),
  },
  list_vhosts: {
    section: 'Access Control', args: [0, Infinity], columns: true, usage: 'list_vhosts [--no-table-headers] [<column> ...] [--timeout <timeout>]',
    summary: 'Lists virtual hosts',
    argHelp: [['<column>', 'must be one of cluster_state, default_queue_type, description, name, tags, tracing']],
    run: listing(() => 'Listing vhosts ...', false),
  },

  add_vhost: {
    section: 'Virtual hosts', args: [1, 1],
    usage: 'add_vhost <vhost> [--description <description> --tags "<tag1>,<tag2>,<...>" --default-queue-type <quorum|classic|stream>]',
    summary: 'Creates a virtual host',
    options: { description: { type: 'string' }, tags: { type: 'string' }, 'default-queue-type': { type: 'string' } },
    argHelp: [['<vhost>', 'Virtual host name'], ['--description <description>', 'Virtual host description'],
      ['--tags <tags>', 'Command separated list of tags'],
      ['--default-queue-type <quorum|classic|stream>', 'Queue type to use if no type is explicitly provided by the client']],
    run: change((c) => `Adding vhost ${q(c.args[0]!)} ...`),
  },
  delete_vhost: {
    section: 'Virtual hosts', args: [1, 1], usage: 'delete_vhost <vhost>', summary: 'Deletes a virtual host',
    argHelp: [['<vhost>', 'Name of the virtual host to delete.']],
    run: change((c) => `Deleting vhost ${q(c.args[0]!)} ...`),
  },

  set_policy: {
    section: 'Policies', args: [3, 3], summary: 'Sets or updates a policy',
    usage: 'set_policy [--vhost <vhost>] [--priority <priority>] [--apply-to <apply-to>] <name> <pattern> <definition>',
    options: { priority: { type: 'integer' }, 'apply-to': { type: 'string' } },
    argHelp: [['<name>', 'policy name (identifier)'],
      ['<pattern>', 'regular expression pattern that will be used to match queues, exchanges, etc'],
      ['<definition>', 'policy definition (arguments). Must be a valid JSON document'],
      ['--priority <priority>', 'policy priority'],
      ['--apply-to <queues | exchanges | all>', 'policy should only apply to queues, exchanges, or all entities (both of the above)']],
    run: change((c) => {
      const [name, pattern, def] = c.args as [string, string, string];
      return `Setting policy ${q(name)} for pattern ${q(pattern)} to ${q(def)} with priority ${q(String(c.opts.priority ?? 0))} for vhost ${q(c.vhost)} ...`;
    }),
  },
  clear_policy: {
    section: 'Policies', args: [1, 1], usage: 'clear_policy [--vhost <vhost>] <name>', summary: 'Clears (removes) a policy',
    argHelp: [['<name>', 'Name of policy to clear (remove)']],
    run: change((c) => `Clearing policy ${q(c.args[0]!)} on vhost ${q(c.vhost)} ...`),
  },
  list_policies: {
    section: 'Policies', args: [0, 0], usage: 'list_policies [--vhost <vhost>] [--no-table-headers] [--timeout <timeout>]',
    summary: 'Lists all policies in a virtual host',
    run: listing((c) => `Listing policies for vhost ${q(c.vhost)} ...`, false),
  },

  set_parameter: {
    section: 'Parameters', args: [3, 3], usage: 'set_parameter [--vhost <vhost>] <component_name> <name> <value>',
    summary: 'Sets a runtime parameter.', description: 'Sets a runtime parameter..',
    argHelp: [['<component_name>', 'component name'], ['<name>', 'parameter name (identifier)'], ['<value>', 'parameter value']],
    run: change((c) => {
      const [component, name, value] = c.args as [string, string, string];
      return `Setting runtime parameter ${q(name)} for component ${q(component)} to ${q(value)} in vhost ${q(c.vhost)} ...`;
    }),
  },
  clear_parameter: {
    section: 'Parameters', args: [2, 2], usage: 'clear_parameter [--vhost <vhost>] <component_name> <name>',
    summary: 'Clears a runtime parameter.', description: 'Clears a runtime parameter..',
    argHelp: [['<component_name>', 'component name'], ['<name>', 'parameter name (identifier)']],
    run: change((c) => `Clearing runtime parameter ${q(c.args[1]!)} for component ${q(c.args[0]!)} on vhost ${q(c.vhost)} ...`),
  },
  list_parameters: {
    section: 'Parameters', args: [0, 0], usage: 'list_parameters [--vhost <vhost>] [--no-table-headers] [--timeout <timeout>]',
    summary: 'Lists runtime parameters for a virtual host',
    run: listing((c) => `Listing runtime parameters for vhost ${q(c.vhost)} ...`, false),
  },
};
