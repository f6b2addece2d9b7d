/*
 * What Warren needs for giving memory back that neither Node nor V8 offers JavaScript (docs/memory.md):
 * glibc's malloc_trim(0) and M_ARENA_MAX, and V8's low-memory GC.
 *
 * malloc_trim(0) returns the free pages glibc's malloc keeps in its arenas to the kernel. Why: a burst of connections (or a drained backlog) leaves the C heap full of free chunks: socket read
 * buffers, ArrayBuffer backing stores. glibc gives memory back on free() only from the top of an arena, so
 * one live chunk above them keeps them resident for good. After a fuzz run the main arena held 74 MB, 95 % of
 * it free, and malloc_trim(0) released 67 MB of it. Nothing in Node or V8 calls it.
 *
 * setArenaMax limits malloc to one arena, so that malloc_trim reaches all free memory; lowMemory runs V8's
 * low-memory GC.
 *
 * Built without node-gyp or Node's headers (tools/build-native.mjs runs the C compiler directly): the few
 * Node-API declarations it needs are below, and Node-API's ABI is stable across Node versions.
 * On a C library without malloc_trim (musl) it builds a module whose trim() returns false.
 */
#include <stddef.h>
#include <stdbool.h>
#include <stdlib.h> /* defines __GLIBC__ on glibc */
#if defined(__GLIBC__)
#include <malloc.h>
#endif

typedef struct napi_env__ *napi_env;
typedef struct napi_value__ *napi_value;
typedef struct napi_callback_info__ *napi_callback_info;
typedef int napi_status;
typedef napi_value (*napi_callback)(napi_env env, napi_callback_info info);
#define NAPI_AUTO_LENGTH ((size_t)-1)

extern napi_status napi_create_function(napi_env env, const char *name, size_t length, napi_callback cb,
                                        void *data, napi_value *result);
extern napi_status napi_get_boolean(napi_env env, bool value, napi_value *result);
extern napi_status napi_set_named_property(napi_env env, napi_value object, const char *name, napi_value value);
extern napi_status napi_get_cb_info(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv,
                                    napi_value *this_arg, void **data);
extern napi_status napi_get_value_int64(napi_env env, napi_value value, long long *result);

/*
 * V8's v8::Isolate::GetCurrent() and v8::Isolate::LowMemoryNotification(), by their C++ symbol names so that no
 * V8 header is needed (the Itanium ABI passes `this` as the first argument). Both are public V8 API, exported
 * by every Node binary; weak, so that the module still loads (and lowMemory() returns false) where they are not.
 */
extern void *_ZN2v87Isolate10GetCurrentEv(void) __attribute__((weak));
extern void _ZN2v87Isolate21LowMemoryNotificationEv(void *isolate) __attribute__((weak));

/*
 * lowMemory(): the GC V8 runs when told memory is low: full collections until nothing more is freed, with the
 * young generation shrunk back and free pages released. A plain full GC (global.gc()) leaves the young
 * generation at the size a burst grew it to: 32 MB after a connection flood, resident until V8's memory
 * reducer gets round to it. True when it ran.
 */
static napi_value low_memory(napi_env env, napi_callback_info info) {
  (void)info;
  bool ran = false;
  if (_ZN2v87Isolate10GetCurrentEv && _ZN2v87Isolate21LowMemoryNotificationEv) {
    void *isolate = _ZN2v87Isolate10GetCurrentEv();
    if (isolate) { _ZN2v87Isolate21LowMemoryNotificationEv(isolate); ran = true; }
  }
  napi_value result;
  napi_get_boolean(env, ran, &result);
  return result;
}

/* trim(): true when memory was given back to the kernel. */
static napi_value trim(napi_env env, napi_callback_info info) {
  (void)info;
  bool released = false;
#if defined(__GLIBC__)
  released = malloc_trim(0) != 0;
#endif
  napi_value result;
  napi_get_boolean(env, released, &result);
  return result;
}

/*
 * setArenaMax(n): mallopt(M_ARENA_MAX, n). glibc gives every thread that allocates its own arena (V8's GC and
 * compiler threads each get one), and malloc_trim() cannot shrink a thread arena's top: after a fuzz run four
 * of them held 21 MB, 99 % of it free, for good. With one arena everything freed is in the main arena, which
 * malloc_trim() does give back. Threads keep their lock-free per-thread caches. Call it before the threads
 * first allocate; arenas that exist stay. True when set.
 */
static napi_value set_arena_max(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  long long n = 0;
  bool ok = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == 0 && argc == 1 &&
      napi_get_value_int64(env, argv[0], &n) == 0 && n > 0 && n <= 1024) {
#if defined(__GLIBC__)
    ok = mallopt(M_ARENA_MAX, (int)n) == 1;
#endif
  }
  napi_value result;
  napi_get_boolean(env, ok, &result);
  return result;
}

__attribute__((visibility("default"))) napi_value napi_register_module_v1(napi_env env, napi_value exports) {
  napi_value fn;
  if (napi_create_function(env, "trim", NAPI_AUTO_LENGTH, trim, NULL, &fn) != 0) return NULL;
  napi_set_named_property(env, exports, "trim", fn);
  if (napi_create_function(env, "lowMemory", NAPI_AUTO_LENGTH, low_memory, NULL, &fn) != 0) return NULL;
  napi_set_named_property(env, exports, "lowMemory", fn);
  if (napi_create_function(env, "setArenaMax", NAPI_AUTO_LENGTH, set_arena_max, NULL, &fn) != 0) return NULL;
  napi_set_named_property(env, exports, "setArenaMax", fn);
  return exports;
}
