import type { Address } from '../core/address.js'
import type { Callback, DatagramSocket, Net, StreamListener } from '../core/env.js'

/**
 * Promise conveniences over the callback ports, for real-world callers (the CLI, real-socket
 * tests). Never use these inside a simulation: a promise continuation runs outside the
 * simulator's single timeline.
 */
export function promised<T>(start: (done: Callback<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    start((result) => (result.ok ? resolve(result.value) : reject(result.error)))
  })
}

export const bindDatagram = (net: Net, local: Address): Promise<DatagramSocket> =>
  promised((done) => net.bindDatagram(local, done))

export const listenStream = (
  net: Net,
  local: Address,
  onConnection: Parameters<Net['listen']>[1],
): Promise<StreamListener> => promised((done) => net.listen(local, onConnection, done))
