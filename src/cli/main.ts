/** `blob-copy` entry point (bundled to dist/cli.js). See src/cli/args.ts for the usage text. */
import { redact } from '../core';
import { runCli } from './run';
import { version } from '../../package.json';

runCli(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  version,
  onInterrupt: (handler) => {
    let count = 0;
    const onSignal = () => {
      count++;
      if (count > 1) process.exit(130); // second Ctrl+C: stop now
      handler();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    return () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    };
  },
}).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(redact(`blob-copy: unexpected failure: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`));
    process.exitCode = 1;
  },
);
