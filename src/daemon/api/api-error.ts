import type { OperationalError } from '../../core/errors.js'

/**
 * A refusal the API answers with `{ "type": "error", "code", "message" }` and an HTTP status
 * (docs/daemon.md lists the codes).
 */
export class ApiError extends Error {
  override readonly name = 'ApiError'
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

/** The status a failure of the peer maps to: the caller's fault (4xx) or the node's (5xx). */
const PEER_STATUS: Readonly<Record<string, number>> = {
  not_found: 404,
  /** Added twice, or re-added while the previous copy is still being removed. */
  exists: 409,
  /** Bad metainfo, magnet, priorities or limits. */
  invalid: 400,
  invalid_path: 422,
  /** A listen port another program holds. */
  address_in_use: 409,
  /** The node is stopping. */
  closed: 503,
  no_space: 507,
  permission: 500,
  io: 500,
}

export function fromPeerError(error: OperationalError | Error): ApiError {
  const code = (error as OperationalError).code ?? 'failed'
  return new ApiError(PEER_STATUS[code] ?? 500, code, error.message)
}
