// warrenctl's command line as rabbitmqctl (Elixir's OptionParser) reads it: global options anywhere, the first
// free word is the command, command options after it, `--name=value` or `--name value`, and every option that
// is unknown or lacks a valid value reported together ("--priority : abc").

export type OptType = 'string' | 'boolean' | 'integer' | 'number';

export interface OptSpec { type: OptType; short?: string }

/** Options every command accepts (rabbitmqctl's general options, plus Warren's --port). */
export const GLOBAL_OPTIONS: Record<string, OptSpec> = {
  node: { type: 'string', short: 'n' },
  quiet: { type: 'boolean', short: 'q' },
  silent: { type: 'boolean', short: 's' },
  timeout: { type: 'number', short: 't' },
  longnames: { type: 'boolean', short: 'l' },
  vhost: { type: 'string', short: 'p' },
  formatter: { type: 'string' },
  'no-table-headers': { type: 'boolean' },
  help: { type: 'boolean', short: '?' },
  /** Warren: the node's control port, when neither its data directory nor WARREN_DIST_PORT tells it. */
  port: { type: 'integer' },
};

export interface Parsed {
  command: string | undefined;
  positional: string[];
  opts: Record<string, string | boolean | number>;
  /** [option as given, value as given] for each option that is unknown or has a bad value. */
  invalid: [string, string][];
}

function parseValue(type: OptType, raw: string): string | number | undefined {
  if (type === 'integer') return /^[+-]?\d+$/.test(raw) ? Number(raw) : undefined;
  if (type === 'number') return /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(raw) ? Number(raw) : undefined;
  return raw;
}

/**
 * Parses argv with the global options and `commandOptions` (those of the command, once known). Options may
 * come before the command; an option's value is the next word unless that word is another option.
 */
export function parseArgs(argv: string[], commandOptions: (command: string | undefined) => Record<string, OptSpec>): Parsed {
  const first = pass(argv, GLOBAL_OPTIONS);
  return pass(argv, { ...GLOBAL_OPTIONS, ...commandOptions(first.command) });
}

function pass(argv: string[], specs: Record<string, OptSpec>): Parsed {
  const byShort = new Map<string, string>();
  for (const [name, s] of Object.entries(specs)) if (s.short) byShort.set(s.short, name);
  const out: Parsed = { command: undefined, positional: [], opts: {}, invalid: [] };
  const free = (w: string) => { if (out.command === undefined) out.command = w; else out.positional.push(w); };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') { for (const w of argv.slice(i + 1)) free(w); break; }
    if (a === '-' || !a.startsWith('-')) { free(a); continue; }
    let name: string | undefined, inline: string | undefined;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      if (eq >= 0) inline = a.slice(eq + 1);
      if (!Object.hasOwn(specs, name)) name = undefined;
    } else {
      name = byShort.get(a.slice(1));
    }
    if (name === undefined) {
      // As OptionParser reports unknown switches: the switch alone, never a value.
      out.invalid.push([a.includes('=') ? a.slice(0, a.indexOf('=')) : a, '']);
      continue;
    }
    const spec = specs[name]!;
    if (spec.type === 'boolean') {
      if (inline === undefined || inline === 'true') out.opts[name] = true;
      else if (inline === 'false') out.opts[name] = false;
      else out.invalid.push([`--${name}`, inline]);
      continue;
    }
    let raw = inline;
    if (raw === undefined) {
      const next = argv[i + 1];
      const numeric = spec.type !== 'string' && /^-\d/.test(next ?? '');
      if (next !== undefined && (next === '-' || !next.startsWith('-') || numeric)) { raw = next; i++; }
    }
    const shown = a.startsWith('--') ? `--${name}` : a;
    if (raw === undefined) { out.invalid.push([shown, '']); continue; }
    const v = parseValue(spec.type, raw);
    if (v === undefined) out.invalid.push([shown, raw]); else out.opts[name] = v;
  }
  return out;
}
