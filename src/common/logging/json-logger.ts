import { LoggerService } from '@nestjs/common';
import { currentLogContext } from './log-context';
import { redact, redactString } from './redact';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'verbose'] as const;
export type LogLevelName = (typeof LEVELS)[number];

/**
 * One JSON object per line on stdout: time, level, context (the class that logged),
 * msg, the request/run context, and any structured fields. Everything passes
 * through redact() so a token that slips into a message is still not printed.
 */
export class JsonLogger implements LoggerService {
  private threshold: number;

  constructor(
    level: LogLevelName = 'info',
    private readonly write: (line: string) => void = (line) => process.stdout.write(line + '\n'),
  ) {
    this.threshold = LEVELS.indexOf(level);
  }

  setLevel(level: LogLevelName): void {
    this.threshold = LEVELS.indexOf(level);
  }

  log(message: unknown, ...rest: unknown[]): void {
    this.emit('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.emit('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.emit('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.emit('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.emit('verbose', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.emit('fatal', message, rest);
  }

  private emit(level: LogLevelName, message: unknown, rest: unknown[]): void {
    if (LEVELS.indexOf(level) > this.threshold) return;
    // Nest passes the logger context (class name) as the last string argument,
    // and for errors a stack trace before it.
    const args = [...rest];
    const context = typeof args[args.length - 1] === 'string' ? (args.pop() as string) : undefined;
    const entry: Record<string, unknown> = { time: new Date().toISOString(), level };
    if (context) entry.context = context;
    Object.assign(entry, currentLogContext());
    if (message instanceof Error) {
      entry.msg = redactString(message.message);
      entry.err = redact(message);
    } else if (message !== null && typeof message === 'object') {
      Object.assign(entry, redact(message) as object);
    } else {
      entry.msg = redactString(String(message));
    }
    for (const extra of args) {
      if (typeof extra === 'string') entry.stack = redactString(extra);
      else if (extra instanceof Error) entry.err = redact(extra);
      else if (extra && typeof extra === 'object') Object.assign(entry, redact(extra) as object);
    }
    this.write(JSON.stringify(entry));
  }
}
