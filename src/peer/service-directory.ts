import type { Address } from '../core/address.js'
import type { Clock, Hashing, Signing, TimerHandle } from '../core/env.js'
import type { Result } from '../core/result.js'
import { err } from '../core/result.js'
import { after, seconds } from '../core/time.js'
import type { DhtAgent } from '../drivers/kademlia/dht-agent.js'
import {
  serviceInfoHash,
  serviceSalt,
  serviceTarget,
  signRecord,
  verifyRecord,
  type RecordProblem,
  type ServiceFieldsByKind,
  type ServiceKind,
  type ServiceRecord,
  type SignedServiceRecord,
} from './service-record.js'

/**
 * Service records in the Mainline DHT (see service-record.ts): publishing one (announce_peer
 * under the kind's info-hash, when the service has a port to be found at, and the signed
 * BEP 44 item under our key), keeping it fresh, and the reader's side: who offers a kind, and
 * the verified record of a key.
 */
export interface ServiceDirectoryWorld {
  readonly clock: Clock
  readonly hashing: Hashing
  readonly signing: Signing
  /** Unix seconds: records carry absolute times, which every reader checks. */
  readonly unixNow: () => number
}

/** A publishing round that stored nothing is tried again this soon. */
const RETRY_SEC = 15

export interface PublishResult {
  /** DHT nodes that stored the item, and that took the announce (0 when not announced). */
  readonly stored: number
  readonly announced: number
  readonly signed: SignedServiceRecord
}

export interface RecordDraft<K extends ServiceKind> {
  readonly kind: K
  readonly address: Address
  readonly fields: ServiceFieldsByKind[K]
}

export class ServiceDirectory {
  constructor(
    private readonly world: ServiceDirectoryWorld,
    private readonly dht: () => DhtAgent | undefined,
    private readonly seed: Uint8Array,
  ) {}

  get key(): Uint8Array {
    return this.world.signing.publicKeyOf(this.seed)
  }

  /** Signs a record valid for `lifetimeSec` from now (without publishing it). */
  sign<K extends ServiceKind>(draft: RecordDraft<K>, lifetimeSec: number): SignedServiceRecord {
    const issued = this.world.unixNow()
    return signRecord(this.world.signing, this.seed, {
      ...draft,
      issued,
      expires: issued + lifetimeSec,
    } as Omit<ServiceRecord, 'key'>)
  }

  /**
   * Stores the signed item and, with `announcePort`, announces it under the kind's info-hash
   * (the DHT records our IP with that port). `done` runs once both are over.
   */
  publish<K extends ServiceKind>(
    draft: RecordDraft<K>,
    options: { readonly lifetimeSec: number; readonly announcePort?: number },
    done: (result: PublishResult | undefined) => void,
  ): void {
    const dht = this.dht()
    if (dht === undefined) return done(undefined)
    // a lookup before the node has joined reaches nobody (an empty table): wait for the join
    dht.whenJoined(() => this.publishOn(dht, draft, options, done))
  }

  private publishOn<K extends ServiceKind>(
    dht: DhtAgent,
    draft: RecordDraft<K>,
    options: { readonly lifetimeSec: number; readonly announcePort?: number },
    done: (result: PublishResult | undefined) => void,
  ): void {
    const signed = this.sign(draft, options.lifetimeSec)
    let stored = 0
    let announced = 0
    let left = options.announcePort === undefined ? 1 : 2
    const one = (): void => {
      if (--left === 0) done({ stored, announced, signed })
    }
    dht.putMutable(
      { seed: this.seed, salt: signed.salt, seq: signed.seq, value: signed.value },
      (put) => {
        stored = put.stored
        one()
      },
    )
    if (options.announcePort !== undefined) {
      dht.announce(
        serviceInfoHash(this.world.hashing, draft.kind),
        options.announcePort,
        {},
        (a) => {
          announced = a.stored
          one()
        },
      )
    }
  }

  /**
   * Publishes now and again every `refreshSec` (a fresh issue time each round, so the DHT takes
   * the newer item), building the draft anew each time: undefined skips a round.
   */
  keep<K extends ServiceKind>(
    build: () => RecordDraft<K> | undefined,
    options: {
      readonly lifetimeSec: number
      readonly refreshSec: number
      readonly announcePort?: number
    },
    published: (result: PublishResult | undefined) => void,
  ): { stop(): void; now(): void } {
    let timer: TimerHandle | undefined
    let stopped = false
    const round = (): void => {
      if (timer !== undefined) this.world.clock.clearTimer(timer)
      timer = undefined
      if (stopped) return
      const draft = build()
      const next = (stored: boolean): void => {
        if (stopped) return
        // a round that reached no node (the DHT still joining) is tried again soon
        const wait = stored ? options.refreshSec : Math.min(options.refreshSec, RETRY_SEC)
        const at = after(this.world.clock.now(), seconds(wait))
        if (timer !== undefined) this.world.clock.clearTimer(timer)
        timer = this.world.clock.setTimer(at, round)
      }
      if (draft === undefined) return next(true)
      this.publish(draft, options, (result) => {
        published(result)
        next(result !== undefined && result.stored > 0)
      })
    }
    round()
    return {
      stop: () => {
        stopped = true
        if (timer !== undefined) this.world.clock.clearTimer(timer)
      },
      now: round,
    }
  }

  /** The addresses that announced `kind` (get_peers on its info-hash). */
  offering(kind: ServiceKind, done: (addresses: readonly Address[]) => void): void {
    const dht = this.dht()
    if (dht === undefined) return done([])
    const found: Address[] = []
    dht.whenJoined(() =>
      dht.getPeers(
        serviceInfoHash(this.world.hashing, kind),
        (peers) => found.push(...peers),
        () => done(found),
      ),
    )
  }

  /** The record `key` published for `kind`, verified (signature, kind, signer, times). */
  fetch<K extends ServiceKind>(
    kind: K,
    key: Uint8Array,
    done: (record: Result<ServiceRecord<K>, RecordProblem | 'not_found'>) => void,
  ): void {
    const dht = this.dht()
    if (dht === undefined) return done(err('not_found'))
    const target = serviceTarget(this.world.hashing, key, kind)
    dht.whenJoined(() =>
      dht.get(target, { salt: serviceSalt(kind) }, (got) => {
        const item = got.item
        if (item === undefined) return done(err('not_found'))
        done(this.verify(kind, { ...item, salt: serviceSalt(kind) }, key))
      }),
    )
  }

  verify<K extends ServiceKind>(
    kind: K,
    signed: Parameters<typeof verifyRecord>[1],
    key?: Uint8Array,
  ): Result<ServiceRecord<K>, RecordProblem> {
    const nowSec = this.world.unixNow()
    return verifyRecord(this.world.signing, signed, {
      kind,
      nowSec,
      ...(key === undefined ? {} : { key }),
    })
  }
}
