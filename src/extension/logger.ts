/** The engine's Logger on a LogOutputChannel: every message goes through the core's `redact`. */
import * as vscode from 'vscode';
import { redact, type Logger } from '../core';

export function createLogger(channel: vscode.LogOutputChannel): Logger {
  return {
    info: (m) => channel.info(redact(m)),
    warn: (m) => channel.warn(redact(m)),
    error: (m) => channel.error(redact(m)),
    debug: (m) => channel.debug(redact(m)),
  };
}

/** A user-facing message for any failure (CopyError info, SDK error, plain Error), redacted. */
export function errorMessage(err: unknown): string {
  if (err && typeof err === 'object' && 'info' in err) {
    const info = (err as { info: { message: string; hint?: string; code?: string } }).info;
    return redact([info.message, info.code ? `(${info.code})` : '', info.hint ?? ''].filter(Boolean).join(' '));
  }
  if (err instanceof Error) return redact(err.message.split('\n')[0]);
  return redact(String(err));
}
