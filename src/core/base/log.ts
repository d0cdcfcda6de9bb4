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
  return {
    info: (m) => raw?.info(redact(m)),
    warn: (m) => raw?.warn(redact(m)),
    error: (m) => raw?.error(redact(m)),
    debug: raw?.debug ? (m) => raw.debug?.(redact(m)) : undefined,
  };
}
