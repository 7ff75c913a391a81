import type { Address } from '../../core/address.js'
import type { Callback, DatagramSocket, Net } from '../../core/env.js'
import { err, ok } from '../../core/result.js'

/**
 * Binds a datagram socket on each address in order; on the first failure closes the ones
 * already bound and reports that failure.
 */
export function bindAll(
  net: Net,
  addresses: readonly Address[],
  done: Callback<DatagramSocket[]>,
): void {
  const bound: DatagramSocket[] = []
  const next = (): void => {
    const address = addresses[bound.length]
    if (address === undefined) return done(ok(bound))
    net.bindDatagram(address, (result) => {
      if (!result.ok) {
        for (const socket of bound) socket.close()
        return done(err(result.error))
      }
      bound.push(result.value)
      next()
    })
  }
  next()
}
