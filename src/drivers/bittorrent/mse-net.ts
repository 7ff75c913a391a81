/**
 * The Net a torrent's swarm dials through, with its encryption policy applied to outgoing
 * connections, as libtorrent does it: `prefer` offers MSE first (RC4 or plaintext, the peer
 * chooses) and, when the peer does not speak it, dials again in plaintext; `require` offers
 * only RC4 and gives up on such peers; `disable` dials plaintext BitTorrent only.
 * Listening and datagrams pass through untouched.
 */
import type { Address } from '../../core/address.js'
import type { Callback, ConnectOptions, Net, StreamSocket } from '../../core/env.js'
import { OperationalError } from '../../core/errors.js'
import { err, ok } from '../../core/result.js'
import type { EncryptionPolicy } from '../../protocols/mse/index.js'
import { initiateMse, type MseDriverOptions } from './mse-handshake.js'

export interface EncryptingNetOptions extends MseDriverOptions {
  readonly policy: EncryptionPolicy
  readonly infoHash: Uint8Array
  /** Counts outcomes (`mse.out.rc4`, `mse.out.fallback`, ...), for `inspect` and tests. */
  readonly count?: (name: string) => void
}

export function encryptingNet(net: Net, options: EncryptingNetOptions): Net {
  const { policy } = options
  if (policy === 'disable') return net
  const count = options.count ?? ((): void => undefined)
  return {
    bindDatagram: (local, ready) => net.bindDatagram(local, ready),
    listen: (local, onConnection, ready) => net.listen(local, onConnection, ready),
    connect(remote: Address, ready: Callback<StreamSocket>, connectOptions?: ConnectOptions) {
      net.connect(
        remote,
        (connected) => {
          if (!connected.ok) return ready(connected)
          initiateMse(connected.value, options.infoHash, policy, options, (result) => {
            if (result.ok) {
              count(result.value.encrypted ? 'mse.out.rc4' : 'mse.out.plaintext')
              return ready(ok(result.value))
            }
            count(`mse.out.failed.${result.error}`)
            if (policy === 'require') {
              return ready(err(new OperationalError('refused', `MSE handshake: ${result.error}`)))
            }
            count('mse.out.fallback')
            net.connect(remote, ready, connectOptions)
          })
        },
        connectOptions,
      )
    },
  }
}
