/** The slice of pino the core uses; the core stays free of the logging library itself. */
export interface Log {
  error(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
  trace(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Log;
  isLevelEnabled?(level: string): boolean;
}

const noop = (): void => {};
export const silentLog: Log = {
  error: noop,
  warn: noop,
  info: noop,
  debug: noop,
  trace: noop,
  child: () => silentLog,
};
