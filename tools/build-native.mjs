// Builds the optional native module (src/native/memory.c → dist/src/native/memory.node) with the
// system's C compiler, without node-gyp or Node's headers. Run by `npm run build`, `npm start` and `npm test`.
// Without a compiler Warren still works: it only cannot hand freed C-heap memory back to the kernel when idle
// (src/server/reclaim.ts logs this once). `CC` picks the compiler; WARREN_NO_NATIVE=1 skips the build.
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src/native/memory.c');
const out = join(root, 'dist/src/native/memory.node');

if (process.env.WARREN_NO_NATIVE === '1') process.exit(0);
if (process.platform !== 'linux') process.exit(0);
if (existsSync(out) && statSync(out).mtimeMs >= statSync(src).mtimeMs) process.exit(0);
mkdirSync(dirname(out), { recursive: true });
const cc = process.env.CC ?? 'cc';
try {
  execFileSync(cc, ['-O2', '-Wall', '-shared', '-fPIC', '-fvisibility=hidden', '-o', out, src], { stdio: ['ignore', 'inherit', 'inherit'] });
} catch (e) {
  const why = e.code === 'ENOENT' ? `no C compiler (${cc})` : `${cc} failed`;
  process.stderr.write(`build-native: ${why}; Warren will run without returning idle C-heap memory to the kernel\n`);
}
