/**
 * The Blob Copy log: a `LogOutputChannel` behind the core's `Logger` interface (the engine and the extension write
 * to the same object). Every line goes through the core's `redact`; in test mode the lines are also kept (tests grep
 * them for secrets). No runtime `vscode` import: plain-Node tests load errorMessage.
 */
import type * as vscode from 'vscode';
import type { Logger } from '../core';
import { redact } from '../core/base/redact';

type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Lines a recording log keeps (the newest): a copy of millions logs a debug line per blob. */
const RECORDED_LINES = 20_000;

/** Wraps the channel: redacts every line and, when `record` is on (test mode), keeps `[level] line` in `lines`. */
export class ChannelLog implements Required<Logger> {
  /** The lines written, newest last, at most RECORDED_LINES of them (empty unless recording). */
  readonly lines: string[] = [];

  constructor(
    private readonly channel: Pick<vscode.LogOutputChannel, LogLevel>,
    private readonly record = false,
  ) {}

  private write(level: LogLevel, message: string): void {
    const line = redact(message);
    if (this.record) {
      this.lines.push(`[${level}] ${line}`);
      // Drop the oldest in chunks (one splice per thousand lines, not one per line).
      if (this.lines.length > RECORDED_LINES + 1_000) this.lines.splice(0, this.lines.length - RECORDED_LINES);
    }
    this.channel[level](line);
  }

  debug(message: string): void {
    this.write('debug', message);
  }
  info(message: string): void {
    this.write('info', message);
  }
  warn(message: string): void {
    this.write('warn', message);
  }
  error(message: string): void {
    this.write('error', message);
  }
}

/** A user-facing message for any failure (CopyError info, SDK error, plain Error), redacted. */
export function errorMessage(err: unknown): string {
  if (err && typeof err === 'object' && 'info' in err) {
    const info = (err as { info: { message: string; hint?: string; code?: string; status?: number } }).info;
    // "Read source c/b: " (a HEAD answer has no body, so no message): the status and code say what happened.
    const message = info.message.replace(/[:\s]+$/, '');
    const tags = [info.status, info.code].filter((x) => x !== undefined && !message.includes(String(x)));
    let text = tags.length ? `${message} (${tags.join(' ')})` : message;
    if (info.hint) text = `${/[.!?]$/.test(text) ? text : `${text}.`} ${info.hint}`;
    return redact(text);
  }
  if (err instanceof Error) return redact(err.message.split('\n')[0]);
  return redact(String(err));
}
