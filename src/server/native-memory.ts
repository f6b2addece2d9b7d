// Memory controls glibc and V8 do not give JavaScript, from the optional native module (src/native/memory.c,
// built by tools/build-native.mjs), or undefined where it was not built.
// warren-server imports this module first, so that malloc is limited to one arena before V8's threads
// allocate: see docs/memory.md.
// WARREN_MALLOC_ARENA_MAX=N sets another limit; 0 keeps glibc's default (8 per core).
import { createRequire } from 'node:module';

export interface NativeMemory {
  /** malloc_trim(0): true when memory went back to the kernel. */
  trim(): boolean;
  /** mallopt(M_ARENA_MAX, n). */
  setArenaMax(n: number): boolean;
  /** V8's LowMemoryNotification: full GCs that also shrink the young generation. False where unavailable. */
  lowMemory(): boolean;
}

function load(): NativeMemory | undefined {
  try {
    const mod = createRequire(import.meta.url)('../native/memory.node') as Partial<NativeMemory>;
    return typeof mod.trim === 'function' && typeof mod.setArenaMax === 'function' && typeof mod.lowMemory === 'function' ? mod as NativeMemory : undefined;
  } catch {
    return undefined;
  }
}

export const nativeMemory = load();

const arenaMax = Number(process.env.WARREN_MALLOC_ARENA_MAX ?? 1);
if (nativeMemory && Number.isInteger(arenaMax) && arenaMax > 0) nativeMemory.setArenaMax(arenaMax);
