/**
 * BEP 32's two sockets as one: an IPv4 and an IPv6 UDP socket under one `DatagramSocket`, so
 * that one `DhtNode` (one id, a routing table per family) is attached as any datagram core
 * is. A datagram leaves by the socket of its destination's family; both deliver to the node.
 *
 * Two sockets rather than one dual-stack socket: Node's udp6 socket bound with IPv4 mapping
 * reports IPv4 peers as `::ffff:a.b.c.d`, which the node would file as IPv6 (see udp.ts).
 */
import type { Address } from '../../core/address.js'
import type { Callback, DatagramSocket, Net } from '../../core/env.js'
import { OperationalError } from '../../core/errors.js'
import { err, ok } from '../../core/result.js'
import { familyOf } from '../../protocols/kademlia/family-tables.js'

export class DualStackSocket implements DatagramSocket {
  constructor(
    private readonly v4: DatagramSocket,
    private readonly v6: DatagramSocket,
  ) {}

  /** The IPv4 socket's address (what `port` messages on IPv4 connections advertise). */
  get local(): Address {
    return this.v4.local
  }

  get local6(): Address {
    return this.v6.local
  }

  send(to: Address, bytes: Uint8Array): void {
    ;(familyOf(to.host) === 'ipv6' ? this.v6 : this.v4).send(to, bytes)
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
  if (familyOf(bind4.host) !== 'ipv4' || familyOf(bind6.host) !== 'ipv6') {
    const message = `a dual-stack DHT binds an IPv4 and an IPv6 address, not ${bind4.host} and ${bind6.host}`
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
