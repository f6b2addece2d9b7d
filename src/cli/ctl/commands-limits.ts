// warrenctl's vhost and user limit commands: rabbitmqctl 3.10.8's usage lines, help texts, info lines and
// output (a single vhost's or user's limits print as one JSON line; --global lists them as rows).
import { formatRows } from './format.js';
import { change, type CommandSpec, type Ctx } from './spec.js';
import type { ListResult } from '../../control/protocol.js';

const q = (s: string) => `"${s}"`;

/** A --global listing (rows), or one vhost's or user's limits (a JSON text, '' for none). */
async function limitsListing(c: Ctx, banner: string, globalBanner: string, key: 'vhost' | 'user',
  single: (c: Ctx, text: string) => string): Promise<void> {
  const global = c.opts.global === true;
  c.info(global ? globalBanner : banner);
  const result = await c.call();
  if (global) c.out(formatRows((result as ListResult).rows, [key, 'limits'], c.formatter, { streamed: false, headers: c.headers }));
  else c.out(single(c, result as string));
}

export const LIMIT_COMMANDS: Record<string, CommandSpec> = {
  set_vhost_limits: {
    section: 'Virtual hosts', args: [1, 1], usage: 'set_vhost_limits [--vhost <vhost>] <definition>',
    summary: 'Sets virtual host limits', argHelp: [['<definition>', 'Limit definitions, must be a valid JSON document']],
    run: change((c) => `Setting vhost limits to ${q(c.args[0]!)} for vhost ${q(c.vhost)} ...`),
  },
  clear_vhost_limits: {
    section: 'Virtual hosts', args: [0, 0], usage: 'clear_vhost_limits [--vhost <vhost>]', summary: 'Clears virtual host limits',
    run: change((c) => `Clearing vhost ${q(c.vhost)} limits ...`),
  },
  list_vhost_limits: {
    section: 'Virtual hosts', args: [0, 0], usage: 'list_vhost_limits [--vhost <vhost>] [--global] [--no-table-headers]',
    summary: 'Displays configured virtual host limits', options: { global: { type: 'boolean' } },
    argHelp: [['--global', 'list global limits (those not associated with a virtual host)']],
    run: (c) => limitsListing(c, `Listing limits for vhost ${q(c.vhost)} ...`, 'Listing limits for all vhosts ...', 'vhost',
      (ctx, text) => (ctx.formatter === 'json'
        ? `${text ? JSON.stringify({ node: ctx.node, result: 'ok', value: text }) : '[]'}\n` : `${text}\n`)),
  },

  set_user_limits: {
    section: 'Users', args: [2, 2], usage: 'set_user_limits <username> <definition>', summary: 'Sets user limits',
    argHelp: [['<username>', 'Self-explanatory'], ['<definition>', 'Limit definitions as a JSON document']],
    run: change((c) => `Setting user limits to ${q(c.args[1]!)} for user ${q(c.args[0]!)} ...`),
  },
  clear_user_limits: {
    section: 'Users', args: [2, 2], usage: 'clear_user_limits <username> <limit_type> | all',
    summary: 'Clears user connection/channel limits',
    argHelp: [['<username>', 'Self-explanatory'], ['<limit_type>', 'Limit type, must be max-connections or max-channels']],
    run: change((c) => (c.args[1] === 'all' ? `Clearing all limits for user ${q(c.args[0]!)} ...`
      : `Clearing ${q(c.args[1]!)} limit for user ${q(c.args[0]!)} ...`)),
  },
  list_user_limits: {
    section: 'Users', args: [0, 0], usage: 'list_user_limits [--user <username>] [--global]',
    summary: 'Displays configured user limits', options: { user: { type: 'string' }, global: { type: 'boolean' } },
    argHelp: [['--global', 'list limits for all the users']],
    run: (c) => limitsListing(c, `Listing limits for user ${q(typeof c.opts.user === 'string' ? c.opts.user : 'guest')} ...`,
      'Listing limits for all users ...', 'user',
      (ctx, text) => (ctx.formatter === 'json' ? `${JSON.stringify({ message: text })}\n` : `${text}\n`)),
  },
};
