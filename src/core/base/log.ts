/** The one logger interface of core, the CLI and the extension (its log channel implements it). */
import { redact } from './redact';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug?(message: string): void;
}

/** Wraps a logger so every line is redacted (SAS signatures, account keys) before it leaves core. */
export function redactingLogger(raw?: Logger): Logger {
  const debug = (m: string) => raw?.debug?.(redact(m));
  return {
    info: (m) => raw?.info(redact(m)),
    warn: (m) => raw?.warn(redact(m)),
    error: (m) => raw?.error(redact(m)),
    // Read at each use: while the raw logger has no debug (the engine worker's, switched at run time), a caller's
    // `log.debug?.(…)` builds no line and redacts nothing (a line per small blob was ~10 µs of the worker's CPU).
    get debug() {
      return raw?.debug ? debug : undefined;
    },
  };
}
