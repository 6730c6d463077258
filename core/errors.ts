/**
 * A problem with one input (a file, a line, a row) that the user can fix. It never stops the
 * rest of a scan: the scanner turns it into a result row with this code and message.
 */
export class InputError extends Error {
  override name = 'InputError';
  constructor(
    /** Stable machine-readable reason: `empty-file`, `binary-file`, `invalid-utf8`, `malformed-json`, ... */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const formatBytes = (n: number): string =>
  n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KB` : `${n} bytes`;
