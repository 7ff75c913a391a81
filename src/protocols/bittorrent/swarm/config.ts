/**
 * Every knob of the swarm core, with its default and the reason for it. Durations are
 * `Duration`s, counts carry their bound in the name (`peersMax`), so a config reads like the
 * list of limits that keep one torrent's memory and work bounded against hostile peers.
 */
import { assert } from '../../../core/errors.js'
import { minutes, seconds, type Duration } from '../../../core/time.js'
import { DEFAULT_CHOKE_OPTIONS, type ChokeOptions } from '../choker/index.js'
import type { EncryptionPolicy } from '../../mse/index.js'
import { BLOCK_BYTES } from '../wire/limits.js'

import { azureusPeerIdPrefix } from './peer-id.js'

/** This plexus release; package.json's `version` (a unit test keeps the two equal). */
export const PLEXUS_VERSION = '0.1.0'
/** `v` in our extended handshake (BEP 10). */
export const CLIENT_NAME = `plexus/${PLEXUS_VERSION}`
/** Azureus-style peer id prefix for this client: `-PX0100-` then 12 random bytes. */
export const PEER_ID_PREFIX = azureusPeerIdPrefix('PX', PLEXUS_VERSION)

export interface SwarmConfig {
  // ---- connections ---------------------------------------------------------------------
  /** Connections per torrent, half-open ones included (libtorrent: 50 per torrent). */
  readonly peersMax: number
  /** Outbound connects in flight at once (home routers choke on many half-open). */
  readonly halfOpenMax: number
  /** Addresses remembered as candidates (tracker, PEX, manual); new ones beyond are dropped. */
  readonly candidatesMax: number
  /** Consecutive failed connects after which an address is forgotten. */
  readonly connectAttemptsMax: number
  /** First retry delay after a failed connect; doubles per failure up to the max. */
  readonly reconnectDelay: Duration
  readonly reconnectDelayMax: Duration
  /** Before dialling again a peer we were connected to (libtorrent's min_reconnect_time). */
  readonly redialDelay: Duration
  /**
   * Connections (in and out, any phase) with one remote IP. libtorrent allows 1 by default
   * (`allow_multiple_connections_per_ip` off); we allow a few, for clients behind one NAT,
   * several clients on one machine (loopback demos and tests), and the brief overlap of a
   * simultaneous dial. Without it one host could take every slot (issue 11, security 3).
   */
  readonly connectionsPerHostMax: number
  /**
   * A connection whose BitTorrent handshake has not arrived by then is closed (libtorrent's
   * `handshake_timeout`, 10 s): silent connections must not hold slots for long.
   */
  readonly handshakeTimeout: Duration
  /**
   * When the table is full, an incoming connection evicts one that is still handshaking
   * after this long (a peer answers within a round trip), the oldest first.
   */
  readonly evictHandshakingAfter: Duration
  /**
   * When the table is full (and nobody is stuck handshaking), an incoming connection evicts
   * the open peer idle the longest, if idle this long: no interest either way, no requests
   * either way (libtorrent's turnover of peers "not interesting in either direction").
   */
  readonly evictIdleAfter: Duration
  /** Send a keep-alive after this much send silence (BEP 3 peers drop at about 2 min). */
  readonly keepAliveInterval: Duration
  /** Close a connection silent for this long (BEP 3: "typically two minutes"; we allow 3). */
  readonly inactivityTimeout: Duration

  // ---- downloading ---------------------------------------------------------------------
  /** Seconds of the peer's rate to keep requested: the bandwidth-delay product (libtorrent). */
  readonly requestQueueTime: Duration
  /** Floor of the request pipeline to an unchoked, unsnubbed peer. */
  readonly requestsPerPeerMin: number
  /** Ceiling of the request pipeline, whatever the peer's `reqq` says. */
  readonly requestsPerPeerMax: number
  /** No block for this long while requests are out: snubbed (choker anti-snub, re-request). */
  readonly snubTimeout: Duration
  /**
   * Blocks never requested from a peer (released requests crossing on the wire excepted) that
   * are dropped before its host is banned. Each is dropped unread whatever this says; a few
   * are tolerated for clients that forget a cancel older than one pipeline.
   */
  readonly unrequestedBlocksMax: number
  /** `allowed_fast` pieces honoured per peer (BEP 6 suggests 10; more is ignored). */
  readonly allowedFastInMax: number
  /** Outstanding requests per block in endgame (the picker's duplicate cap). */
  readonly endgameDuplicatesMax: number
  /**
   * A peer that unchoked us but has no free block we want (all of its wanted pieces are being
   * fetched from others) gets requests for blocks already requested from one other peer, the
   * last of each piece first, instead of idling its upload slot (the picker's `shareBusy`);
   * whichever copy arrives first cancels the other. Default off: in the simulator
   * (`plexus sim swarm --peers 100 --file-size 26214400`) it cut starved pipelines from 22 % to
   * 7-9 % of samples but left the distribution time where it was (ratio 1.97 -> 1.95-1.99)
   * while 8-11 % of uploaded bytes became duplicates (2 % without).
   */
  readonly shareBusyBlocks: boolean
  /**
   * Bytes per request: the block size. 16 KiB is what every client sends and accepts (BEP 3:
   * larger requests get the connection closed), so change it only in a swarm of our own, such
   * as the simulator's, where it trades fidelity for fewer messages. We serve requests up to
   * this or 16 KiB, whichever is larger. A power of two from 1 KiB to 1 MiB.
   */
  readonly blockBytes: number
  /** Bytes handed to storage and not yet written; above it every connection stops reading. */
  readonly writeQueueBytesMax: number
  /**
   * Pick pieces in ascending index order (streaming) instead of rarest first; priorities
   * still come first. Passed to every `pickBlocks` call. Default off.
   */
  readonly sequential?: boolean
  /**
   * Pieces picked at random before rarest-first takes over (libtorrent's 4 by default);
   * `Infinity` makes selection random throughout (the simulator's policy comparison).
   */
  readonly randomFirstPieces?: number
  /**
   * Our DHT node's UDP port (BEP 5). When set, our handshake carries the DHT bit and peers that
   * set it too are sent a `port` message; a `port` from a peer becomes a `dht_node` event so
   * the driver can ping that node. Undefined: no DHT, `port` messages are only counted.
   */
  readonly dhtPort?: number

  // ---- uploading -----------------------------------------------------------------------
  /**
   * Requests a peer may have queued with us; our `reqq`. Beyond: reject (fast) or drop.
   * 2,000 as libtorrent's `max_allowed_in_request_queue`: a client that honours `reqq` keeps
   * at most this many blocks requested, so 250 (32 MiB/s at 125 ms of round trip, 4 MiB/s at
   * a second of queue) capped what it could fetch from us. Only a map entry per request: the
   * blocks in memory are bounded by `uploadReadsPerPeerMax`.
   */
  readonly peerRequestsMax: number
  /** Storage reads in flight per peer: bounds the blocks held in memory for one upload. */
  readonly uploadReadsPerPeerMax: number
  /** Requests we ignore (choked without fast, piece we lack) before dropping the peer. */
  readonly ignoredRequestsMax: number
  /** BEP 6 allowed-fast set size we give each peer (k = 10, libtorrent's default). */
  readonly allowedFastCount: number
  /** Only give an allowed-fast set when the torrent has more pieces than this. */
  readonly allowedFastPiecesMin: number
  /**
   * BEP 9 `data` messages served per connection; beyond it every ut_metadata request gets
   * `reject`. Raised to twice the info dictionary's 16 KiB piece count when that is larger,
   * so a big dictionary can still be fetched (twice) from us. See `metadata.ts`.
   */
  readonly metadataRequestsPerPeerMax: number

  // ---- rate limits (per torrent) -------------------------------------------------------
  /**
   * Payload plus piece headers we send, bytes/s; 0 = unlimited. Taken before each
   * `read_block`; requests wait (round robin over peers) until the bucket refills.
   */
  readonly uploadRateLimit: number
  /**
   * Bytes/s of blocks we ask for; 0 = unlimited. Limits how fast requests go out, so the
   * incoming rate follows; blocks that arrive are always taken.
   */
  readonly downloadRateLimit: number

  // ---- choking -------------------------------------------------------------------------
  readonly rechokeInterval: Duration
  readonly choke: ChokeOptions
  /**
   * Peers we upload to at once, the optimistic unchoke included (regular slots + 1); when
   * set, replaces `choke.slots`. At least 1.
   */
  readonly uploadSlots?: number
  /**
   * Never unchoke anyone: upload slots are 0 whatever `uploadSlots` says (an experiment
   * switch: the simulator's free riders). Pair it with a huge `allowedFastPiecesMin`, so no
   * BEP 6 allowed-fast set is granted either (peers could fetch those while choked). Off.
   */
  readonly freeRider?: boolean

  // ---- reputation ----------------------------------------------------------------------
  /**
   * Failed pieces (net of passes: a failure costs 2 trust points, a pass earns 1) that ban a
   * contributing host; 4 is libtorrent's -7 trust points. See `reputation.ts`.
   */
  readonly hashFailuresBanThreshold: number
  /** Failed pieces an address delivered alone that ban it outright. */
  readonly soleHashFailuresBanThreshold: number
  /** Hosts whose strikes we remember (entries without strikes are evicted first). */
  readonly reputationHostsMax: number
  /** Departed connections remembered, so a late hash failure can still be blamed. */
  readonly departedPeersMax: number

  // ---- PEX (BEP 11) --------------------------------------------------------------------
  readonly pexInterval: Duration
  /** Entries in each of `added` / `dropped` per ut_pex message (BEP 11: 50). */
  readonly pexPeersMax: number

  // ---- hole punching (BEP 55) ----------------------------------------------------------
  /** Announce ut_holepunch: relay for peers we are connected to and punch through NATs. */
  readonly holepunch: boolean
  /**
   * ut_holepunch rendezvous and connect messages one peer may send us per minute; a peer over
   * it is dropped (`limit_exceeded`): each one costs us two messages or a dial. We send at
   * most this many rendezvous to one relay per minute, so we never trip a peer like us.
   */
  readonly holepunchMessagesPerMinute: number
  /**
   * A target is asked for through a relay at most `holepunchAsksMax` times per this window,
   * the asks at least `holepunchAskSpacing` apart. More than one because BEP 55 races: a
   * libtorrent target ignores `connect` while its own dial to us (from PEX) is in flight, so
   * the first punch can miss and a later one, after that dial gave up, meets.
   */
  readonly holepunchRetryInterval: Duration
  readonly holepunchAsksMax: number
  readonly holepunchAskSpacing: Duration

  // ---- housekeeping --------------------------------------------------------------------
  /** The batch timer: keep-alives, timeouts, snubs, reconnects. */
  readonly tickInterval: Duration
  readonly statsInterval: Duration
  /** `v` in our extended handshake. */
  readonly clientName: string

  // ---- encryption (MSE/PE) -------------------------------------------------------------
  /**
   * Read by the drivers, not the core (the core sees a plaintext stream either way):
   * `prefer` (libtorrent's default) tries MSE outgoing and falls back to plaintext, and takes
   * both incoming; `require` speaks only RC4-encrypted MSE; `disable` only plaintext.
   */
  readonly encryption: EncryptionPolicy
}

export const DEFAULT_SWARM_CONFIG: SwarmConfig = {
  peersMax: 50,
  halfOpenMax: 8,
  candidatesMax: 1000,
  connectAttemptsMax: 5,
  reconnectDelay: seconds(10),
  reconnectDelayMax: minutes(10),
  redialDelay: seconds(60),
  connectionsPerHostMax: 4,
  handshakeTimeout: seconds(10),
  evictHandshakingAfter: seconds(2),
  evictIdleAfter: seconds(20),
  keepAliveInterval: seconds(90),
  inactivityTimeout: seconds(180),

  requestQueueTime: seconds(3),
  requestsPerPeerMin: 2,
  requestsPerPeerMax: 500,
  snubTimeout: seconds(60),
  unrequestedBlocksMax: 8,
  allowedFastInMax: 32,
  endgameDuplicatesMax: 2,
  shareBusyBlocks: false,
  blockBytes: BLOCK_BYTES,
  writeQueueBytesMax: 32 * 1024 * 1024,

  peerRequestsMax: 2000,
  uploadReadsPerPeerMax: 16,
  ignoredRequestsMax: 300,
  allowedFastCount: 10,
  allowedFastPiecesMin: 20,
  metadataRequestsPerPeerMax: 64,

  uploadRateLimit: 0,
  downloadRateLimit: 0,

  rechokeInterval: seconds(10),
  choke: DEFAULT_CHOKE_OPTIONS,

  hashFailuresBanThreshold: 4,
  soleHashFailuresBanThreshold: 2,
  reputationHostsMax: 4096,
  departedPeersMax: 1024,

  pexInterval: seconds(60),
  pexPeersMax: 50,

  holepunch: true,
  holepunchMessagesPerMinute: 20,
  holepunchRetryInterval: minutes(2),
  holepunchAsksMax: 3,
  holepunchAskSpacing: seconds(15),

  tickInterval: seconds(1),
  statsInterval: seconds(1),
  clientName: CLIENT_NAME,
  encryption: 'prefer',
}

/** The defaults with some fields replaced. */
export const swarmConfig = (overrides: Partial<SwarmConfig> = {}): SwarmConfig => ({
  ...DEFAULT_SWARM_CONFIG,
  ...overrides,
})

/** Upload slots in force: `uploadSlots` when set, else the choker's `slots`. */
export const uploadSlotsOf = (config: SwarmConfig): number =>
  config.freeRider === true ? 0 : (config.uploadSlots ?? config.choke.slots)

/** The largest request we serve and the largest block we accept. */
export const blockBytesMaxOf = (config: SwarmConfig): number =>
  Math.max(BLOCK_BYTES, config.blockBytes)

/** Throws (`LocalProtocolError`) on a config the core cannot run with. */
export function validateSwarmConfig(config: SwarmConfig): void {
  // The configured slots, also for a free rider (whose slots in force are 0 by design).
  const slots = config.uploadSlots ?? config.choke.slots
  assert(Number.isSafeInteger(slots) && slots >= 1, `upload slots must be >= 1, got ${slots}`)
  const perHost = config.connectionsPerHostMax
  assert(
    Number.isSafeInteger(perHost) && perHost >= 1,
    `connectionsPerHostMax must be >= 1, got ${perHost}`,
  )
  const block = config.blockBytes
  assert(
    Number.isSafeInteger(block) && block >= 1024 && block <= 1 << 20 && (block & (block - 1)) === 0,
    `blockBytes must be a power of two from 1 KiB to 1 MiB, got ${block}`,
  )
  for (const [name, rate] of [
    ['uploadRateLimit', config.uploadRateLimit],
    ['downloadRateLimit', config.downloadRateLimit],
  ] as const) {
    assert(Number.isFinite(rate) && rate >= 0, `${name} must be >= 0 bytes/s, got ${rate}`)
  }
}
