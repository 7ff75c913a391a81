/**
 * Two sockets as one: an IPv4 and an IPv6 UDP socket under one `DatagramSocket`, so that one
 * core is attached as any datagram core is (Kademlia's BEP 32 node: one id, a routing table per
 * family). A datagram leaves by the socket of its destination's family; both deliver to the
 * core. The structured overlays' dual-stack node binds its pair here too and uses each socket
 * on its own (overlay/family-gateway.ts).
 *
 * Two sockets rather than one dual-stack socket: Node's udp6 socket bound with IPv4 mapping
 * reports IPv4 peers as `::ffff:a.b.c.d`, which the node would file as IPv6 (see udp.ts).
 */
import type { Address } from '../core/address.js'
import type { Callback, DatagramSocket, Net } from '../core/env.js'
import { OperationalError } from '../core/errors.js'
import { err, ok } from '../core/result.js'

/** An IPv6 literal has colons; an IPv4 literal (or name) has none. */
export const isIPv6Host = (host: string): boolean => host.includes(':')

export class DualStackSocket implements DatagramSocket {
  constructor(
    readonly v4: DatagramSocket,
    readonly v6: DatagramSocket,
  ) {}

  /** The IPv4 socket's address (what `port` messages on IPv4 connections advertise). */
  get local(): Address {
    return this.v4.local
  }

  get local6(): Address {
    return this.v6.local
  }

  send(to: Address, bytes: Uint8Array): void {
    ;(isIPv6Host(to.host) ? this.v6 : this.v4).send(to, bytes)
  }

  onReceive(handler: (from: Address, bytes: Uint8Array) => void): void {
    this.v4.onReceive(handler)
    this.v6.onReceive(handler)
  }

  close(): void {
    this.v4.close()
    this.v6.close()
  }
}

/**
 * Binds `bind4` (an IPv4 literal) and then `bind6` (an IPv6 literal). A `bind6` port of 0
 * means the IPv4 socket's port, as libtorrent and Transmission use one port for both; when
 * that port is taken on IPv6 and no port was asked for, any free one is used.
 */
export function bindDualStack(
  net: Net,
  bind4: Address,
  bind6: Address,
  done: Callback<DualStackSocket>,
): void {
  if (isIPv6Host(bind4.host) || !isIPv6Host(bind6.host)) {
    const message = `a dual-stack node binds an IPv4 and an IPv6 address, not ${bind4.host} and ${bind6.host}`
    return done(err(new OperationalError('invalid', message)))
  }
  net.bindDatagram(bind4, (v4) => {
    if (!v4.ok) return done(v4)
    const samePort = { host: bind6.host, port: bind6.port === 0 ? v4.value.local.port : bind6.port }
    net.bindDatagram(samePort, (v6) => {
      if (v6.ok) return done(ok(new DualStackSocket(v4.value, v6.value)))
      if (bind6.port !== 0 || bind4.port !== 0) {
        v4.value.close()
        return done(v6)
      }
      net.bindDatagram({ host: bind6.host, port: 0 }, (any) => {
        if (any.ok) return done(ok(new DualStackSocket(v4.value, any.value)))
        v4.value.close()
        done(any)
      })
    })
  })
}
