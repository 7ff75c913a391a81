/**
 * plexus's onion client: bootstraps from the configured authorities (key certificates, a
 * consensus signed by a majority, full descriptors matching it), picks paths, builds
 * 3-hop circuits with CREATE2/EXTEND2 under a learned build timeout, and opens streams.
 * A circuit that dies is dropped; the next stream builds a new one without the relay that
 * failed.
 */
import type { Log } from '../../core/env.js'
import type { Random } from '../../core/random.js'
import type { OnionCrypto } from '../../protocols/onion/crypto-port.js'
import {
  parseDirAuthorityLine,
  type DirectoryAuthority,
} from '../../protocols/onion/directory/authorities.js'
import { BuildTimeoutEstimator } from '../../protocols/onion/directory/build-timeout.js'
import { verifyConsensus, type Consensus } from '../../protocols/onion/directory/consensus.js'
import {
  verifyDescriptors,
  type RelayDescriptor,
} from '../../protocols/onion/directory/descriptor.js'
import { ipv4ToNumber, policyAllows } from '../../protocols/onion/directory/exit-policy.js'
import { verifyKeyCertificates } from '../../protocols/onion/directory/key-certificate.js'
import { selectPath, type Path } from '../../protocols/onion/directory/path-selection.js'
import type { LinkSpecifier } from '../../protocols/onion/relay-messages.js'
import { CryptoRandom } from '../node/random.js'
import { silentLog } from '../node/log.js'
import { OnionCircuit, type OnionStream } from './circuit.js'
import { fetchDirectoryDocument } from './directory-fetch.js'
import { OnionLink } from './link.js'
import { NodeOnionCrypto } from './node-crypto.js'

export interface OnionClientOptions {
  readonly authorities: readonly DirectoryAuthority[]
  /** Refuse two relays of one /16 on a path; off for loopback test networks. Default true. */
  readonly distinctSubnets?: boolean
  readonly log?: Log
  readonly crypto?: OnionCrypto
  readonly random?: Random
  /** Builds tried per stream before giving up. */
  readonly buildAttempts?: number
  /** Told of every circuit built (`plexus get --anonymous` prints each path). */
  readonly onBuild?: (record: BuildRecord) => void
}

export interface BuildRecord {
  readonly durationMs: number
  readonly path: readonly string[]
}

export const parseAuthorities = (text: string): DirectoryAuthority[] =>
  text.split('\n').flatMap((line) => {
    const parsed = parseDirAuthorityLine(line)
    return parsed === undefined ? [] : [parsed]
  })

const ipv4Bytes = (address: string): Uint8Array => {
  const value = ipv4ToNumber(address) ?? 0
  return Uint8Array.of(value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255)
}

/**
 * The descriptors the consensus lists, by digest (dir-spec §4.2: /tor/server/d/D1+D2...).
 * /tor/server/all would do on a quiet network, but relays republish while a fresh network
 * settles and the newest descriptor is then not the one the consensus vouches for.
 */
export const descriptorPath = (consensus: Consensus): string =>
  `/tor/server/d/${consensus.routers.map((router) => router.descriptorDigest).join('+')}`

async function fetchListedDescriptors(
  crypto: OnionCrypto,
  consensus: Consensus,
  authorities: readonly DirectoryAuthority[],
  log: Log,
): Promise<RelayDescriptor[]> {
  const found = new Map<string, RelayDescriptor>()
  for (const authority of authorities) {
    const missing = consensus.routers.filter((router) => !found.has(router.fingerprint))
    if (missing.length === 0) break
    try {
      const text = await fetchDirectoryDocument(
        authority.host,
        authority.dirPort,
        descriptorPath({ ...consensus, routers: missing }),
      )
      const verified = verifyDescriptors(crypto, text, consensus)
      for (const reason of verified.refused)
        log.log('debug', 'onion descriptor refused', { authority: authority.nickname, reason })
      for (const relay of verified.relays) found.set(relay.fingerprint, relay)
    } catch (error) {
      log.log('debug', 'onion descriptor fetch failed', {
        authority: authority.nickname,
        reason: (error as Error).message,
      })
    }
  }
  return [...found.values()]
}

export const linkSpecifiersOf = (relay: RelayDescriptor): LinkSpecifier[] => [
  { type: 'ipv4', address: ipv4Bytes(relay.address), port: relay.orPort },
  { type: 'legacy-id', rsaIdDigest: relay.rsaIdDigest },
  ...(relay.ed25519Identity === undefined
    ? []
    : [{ type: 'ed25519-id' as const, key: relay.ed25519Identity }]),
]

export class OnionClient {
  readonly timeouts = new BuildTimeoutEstimator()
  readonly builds: BuildRecord[] = []
  private readonly links = new Map<string, Promise<OnionLink>>()
  private readonly circuits: { circuit: OnionCircuit; exit: RelayDescriptor }[] = []
  private guard: string | undefined
  private readonly failedRelays = new Set<string>()

  private constructor(
    private readonly options: OnionClientOptions,
    private readonly crypto: OnionCrypto,
    private readonly random: Random,
    private readonly log: Log,
    readonly consensus: Consensus,
    readonly relays: readonly RelayDescriptor[],
  ) {}

  /**
   * Fetches and verifies the directory: key certificates and a consensus from the first
   * authority that serves a good one, then the descriptors it lists, by digest, from every
   * authority until all are found. A fresh test network republishes descriptors while it
   * settles, so a consensus whose descriptors cannot all be found is fetched again (a few
   * times) before the client makes do with the ones it has.
   */
  static async bootstrap(options: OnionClientOptions): Promise<OnionClient> {
    const crypto = options.crypto ?? new NodeOnionCrypto()
    const random = options.random ?? new CryptoRandom()
    const log = options.log ?? silentLog
    if (options.authorities.length === 0) throw new Error('no directory authorities configured')
    const trusted = new Set(options.authorities.map((authority) => authority.v3ident))
    const problems: string[] = []
    let best: { consensus: Consensus; relays: RelayDescriptor[] } | undefined
    for (let round = 0; round < 5; round++) {
      for (const authority of options.authorities) {
        try {
          const fetch = (path: string) =>
            fetchDirectoryDocument(authority.host, authority.dirPort, path)
          const now = Date.now()
          const keys = verifyKeyCertificates(crypto, await fetch('/tor/keys/all'), trusted, now)
          for (const reason of keys.refused)
            log.log('warn', 'onion key certificate refused', {
              authority: authority.nickname,
              reason,
            })
          const consensus = verifyConsensus(
            crypto,
            await fetch('/tor/status-vote/current/consensus'),
            options.authorities,
            keys.certificates,
            now,
          )
          if (!consensus.ok) {
            log.log('warn', 'onion consensus refused', {
              authority: authority.nickname,
              reason: consensus.error,
            })
            problems.push(`${authority.nickname}: ${consensus.error}`)
            continue
          }
          const relays = await fetchListedDescriptors(
            crypto,
            consensus.value,
            options.authorities,
            log,
          )
          if (best === undefined || relays.length > best.relays.length)
            best = { consensus: consensus.value, relays }
          if (relays.length === consensus.value.routers.length) break
        } catch (error) {
          problems.push(`${authority.nickname}: ${(error as Error).message}`)
        }
      }
      if (best !== undefined && best.relays.length === best.consensus.routers.length) break
      await new Promise((resolve) => setTimeout(resolve, 1000))
    }
    if (best === undefined)
      throw new Error(`no authority served a verifiable directory (${problems.join('; ')})`)
    log.log('info', 'onion directory verified', {
      relays: best.relays.length,
      listed: best.consensus.routers.length,
      signedBy: best.consensus.signedBy.length,
    })
    return new OnionClient(options, crypto, random, log, best.consensus, best.relays)
  }

  /** Picks a path for the destination and builds it, within the learned build timeout. */
  async buildCircuit(
    destination: { host: string; port: number },
    exclude: ReadonlySet<string> = this.failedRelays,
  ): Promise<OnionCircuit> {
    const path = selectPath(this.random, this.relays, {
      destination,
      distinctSubnets: this.options.distinctSubnets ?? true,
      exclude,
      ...(this.guard === undefined ? {} : { preferredGuard: this.guard }),
    })
    if (typeof path === 'string') throw new Error(path)
    return this.buildPath(path)
  }

  async buildPath(path: Path): Promise<OnionCircuit> {
    const started = performance.now()
    const timeoutMs = this.timeouts.timeoutMs()
    let timer: NodeJS.Timeout | undefined
    let circuit: OnionCircuit | undefined
    const build = async (): Promise<OnionCircuit> => {
      const link = await this.linkTo(path.guard)
      circuit = new OnionCircuit(this.crypto, this.random, link, this.log)
      circuit.relays.push(path.guard.fingerprint, path.middle.fingerprint, path.exit.fingerprint)
      await circuit.create({
        rsaIdDigest: path.guard.rsaIdDigest,
        onionKey: path.guard.ntorOnionKey,
      })
      for (const relay of [path.middle, path.exit])
        await circuit.extend(
          { rsaIdDigest: relay.rsaIdDigest, onionKey: relay.ntorOnionKey },
          linkSpecifiersOf(relay),
        )
      return circuit
    }
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`circuit build timed out after ${timeoutMs} ms`)),
        timeoutMs,
      )
    })
    try {
      const built = await Promise.race([build(), deadline])
      const durationMs = performance.now() - started
      this.timeouts.recordBuild(durationMs)
      const record = { durationMs, path: built.relays }
      this.builds.push(record)
      this.options.onBuild?.(record)
      this.guard = path.guard.fingerprint
      this.circuits.push({ circuit: built, exit: path.exit })
      built.onClose((reason) => this.forget(built, reason))
      return built
    } catch (error) {
      if ((error as Error).message.includes('timed out')) this.timeouts.recordTimeout()
      circuit?.destroy()
      // The hop that failed is not known for sure; the next path avoids middle and exit.
      this.failedRelays.add(path.middle.fingerprint).add(path.exit.fingerprint)
      throw error
    } finally {
      clearTimeout(timer)
    }
  }

  /**
   * A stream to host:port through an open circuit whose exit allows it, building one when
   * none does. A build that fails excludes its relays from the next attempt.
   */
  async connect(host: string, port: number): Promise<OnionStream> {
    const attempts = this.options.buildAttempts ?? 3
    let lastError: Error | undefined
    for (let attempt = 0; attempt < attempts; attempt++) {
      let circuit = this.circuits.find(
        (entry) => entry.circuit.isOpen && allows(entry.exit, host, port),
      )?.circuit
      try {
        circuit ??= await this.buildCircuit({ host, port })
        return await circuit.connect(host, port)
      } catch (error) {
        lastError = error as Error
        this.log.log('warn', 'onion stream attempt failed', { attempt, reason: lastError.message })
        if (circuit !== undefined && !circuit.isOpen)
          for (const relay of circuit.relays.slice(1)) this.failedRelays.add(relay)
      }
    }
    throw lastError ?? new Error('no attempt made')
  }

  close(): void {
    for (const entry of this.circuits.splice(0)) entry.circuit.destroy()
    for (const link of this.links.values())
      void link.then(
        (l) => l.close(),
        () => undefined,
      )
    this.links.clear()
  }

  /**
   * A circuit that closed under us (not by our DESTROY) makes its middle and exit suspects:
   * the next paths leave them out, so a dead relay is not picked again at once.
   */
  private forget(circuit: OnionCircuit, reason: string): void {
    const index = this.circuits.findIndex((entry) => entry.circuit === circuit)
    if (index >= 0) this.circuits.splice(index, 1)
    if (reason !== 'destroyed by us')
      for (const relay of circuit.relays.slice(1)) this.failedRelays.add(relay)
  }

  private linkTo(relay: RelayDescriptor): Promise<OnionLink> {
    const existing = this.links.get(relay.fingerprint)
    if (existing !== undefined) {
      return existing.then((link) => (link.isOpen ? link : this.newLink(relay)))
    }
    return this.newLink(relay)
  }

  private newLink(relay: RelayDescriptor): Promise<OnionLink> {
    const opening = OnionLink.open(
      this.crypto,
      {
        address: relay.address,
        orPort: relay.orPort,
        rsaIdDigest: relay.rsaIdDigest,
        ed25519Identity: relay.ed25519Identity,
      },
      this.log,
    )
    this.links.set(relay.fingerprint, opening)
    opening.then(
      (link) =>
        link.onClose(
          () =>
            this.links.get(relay.fingerprint) === opening && this.links.delete(relay.fingerprint),
        ),
      () => this.links.delete(relay.fingerprint),
    )
    return opening
  }
}

const allows = (exit: RelayDescriptor, host: string, port: number): boolean =>
  policyAllows(exit.exitPolicy, host, port)
