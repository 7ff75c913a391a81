/**
 * The MSE/PE handshake (message stream encryption, "Protocol Encryption"), sans-IO, in both
 * roles. A is the initiator, B the responder; `S` is the Diffie-Hellman secret, `SKEY` the
 * torrent's info-hash:
 *
 *   A->B  Ya, PadA
 *   B->A  Yb, PadB
 *   A->B  HASH('req1', S), HASH('req2', SKEY) xor HASH('req3', S),
 *         ENCRYPT(VC, crypto_provide, len(PadC), PadC, len(IA)), ENCRYPT(IA)
 *   B->A  ENCRYPT(VC, crypto_select, len(PadD), PadD), then the stream in the chosen method
 *
 * ENCRYPT is RC4 keyed HASH('keyA', S, SKEY) from A and HASH('keyB', S, SKEY) from B, with
 * 1024 bytes of keystream discarded; the pads hide message lengths, so each side finds its
 * place by scanning: B for HASH('req1', S) within PadA, A for ENCRYPT(VC) within PadB.
 *
 * States (either role): handshaking, then `done` (read `result`) or `failed` (read `error`;
 * close the connection). Feed bytes with `receive`, send what `takeOutbox` returns. Every
 * length an unauthenticated peer controls is bounded: pads by 512, IA by `IA_BYTES_MAX`, so
 * neither side buffers more than about 2 KiB before the handshake completes.
 */
import {
  concatBytes,
  equalBytes,
  readUint16BE,
  readUint32BE,
  writeUint16BE,
  writeUint32BE,
} from '../../core/bytes.js'
import type { Random } from '../../core/random.js'
import type { KeyAgreement } from '../../core/env.js'
import {
  DH_KEY_BYTES,
  DH_PRIVATE_BYTES,
  dhKeyPair,
  dhSecret,
  dhSecretWith,
  type DhKeyPair,
} from './dh.js'
import {
  CRYPTO_PLAINTEXT,
  CRYPTO_RC4,
  HASH_BYTES,
  hashOf,
  IA_BYTES_MAX,
  indexOfBytes,
  PAD_BYTES_MAX,
  streamCipher,
  VC_BYTES,
  xorBytes,
  type CryptoMethod,
  type Sha1,
} from './messages.js'
import type { Rc4 } from './rc4.js'

export type MseErrorCode =
  'bad_key' | 'sync_not_found' | 'unknown_torrent' | 'bad_vc' | 'bad_method' | 'bad_length'

export interface MseError {
  readonly code: MseErrorCode
  readonly detail: string
}

export interface MseResult {
  readonly method: CryptoMethod
  /** The torrent's info-hash (the responder learns it from the handshake). */
  readonly skey: Uint8Array
  /**
   * Stream bytes that arrived with the handshake, already decrypted: the responder's IA and
   * anything after it, the initiator's bytes after PadD. Deliver them first.
   */
  readonly payload: Uint8Array
  /** Ciphers for the stream after the handshake; both undefined for plaintext. */
  readonly encrypt: Rc4 | undefined
  readonly decrypt: Rc4 | undefined
}

export type MseState = 'handshaking' | 'done' | 'failed'

export interface MseCommonOptions {
  readonly sha1: Sha1
  readonly random: Random
  /** Pads are random lengths up to this (default 512; tests use 0 for fixed layouts). */
  readonly padBytesMax?: number
  /** Computes the shared secret (OpenSSL on Node); default BigInt arithmetic, same result. */
  readonly keyAgreement?: KeyAgreement
}

abstract class MseHandshake {
  protected buffer: Uint8Array = new Uint8Array(0)
  protected readonly outbox: Uint8Array[] = []
  protected readonly keys: DhKeyPair
  private outcome: { result: MseResult } | { error: MseError } | undefined = undefined

  constructor(protected readonly common: MseCommonOptions) {
    this.keys = dhKeyPair(common.random.bytes(DH_PRIVATE_BYTES))
  }

  get state(): MseState {
    if (this.outcome === undefined) return 'handshaking'
    return 'result' in this.outcome ? 'done' : 'failed'
  }

  get result(): MseResult | undefined {
    return this.outcome !== undefined && 'result' in this.outcome ? this.outcome.result : undefined
  }

  get error(): MseError | undefined {
    return this.outcome !== undefined && 'error' in this.outcome ? this.outcome.error : undefined
  }

  /** Bytes to send, in order; empty when there is nothing new. */
  takeOutbox(): Uint8Array[] {
    return this.outbox.splice(0)
  }

  /** Bytes from the peer. After `done` or `failed`, further calls are ignored. */
  receive(bytes: Uint8Array): void {
    if (this.outcome !== undefined) return
    this.buffer =
      this.buffer.length === 0 ? Uint8Array.from(bytes) : concatBytes([this.buffer, bytes])
    this.advance()
  }

  protected abstract advance(): void

  protected fail(code: MseErrorCode, detail: string): void {
    this.outcome = { error: { code, detail } }
    this.buffer = new Uint8Array(0)
  }

  protected finish(result: MseResult): void {
    this.outcome = { result }
    this.buffer = new Uint8Array(0)
  }

  /** Removes and returns the first `length` buffered bytes. */
  protected consume(length: number): Uint8Array {
    const head = this.buffer.subarray(0, length)
    this.buffer = this.buffer.subarray(length)
    return head
  }

  protected pad(): Uint8Array {
    const max = this.common.padBytesMax ?? PAD_BYTES_MAX
    return this.common.random.bytes(max === 0 ? 0 : this.common.random.int(max + 1))
  }

  protected secret(otherPublic: Uint8Array): Uint8Array | undefined {
    const port = this.common.keyAgreement
    const s =
      port === undefined
        ? dhSecret(this.keys.privateKey, otherPublic)
        : dhSecretWith(port, this.keys, otherPublic)
    if (s === undefined) this.fail('bad_key', 'degenerate Diffie-Hellman public key')
    return s
  }
}

export interface MseInitiatorOptions extends MseCommonOptions {
  /** The torrent's info-hash. */
  readonly skey: Uint8Array
  /** `crypto_provide`: CRYPTO_RC4, CRYPTO_PLAINTEXT or both. */
  readonly provide: number
}

/** Side A: sends Ya at once, and the stream starts after B's crypto_select and PadD. */
export class MseInitiator extends MseHandshake {
  private step: 'yb' | 'vc' | 'select' | 'pad_d' = 'yb'
  private decrypt: Rc4 | undefined = undefined
  private encrypt: Rc4 | undefined = undefined
  private expectedVc: Uint8Array = new Uint8Array(0)
  private padSearched = 0
  private selected: CryptoMethod = 'rc4'
  private padDBytes = 0

  constructor(private readonly options: MseInitiatorOptions) {
    super(options)
    this.outbox.push(this.keys.publicKey, this.pad())
  }

  protected advance(): void {
    for (;;) {
      if (this.state !== 'handshaking') return
      switch (this.step) {
        case 'yb':
          if (this.buffer.length < DH_KEY_BYTES) return
          this.onYb(this.consume(DH_KEY_BYTES))
          break
        case 'vc':
          if (!this.findVc()) return
          break
        case 'select':
          if (this.buffer.length < 4 + 2) return
          this.onSelect((this.decrypt as Rc4).transform(this.consume(6)))
          break
        case 'pad_d':
          if (this.buffer.length < this.padDBytes) return
          ;(this.decrypt as Rc4).apply(Uint8Array.from(this.consume(this.padDBytes)))
          this.done()
          return
      }
    }
  }

  private onYb(yb: Uint8Array): void {
    const { sha1, skey, provide } = this.options
    const s = this.secret(yb)
    if (s === undefined) return
    this.encrypt = streamCipher(sha1, 'keyA', s, skey)
    this.decrypt = streamCipher(sha1, 'keyB', s, skey)
    this.expectedVc = streamCipher(sha1, 'keyB', s, skey).transform(new Uint8Array(VC_BYTES))
    const padC = this.pad()
    const clear = new Uint8Array(VC_BYTES + 4 + 2 + padC.length + 2)
    writeUint32BE(clear, VC_BYTES, provide)
    writeUint16BE(clear, VC_BYTES + 4, padC.length)
    clear.set(padC, VC_BYTES + 6)
    // len(IA) stays 0: the BitTorrent handshake follows as ordinary stream bytes.
    const req2 = hashOf(sha1, 'req2', skey)
    const req3 = hashOf(sha1, 'req3', s)
    this.outbox.push(hashOf(sha1, 'req1', s), xorBytes(req2, req3), this.encrypt.apply(clear))
    this.step = 'vc'
  }

  /** Scans PadB for ENCRYPT(VC); true once found and consumed. */
  private findVc(): boolean {
    const at = indexOfBytes(this.buffer, this.expectedVc, 0)
    if (at === -1) {
      if (this.padSearched + this.buffer.length >= PAD_BYTES_MAX + VC_BYTES) {
        this.fail('sync_not_found', 'no VC within 512 bytes of PadB')
        return false
      }
      // Keep the tail that may be the start of the VC; drop what cannot be.
      const keep = Math.min(this.buffer.length, VC_BYTES - 1)
      this.padSearched += this.buffer.length - keep
      this.buffer = this.buffer.subarray(this.buffer.length - keep)
      return false
    }
    if (this.padSearched + at > PAD_BYTES_MAX) {
      this.fail('sync_not_found', 'PadB longer than 512 bytes')
      return false
    }
    this.consume(at)
    ;(this.decrypt as Rc4).apply(Uint8Array.from(this.consume(VC_BYTES)))
    this.step = 'select'
    return true
  }

  private onSelect(clear: Uint8Array): void {
    const select = readUint32BE(clear, 0)
    const padD = readUint16BE(clear, 4)
    if (
      (select !== CRYPTO_RC4 && select !== CRYPTO_PLAINTEXT) ||
      (select & this.options.provide) === 0
    ) {
      return this.fail(
        'bad_method',
        `crypto_select ${select} for crypto_provide ${this.options.provide}`,
      )
    }
    if (padD > PAD_BYTES_MAX) return this.fail('bad_length', `len(PadD) ${padD}`)
    this.selected = select === CRYPTO_RC4 ? 'rc4' : 'plaintext'
    this.padDBytes = padD
    this.step = 'pad_d'
  }

  private done(): void {
    const rc4 = this.selected === 'rc4'
    const rest = this.consume(this.buffer.length)
    this.finish({
      method: this.selected,
      skey: this.options.skey,
      payload: rc4 ? (this.decrypt as Rc4).transform(rest) : Uint8Array.from(rest),
      encrypt: rc4 ? this.encrypt : undefined,
      decrypt: rc4 ? this.decrypt : undefined,
    })
  }
}

export interface MseResponderOptions extends MseCommonOptions {
  /** The info-hash whose HASH('req2', info-hash) this is, among the torrents we host. */
  readonly findSkey: (req2: Uint8Array) => Uint8Array | undefined
  /** Methods we accept (CRYPTO_RC4 and/or CRYPTO_PLAINTEXT). */
  readonly allowed: number
  /**
   * When the initiator offers both: true picks RC4, false plaintext (libtorrent's default,
   * `prefer_rc4` off: the header is hidden, the bulk costs no cipher).
   */
  readonly preferRc4?: boolean
}

/** Side B: waits for Ya, answers Yb at once, and learns the torrent from the req2 hash. */
export class MseResponder extends MseHandshake {
  private step: 'ya' | 'req1' | 'skey' | 'provide' | 'pad_c' | 'ia' = 'ya'
  private s: Uint8Array = new Uint8Array(0)
  private skey: Uint8Array = new Uint8Array(0)
  private decrypt: Rc4 | undefined = undefined
  private encrypt: Rc4 | undefined = undefined
  private req1: Uint8Array = new Uint8Array(0)
  private padSearched = 0
  private provide = 0
  private padCBytes = 0
  private iaBytes = 0

  constructor(private readonly options: MseResponderOptions) {
    super(options)
  }

  protected advance(): void {
    for (;;) {
      if (this.state !== 'handshaking') return
      switch (this.step) {
        case 'ya':
          if (this.buffer.length < DH_KEY_BYTES) return
          this.onYa(this.consume(DH_KEY_BYTES))
          break
        case 'req1':
          if (!this.findReq1()) return
          break
        case 'skey':
          if (this.buffer.length < HASH_BYTES) return
          this.onSkeyHash(this.consume(HASH_BYTES))
          break
        case 'provide':
          if (this.buffer.length < VC_BYTES + 4 + 2) return
          this.onProvide((this.decrypt as Rc4).transform(this.consume(VC_BYTES + 6)))
          break
        case 'pad_c':
          if (this.buffer.length < this.padCBytes + 2) return
          this.onPadC((this.decrypt as Rc4).transform(this.consume(this.padCBytes + 2)))
          break
        case 'ia':
          if (this.buffer.length < this.iaBytes) return
          this.done((this.decrypt as Rc4).transform(this.consume(this.iaBytes)))
          return
      }
    }
  }

  private onYa(ya: Uint8Array): void {
    const s = this.secret(ya)
    if (s === undefined) return
    this.s = s
    this.req1 = hashOf(this.options.sha1, 'req1', s)
    this.outbox.push(this.keys.publicKey, this.pad())
    this.step = 'req1'
  }

  /** Scans PadA for HASH('req1', S); true once found and consumed. */
  private findReq1(): boolean {
    const at = indexOfBytes(this.buffer, this.req1, 0)
    if (at === -1) {
      if (this.padSearched + this.buffer.length >= PAD_BYTES_MAX + HASH_BYTES) {
        this.fail('sync_not_found', 'no HASH(req1, S) within 512 bytes of PadA')
        return false
      }
      const keep = Math.min(this.buffer.length, HASH_BYTES - 1)
      this.padSearched += this.buffer.length - keep
      this.buffer = this.buffer.subarray(this.buffer.length - keep)
      return false
    }
    if (this.padSearched + at > PAD_BYTES_MAX) {
      this.fail('sync_not_found', 'PadA longer than 512 bytes')
      return false
    }
    this.consume(at + HASH_BYTES)
    this.step = 'skey'
    return true
  }

  private onSkeyHash(masked: Uint8Array): void {
    const { sha1 } = this.options
    const req2 = xorBytes(masked, hashOf(sha1, 'req3', this.s))
    const skey = this.options.findSkey(req2)
    if (skey === undefined) return this.fail('unknown_torrent', 'no torrent of ours has that SKEY')
    this.skey = skey
    this.decrypt = streamCipher(sha1, 'keyA', this.s, skey)
    this.encrypt = streamCipher(sha1, 'keyB', this.s, skey)
    this.step = 'provide'
  }

  private onProvide(clear: Uint8Array): void {
    if (!equalBytes(clear.subarray(0, VC_BYTES), new Uint8Array(VC_BYTES))) {
      return this.fail('bad_vc', 'the verification constant is not zero')
    }
    this.provide = readUint32BE(clear, VC_BYTES)
    const padC = readUint16BE(clear, VC_BYTES + 4)
    if (padC > PAD_BYTES_MAX) return this.fail('bad_length', `len(PadC) ${padC}`)
    this.padCBytes = padC
    this.step = 'pad_c'
  }

  private onPadC(clear: Uint8Array): void {
    const ia = readUint16BE(clear, this.padCBytes)
    if (ia > IA_BYTES_MAX) return this.fail('bad_length', `len(IA) ${ia}`)
    this.iaBytes = ia
    this.step = 'ia'
  }

  private done(ia: Uint8Array): void {
    const common = this.provide & this.options.allowed
    if ((common & (CRYPTO_RC4 | CRYPTO_PLAINTEXT)) === 0) {
      return this.fail(
        'bad_method',
        `crypto_provide ${this.provide}, we allow ${this.options.allowed}`,
      )
    }
    const both = (common & CRYPTO_RC4) !== 0 && (common & CRYPTO_PLAINTEXT) !== 0
    const method: CryptoMethod = both
      ? this.options.preferRc4 === true
        ? 'rc4'
        : 'plaintext'
      : (common & CRYPTO_RC4) !== 0
        ? 'rc4'
        : 'plaintext'
    const encrypt = this.encrypt as Rc4
    const padD = this.pad()
    const clear = new Uint8Array(VC_BYTES + 4 + 2 + padD.length)
    writeUint32BE(clear, VC_BYTES, method === 'rc4' ? CRYPTO_RC4 : CRYPTO_PLAINTEXT)
    writeUint16BE(clear, VC_BYTES + 4, padD.length)
    clear.set(padD, VC_BYTES + 6)
    this.outbox.push(encrypt.apply(clear))
    // The IA is always RC4; what follows it is in the method just chosen.
    const rest = this.consume(this.buffer.length)
    const rc4 = method === 'rc4'
    this.finish({
      method,
      skey: this.skey,
      payload: concatBytes([
        ia,
        rc4 ? (this.decrypt as Rc4).transform(rest) : Uint8Array.from(rest),
      ]),
      encrypt: rc4 ? encrypt : undefined,
      decrypt: rc4 ? this.decrypt : undefined,
    })
  }
}
