// Unit test: src/amqp/spec.generated.ts is exactly what tools/gen-amqp.mjs makes of tools/amqp0-9-1.rabbit.xml,
// so nobody hand-edits the generated codec or changes the generator without regenerating.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, seen from dist/test/unit/. */
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

test('gen-amqp.mjs --stdout reproduces the committed spec.generated.ts', () => {
  const generated = execFileSync(process.execPath, [join(root, 'tools', 'gen-amqp.mjs'), '--stdout'],
    { cwd: root, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  const committed = readFileSync(join(root, 'src', 'amqp', 'spec.generated.ts'), 'utf8');
  if (generated === committed) return;
  const a = generated.split('\n'), b = committed.split('\n');
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  assert.fail(`src/amqp/spec.generated.ts is stale: run \`npm run codegen\`. First difference at line ${i + 1}:\n` +
    `  generated: ${JSON.stringify(a[i])}\n  committed: ${JSON.stringify(b[i])}`);
});
