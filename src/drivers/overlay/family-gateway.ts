/**
 * A dual-stack overlay node's bridge between the families. Its core is an IPv4 member like any
 * other; the gateway makes every node of one family reachable from the other through an alias:
 * a UDP socket of this node, in the other family, that stands for that node. A datagram that
 * reaches an alias is decoded, every node address in it is replaced by its view in the other
 * family (an IPv6 node's address by the IPv4 alias standing for it, an alias by the node it
 * stands for), encoded again and sent to the node the alias stands for, from the alias that
 * stands for its sender. The IPv6 socket bound at the core's port stands for the core itself,
 * so IPv6-only members join through `[v6]:port` and see the node at its IPv6 address.
 *
 * So an IPv4-only member sees an overlay of IPv4 addresses and an IPv6-only member one of IPv6
 * addresses, with the same ids: one overlay, routed over each member's own family, the crossing
 * always through a dual-stack node (docs/protocols/overlay.md, "Dual stack").
 */
import { addressKey, type Address } from '../../core/address.js'
import type { Codec } from '../../core/core.js'
import type { DatagramSocket, Log, Net } from '../../core/env.js'
import { isIPv6Host } from '../dual-stack-socket.js'
import { bindDatagram } from '../promises.js'
import { addressesIn, mapAddresses } from './map-addresses.js'

/** Aliases a gateway opens at most: a hostile peer naming fake nodes cannot exhaust ports. */
export const MAX_ALIASES = 1024

export interface GatewayHosts {
  /** The hosts others reach this node's aliases at, per family (the bound or advertised ones). */
  readonly v4: string
  readonly v6: string
}

interface Alias {
  readonly socket: DatagramSocket
  /** This alias as the nodes of its family see it. */
  readonly address: Address
  /** The node, of the other family, it stands for. */
  readonly standsFor: Address
}

export class FamilyGateway {
  /** By the key of the node an alias stands for. */
  private readonly byNode = new Map<string, Promise<Alias>>()
  /** By the key of the alias's own address. */
  private readonly byAlias = new Map<string, Alias>()
  private closed = false

  /**
   * `main6` is the IPv6 socket at the core's port: it stands for the core (`core`, an IPv4
   * address). Datagrams it receives go to the core through an IPv4 alias of their sender.
   */
  constructor(
    private readonly net: Net,
    private readonly codec: Codec<unknown, unknown>,
    private readonly hosts: GatewayHosts,
    core: Address,
    main6: DatagramSocket,
    private readonly log: Log,
  ) {
    const main: Alias = {
      socket: main6,
      address: { host: hosts.v6, port: main6.local.port },
      standsFor: core,
    }
    this.adopt(main)
    this.byNode.set(addressKey(core), Promise.resolve(main))
  }

  /** How many aliases are open (the main IPv6 socket included). */
  get aliases(): number {
    return this.byAlias.size
  }

  /** An address for the core to send to: an IPv6 node's IPv4 alias (a bootstrap node, say). */
  async forCore(address: Address): Promise<Address> {
    return isIPv6Host(address.host) ? (await this.aliasFor(address)).address : address
  }

  close(): void {
    this.closed = true
    for (const alias of this.byAlias.values()) alias.socket.close()
    this.byAlias.clear()
    this.byNode.clear()
  }

  /**
   * A node's address as the nodes of the other family see it: an alias's own address is the
   * node it stands for; any other address is the alias that stands for it (opened if need be).
   */
  private async viewOf(address: Address): Promise<Address> {
    const alias = this.byAlias.get(addressKey(address))
    if (alias !== undefined) return alias.standsFor
    return (await this.aliasFor(address)).address
  }

  private aliasFor(node: Address): Promise<Alias> {
    const key = addressKey(node)
    const known = this.byNode.get(key)
    if (known !== undefined) return known
    if (this.byNode.size >= MAX_ALIASES) {
      return Promise.reject(new Error(`${MAX_ALIASES} aliases open, none for ${key}`))
    }
    const host = isIPv6Host(node.host) ? this.hosts.v4 : this.hosts.v6
    const opening = bindDatagram(this.net, { host, port: 0 }).then((socket) => {
      const alias = { socket, address: { host, port: socket.local.port }, standsFor: node }
      if (this.closed) socket.close()
      else this.adopt(alias)
      return alias
    })
    opening.catch(() => this.byNode.delete(key))
    this.byNode.set(key, opening)
    return opening
  }

  private adopt(alias: Alias): void {
    this.byAlias.set(addressKey(alias.address), alias)
    alias.socket.onReceive((from, bytes) => {
      this.relay(alias, from, bytes).catch((error: Error) => {
        this.log.log('info', 'overlay gateway dropped a datagram', {
          from: addressKey(from),
          to: addressKey(alias.standsFor),
          reason: error.message,
        })
      })
    })
  }

  /** A datagram from `from` to `alias`, translated and sent on to the node the alias stands for. */
  private async relay(alias: Alias, from: Address, bytes: Uint8Array): Promise<void> {
    const decoded = this.codec.decode(bytes)
    if (!decoded.ok) throw new Error('malformed datagram')
    // Only the sender's family is translated: an address of the other family (none of our
    // members sends one, but a datagram may) is left as it is.
    const family = isIPv6Host(from.host)
    const views = new Map<string, Address>()
    for (const address of [from, ...addressesIn(decoded.value)]) {
      const key = addressKey(address)
      if (isIPv6Host(address.host) !== family || views.has(key)) continue
      views.set(key, await this.viewOf(address))
    }
    if (this.closed) return
    const translated = mapAddresses(decoded.value, (a) => views.get(addressKey(a)) ?? a)
    const sender = this.byAlias.get(addressKey(views.get(addressKey(from)) as Address))
    if (sender === undefined) throw new Error('no alias for the sender')
    sender.socket.send(alias.standsFor, this.codec.encode(translated))
  }
}
