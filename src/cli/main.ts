#!/usr/bin/env node
import { main } from './program.js';

// The only file that touches the process: its arguments, streams, environment and exit code.
process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  // Registered only by a command that asks; a second signal then ends the process as usual.
  onStop: (stop) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, stop);
  },
});
