// Erlang term formatting for RabbitMQ's frame-error texts: ~w and ~p (io_lib_pretty, 80 columns) of the terms
// those texts carry (payload snippets and {atom, integer...} tuples), so Warren's closes read byte for byte alike.

/** Latin-1 bytes io_lib counts as printable, and the escapes ~p writes for some of them. */
const ESCAPES: Record<number, string> = {
  8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 27: '\\e', 34: '\\"', 92: '\\\\',
};
const printable = (c: number) => (c >= 32 && c <= 126) || c >= 160 || (c >= 8 && c <= 13) || c === 27;

/** ~w of a binary: always the byte list. */
export function erlW(b: Buffer): string {
  return `<<${b.join(',')}>>`;
}

/** Column after the last line of s. */
const colAfter = (s: string) => s.length - s.lastIndexOf('\n') - 1;

/**
 * Items filled onto lines ending by column 78, continuation lines indented to `indent`. An item needs room for
 * `after` more columns (`closing` for the last one): io_lib_pretty reserves 2 after tuple elements, 0 in binaries.
 */
function fill(items: string[], col: number, indent: number, after: number, closing: number): string {
  let out = '';
  items.forEach((it, i) => {
    const need = it.length + (i === items.length - 1 ? closing : after);
    if (i > 0 && col + need > 78) { out += '\n' + ' '.repeat(indent); col = indent; }
    out += it;
    col += it.length;
    if (i < items.length - 1) { out += ','; col++; }
  });
  return out;
}

/** ~p of a binary printed at column col: a string when printable, else bytes, wrapped as io_lib_pretty does. */
export function erlPBinary(b: Buffer, col: number): string {
  if (b.length === 0) return '<<>>';
  // Bytes >= 160 come out as latin-1 characters; RabbitMQ sends them as raw bytes, Warren as UTF-8.
  if (b.every(printable)) return `<<"${Array.from(b, (c) => ESCAPES[c] ?? String.fromCharCode(c)).join('')}">>`;
  const flat = erlW(b);
  if (col + flat.length <= 81) return flat;
  return `<<${fill(Array.from(b, String), col + 2, col + 2, 0, 2)}>>`;
}

/** ~p of {atom, integer...} printed at column col. */
export function erlPTuple(atom: string, ints: number[], col: number): string {
  const flat = `{${[atom, ...ints].join(',')}}`;
  if (col + flat.length <= 78) return flat;
  return `{${fill([atom, ...ints.map(String)], col + 1, col + 1, 2, 1)}}`;
}

/**
 * RabbitMQ's "type T, all octets = <<...>>" (or "first 16 octets") description of a frame, followed by
 * ": reason" when given (an atom, or a tuple as [atom, ...ints]).
 */
export function frameText(type: number, payload: Buffer, reason?: string | [string, ...number[]]): string {
  const snippet = payload.length <= 16 ? payload : payload.subarray(0, 16);
  let s = `type ${type}, ${payload.length <= 16 ? 'all' : 'first 16'} octets = `;
  s += erlPBinary(snippet, colAfter(s));
  if (reason === undefined) return s;
  s += ': ';
  if (typeof reason === 'string') return s + reason;
  const [atom, ...ints] = reason;
  return s + erlPTuple(atom, ints, colAfter(s));
}
