import type { Address } from './address.js'
import type { OperationalError } from './errors.js'
import type { Random } from './random.js'
import type { Result } from './result.js'
import type { Duration, Instant } from './time.js'
import type { StreamCloseReason } from './core.js'

/**
 * The ports through which drivers reach the world. Protocol cores never see these; drivers and
 * the simulator implement them (`src/drivers/node/`, `src/sim/`), and `attach*` functions bind
 * cores to any Env. Every port is callback-based, not promise-based: the simulator runs a single
 * synchronous timeline, and a promise continuation would run outside it and break determinism.
 * Callbacks are never invoked synchronously from the call that registers them.
 */

export type TimerHandle = { readonly __brand: 'TimerHandle' }

export interface Clock {
  now(): Instant
  /** Calls `fire` once at `at` (or as soon after as the world allows). */
  setTimer(at: Instant, fire: () => void): TimerHandle
  clearTimer(handle: TimerHandle): void
}

export type Callback<T> = (result: Result<T, OperationalError>) => void

// --- net ---------------------------------------------------------------------------------------

export interface DatagramSocket {
  readonly local: Address
  /** Fire and forget, as UDP. `bytes` must not be mutated afterwards. */
  send(to: Address, bytes: Uint8Array): void
  /**
   * One handler; a later call replaces it. The bytes belong to the handler; they may be a
   * Uint8Array subclass (Node's Buffer), so compare contents, not prototypes.
   */
  onReceive(handler: (from: Address, bytes: Uint8Array) => void): void
  close(): void
}

export interface StreamSocket {
  readonly local: Address
  readonly remote: Address
  /**
   * The transport under the stream when it is one of the Env's (absent for a stream carried by
   * something else, such as an onion circuit). A swarm tells others which peers speak uTP.
   */
  readonly transport?: StreamTransport
  /**
   * Queues bytes (ownership passes to the socket). Returns false when the send buffer is above
   * its high-water mark: keep the bytes you have not written yet and wait for `onDrain`.
   */
  write(bytes: Uint8Array): boolean
  /**
   * Between `cork` and `uncork`, writes are gathered and leave together (one writev system
   * call for a burst of small messages and block payloads). A model without system calls may
   * treat both as no-ops. Every `cork` must be matched by an `uncork`.
   */
  cork(): void
  uncork(): void
  /** Graceful close: flush what is queued, then FIN. */
  end(): void
  /** Abortive close: drop what is queued, reset. */
  destroy(): void
  /** Receive-side backpressure: while paused, data (and the far side's FIN) waits. */
  pause(): void
  resume(): void
  /**
   * `more` is true when further bytes of the same delivery follow at once (the simulator hands
   * over a segment's buffers one call each), so the handler may hold its reaction until the
   * call where it is false or absent. A handler that pauses or closes the socket meanwhile
   * gets the rest after `resume` (the last of it flagged false), or never.
   */
  onData(handler: (bytes: Uint8Array, more?: boolean) => void): void
  onDrain(handler: () => void): void
  /** Called once, when the connection is finished for any reason. */
  onClose(handler: (reason: StreamCloseReason) => void): void
}

export interface StreamListener {
  readonly local: Address
  /** Stops accepting; connections accepted before stay open. */
  close(): void
}

/**
 * Which stream transport a connection or listener uses: TCP, or uTP (BEP 29: a reliable
 * stream over UDP whose LEDBAT congestion control yields to TCP). Both give the same
 * `StreamSocket`; a world without uTP fails a 'utp' request with 'unreachable'.
 */
export type StreamTransport = 'tcp' | 'utp'

export interface ConnectOptions {
  /** Give up after this long (default: the implementation's, about 10 s). */
  readonly timeout?: Duration
  /** Default 'tcp'. */
  readonly transport?: StreamTransport
  /**
   * TCP only: leave from this local address and port instead of an ephemeral one, for TCP
   * simultaneous open (RFC 9293 section 3.5; ICE-TCP's S-O candidates, RFC 6544). Several
   * connections to different remotes may share the port (SO_REUSEADDR), but not a listener's.
   */
  readonly local?: Address
}

export interface ListenOptions {
  /**
   * Default 'tcp'. A uTP listener binds a UDP port; outgoing uTP connections leave from that
   * same port while it is open (as libtorrent's do), so peers see one address for both.
   */
  readonly transport?: StreamTransport
}

export interface Net {
  /** Binds a datagram socket; port 0 picks a free port (read it from `socket.local`). */
  bindDatagram(local: Address, ready: Callback<DatagramSocket>): void
  /** Listens for stream connections; port 0 picks a free port. */
  listen(
    local: Address,
    onConnection: (socket: StreamSocket) => void,
    ready: Callback<StreamListener>,
    options?: ListenOptions,
  ): void
  connect(remote: Address, ready: Callback<StreamSocket>, options?: ConnectOptions): void
}

// --- disk --------------------------------------------------------------------------------------

export type OpenMode =
  /** Existing file, read only. */
  | 'read'
  /** Existing file, read and write. */
  | 'readwrite'
  /** Read and write; created empty when missing, kept as it is when present. */
  | 'create'

export interface FileStat {
  readonly kind: 'file' | 'directory'
  readonly size: number
  /**
   * When the content last changed, as a number compared only for equality: microseconds since
   * the epoch on a real disk (the mtime), a change counter in the simulator. Undefined when the
   * disk cannot tell. Resume data records it to notice files edited behind our back.
   */
  readonly modified?: number
}

/**
 * An open file. Rules both implementations follow (and `test/conformance/disk-suite.ts` checks):
 * an operation started after `close` fails with 'closed', a second `close` is harmless, `close`
 * waits for I/O in flight, and the bytes given to `write` must not change until its `done`.
 * Overlapping writes in flight at once land in no guaranteed order.
 */
export interface DiskFile {
  readonly path: string
  /** Reads up to `length` bytes at `position`; fewer only at end of file. */
  read(position: number, length: number, done: Callback<Uint8Array>): void
  /** Writes all of `bytes` at `position`, extending the file when needed. */
  write(position: number, bytes: Uint8Array, done: Callback<void>): void
  /**
   * Writes `parts` back to back starting at `position`, as one operation (pwritev): the way to
   * store adjacent blocks without copying them into one buffer first.
   */
  writev(position: number, parts: readonly Uint8Array[], done: Callback<void>): void
  truncate(size: number, done: Callback<void>): void
  /** Durably stores what was written so far (fsync). */
  sync(done: Callback<void>): void
  size(done: Callback<number>): void
  /**
   * BEP 47 `x`: adds the execute bits where the read bits are (chmod +x under the umask's
   * read bits). Optional: a disk without permissions (the simulator's) leaves it out.
   */
  setExecutable?(done: Callback<void>): void
  close(done: Callback<void>): void
}

/** The longest single `read` either implementation accepts; longer is a programmer error. */
export const DISK_READ_BYTES_MAX = 64 * 1024 * 1024

/**
 * Files by path: `/`-separated. The real disk confines relative paths to a root when it has one
 * (production always gives one) and refuses paths that escape it with 'invalid_path'. A
 * directory's `size` is unspecified; `kind: 'file'` covers anything that is not a directory.
 */
export interface Disk {
  open(path: string, mode: OpenMode, done: Callback<DiskFile>): void
  /** Undefined when nothing is at `path`. */
  stat(path: string, done: Callback<FileStat | undefined>): void
  /** Atomic replace of `to` by `from` (POSIX rename). */
  rename(from: string, to: string, done: Callback<void>): void
  /** Removes a file; no error when it is already gone. */
  remove(path: string, done: Callback<void>): void
  /**
   * Removes an empty directory; one that holds anything fails with 'exists' and is left as it
   * is (the check and the removal are one step, rmdir(2)); no error when it is already gone.
   */
  removeDirectory(path: string, done: Callback<void>): void
  /** Creates a directory and its parents. */
  mkdir(path: string, done: Callback<void>): void
  /** Names (not paths) in a directory, sorted. */
  list(path: string, done: Callback<string[]>): void
  /** Makes a completed rename in `path` durable (fsync of the directory). */
  syncDirectory(path: string, done: Callback<void>): void
}

// --- log and metrics ---------------------------------------------------------------------------

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>

export interface Log {
  log(level: LogLevel, message: string, fields?: LogFields): void
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Log
}

/** Counters and histograms. The simulator keeps one registry per host. */
export interface Metrics {
  count(name: string, delta?: number): void
  observe(name: string, value: number): void
}

// --- pure computation ---------------------------------------------------------------------------

/**
 * Hashing as a port: real drivers use node:crypto; the simulator may substitute a cheap
 * stand-in when it moves synthetic content.
 */
export interface Hashing {
  sha1(parts: readonly Uint8Array[]): Uint8Array
  sha256(parts: readonly Uint8Array[]): Uint8Array
}

/**
 * Ed25519 (RFC 8032) as BEP 44 uses it: keys are 32-byte seeds, public keys 32 bytes,
 * signatures 64. Synchronous like `Hashing`: it is computation, not I/O, and the DHT core
 * signs and verifies inside its own steps. The shape is the DHT's `Ed25519` interface, so
 * `env.signing` can be handed to the DHT as it is.
 */
export interface Signing {
  /** A 64-byte signature of `message` by the key whose 32-byte seed is `seed32`. */
  sign(seed32: Uint8Array, message: Uint8Array): Uint8Array
  /** False for a bad signature and for a key that is not a curve point; never throws. */
  verify(publicKey32: Uint8Array, message: Uint8Array, signature64: Uint8Array): boolean
  publicKeyOf(seed32: Uint8Array): Uint8Array
}

/**
 * The expensive half of finite-field Diffie-Hellman: `otherPublic ^ privateKey mod prime`, the
 * shared secret, big-endian and left-padded to the prime's length. A port because OpenSSL does
 * it about 4x faster than BigInt arithmetic (0.22 against 0.87 ms for MSE's 768-bit group
 * here), and a simulated swarm of 1,000 peers makes tens of thousands of MSE handshakes.
 * Synchronous like `Hashing`. Callers check the public key's range first.
 */
export interface KeyAgreement {
  dhSecret(group: DhGroup, privateKey: Uint8Array, otherPublic: Uint8Array): Uint8Array
}

/** A Diffie-Hellman group: its prime (big-endian) and generator. */
export interface DhGroup {
  readonly prime: Uint8Array
  readonly generator: number
}

// --- names and HTTP -----------------------------------------------------------------------------

export interface ResolveOptions {
  /** 4 or 6 for one family only; default both (IPv4 addresses first). */
  readonly family?: 4 | 6
}

/**
 * Host names to IP literals (A and AAAA): DHT bootstrap routers, tracker hosts. An IP literal
 * resolves to itself. A name with no address fails with 'not_found'.
 */
export interface Resolver {
  resolve(name: string, done: Callback<readonly string[]>, options?: ResolveOptions): void
}

export interface HttpRequest {
  /** Default 'GET'. */
  readonly method?: 'GET' | 'POST'
  /** An absolute http:// or https:// URL; anything else fails with 'invalid_url'. */
  readonly url: string
  readonly headers?: Readonly<Record<string, string>>
  /** Sent with a Content-Length (POST). */
  readonly body?: Uint8Array
  /** The whole exchange (resolve, connect, send, answer) or it fails with 'timeout'. */
  readonly timeout: Duration
  /** An answer body larger than this fails with 'too_large', read no further. */
  readonly bodyBytesMax: number
  /**
   * Reuse an idle connection to the same server, and leave this one open for the next request
   * (HTTP/1.1 keep-alive: a web seed's many Range requests). Default false: one connection per
   * request, closed with its answer. Idle connections never keep a process alive.
   */
  readonly keepAlive?: boolean
}

export interface HttpResponse {
  /** Any status is an answer (404 and 500 too); redirects are not followed (see `location`). */
  readonly status: number
  /** Names in lower case; a repeated header's values joined with ', '. */
  readonly headers: Readonly<Record<string, string>>
  readonly body: Uint8Array
}

export interface HttpExchange {
  /** Gives up on the exchange: its connection is closed and `done` is never called. */
  abort(): void
}

/** One HTTP/1.1 request and its answer per call, on a fresh connection. */
export interface HttpClient {
  request(request: HttpRequest, done: Callback<HttpResponse>): HttpExchange
}

/** Everything a driver needs to run cores in one world. */
export interface Env {
  readonly clock: Clock
  readonly random: Random
  readonly net: Net
  readonly disk: Disk
  readonly log: Log
  readonly metrics: Metrics
  readonly hashing: Hashing
  readonly signing: Signing
  readonly keyAgreement: KeyAgreement
  readonly resolver: Resolver
  readonly http: HttpClient
}
