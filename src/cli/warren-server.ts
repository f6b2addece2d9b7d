#!/usr/bin/env node
// warren-server: starts one Warren node from src/config/settings.ts (defaults < warren.conf < warren-env.conf < env):
// the control listener for warrenctl ("control listening on" line), then the app ("accepting AMQP connections",
// "accepting AMQP TLS connections", "management API listening [on https://]" and "prometheus listening" lines).
// Stops cleanly on SIGTERM/SIGINT or `warrenctl stop`; config errors (bad TLS files too) and an unsafe cookie
// exit 78 (EX_CONFIG), ports that cannot be bound exit 1.
//
// This file only limits malloc to one arena (src/server/native-memory.ts) before anything else is loaded: Node parses
// and links a module's whole import graph before running any of it, and V8's threads take their own malloc
// arenas while it does (four, which kept 18 MB of free memory for good after a fuzz run; docs/memory.md).
import '../server/native-memory.js';

await import('./server-main.js');
