import { isIPv4 } from '../core/address.js'
import type { Callback, ResolveOptions, Resolver } from '../core/env.js'
import { assert, OperationalError } from '../core/errors.js'
import { err, ok } from '../core/result.js'

/**
 * The world's name table: what DNS would answer, as the scenario sets it
 * (`world.names.register('router.bittorrent.com', ['10.0.0.1'])`). The simulated network
 * is IPv4 only, so entries are IPv4 literals.
 */
export class SimNames {
  private readonly table = new Map<string, readonly string[]>()

  /** Sets (or replaces) the addresses of `name`; names are case-insensitive, as in DNS. */
  register(name: string, addresses: readonly string[]): void {
    assert(addresses.length > 0, `no addresses for ${name}`)
    for (const a of addresses) assert(isIPv4(a), `${name}: not an IPv4 address: ${a}`)
    this.table.set(name.toLowerCase(), [...addresses])
  }

  remove(name: string): void {
    this.table.delete(name.toLowerCase())
  }

  lookup(name: string): readonly string[] | undefined {
    return this.table.get(name.toLowerCase())
  }
}

/**
 * The Resolver port of one host life: answers from the world's table at the current instant
 * (from its own event, never inside the call), nothing once the life is over. A name not in
 * the table, or asked for IPv6 only, is 'not_found'.
 */
export class SimResolver implements Resolver {
  constructor(
    private readonly names: SimNames,
    private readonly defer: (fn: () => void) => void,
  ) {}

  resolve(name: string, done: Callback<readonly string[]>, options: ResolveOptions = {}): void {
    const found = isIPv4(name) ? [name] : this.names.lookup(name)
    const answer =
      found === undefined || options.family === 6
        ? err(new OperationalError('not_found', `resolve ${name}: no such name in the world`))
        : ok(found)
    this.defer(() => done(answer))
  }
}
