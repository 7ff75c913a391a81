/**
 * Three kinds of failure, three treatments:
 * - remote faults (bad bytes, unexpected messages) are values: `RemoteFault`, never thrown;
 * - operational outcomes (timeouts, refused connections) are events or coded errors;
 * - programmer errors (broken preconditions) throw `LocalProtocolError` via `assert`.
 */
export class LocalProtocolError extends Error {
  override readonly name = 'LocalProtocolError'
}

export type RemoteFault =
  | { readonly code: 'malformed'; readonly detail: string }
  | { readonly code: 'unexpected_message'; readonly detail: string }
  | { readonly code: 'limit_exceeded'; readonly detail: string }
  | { readonly code: 'timeout' }

export type OperationalErrorCode =
  | 'timeout'
  | 'refused'
  | 'reset'
  | 'unreachable'
  | 'closed'
  | 'address_in_use'
  | 'not_found'
  /**
   * A path refused: it escapes the root, is malformed, or goes through a symbolic link inside
   * a disk root (the Node disk never follows one there).
   */
  | 'invalid_path'
  | 'no_space'
  /** The file system refused access (EACCES, EPERM, a read-only file system). */
  | 'permission'
  | 'io'
  /** A URL the HTTP client cannot use: unparseable, or a scheme other than http(s). */
  | 'invalid_url'
  /** An answer larger than the caller's cap: refused, read no further. */
  | 'too_large'
  /** An answer that does not parse (a broken HTTP response). */
  | 'malformed'
  /** It is already there (a torrent added twice, a plug-in name taken). */
  | 'exists'
  /** A request that cannot be carried out as asked (bad metainfo, priorities, limits). */
  | 'invalid'

/** A coded error for driver-level promises and callbacks (dht-rpc's error factories). */
export class OperationalError extends Error {
  override readonly name = 'OperationalError'
  constructor(
    readonly code: OperationalErrorCode,
    message: string,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options)
  }
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new LocalProtocolError(message)
}
