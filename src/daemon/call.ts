import type { Callback } from '../core/env.js'

/** A PeerApi call as a promise: the daemon's HTTP handlers are async, the peer's ports are not. */
export function call<T>(operation: (done: Callback<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    operation((result) => (result.ok ? resolve(result.value) : reject(result.error)))
  })
}
