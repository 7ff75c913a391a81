/**
 * HTTP announce and scrape (BEP 3, 7, 23, 48), transport-free: the driver hands over the raw
 * query string and the requester's address and sends back the returned bencoded body with
 * HTTP 200. Every refusal is a `failure reason` body, as clients expect; nothing throws.
 */
import type { Address } from '../../../core/address.js'
import { dictOf, encode, keyFromBytes, type BEncodable } from '../../../core/codec/bencode.js'
import { readCompactPeer } from '../../../core/compact-peers.js'
import type { Instant } from '../../../core/time.js'
import { announcedAddress } from './announced-address.js'
import type { TrackerConfig } from './config.js'
import { parseAnnounceParams, parseScrapeParams } from './http-announce-params.js'
import { peerAddress } from './peer-address.js'
import { PEER_ID_BYTES } from './peer-table.js'
import type { AnnounceAnswer, SelectedPeers, SwarmCounts, SwarmRegistry } from './swarm-registry.js'

/** A body to send with HTTP 200; `failure` repeats the reason of a refusal, for stats. */
export interface HttpAnswer {
  readonly body: Uint8Array
  readonly failure: string | undefined
}

export function failureBody(reason: string): Uint8Array {
  return encode(dictOf({ 'failure reason': reason }))
}

const refuse = (reason: string): HttpAnswer => ({ body: failureBody(reason), failure: reason })
const answerWith = (body: Uint8Array): HttpAnswer => ({ body, failure: undefined })

export function httpAnnounce(
  registry: SwarmRegistry,
  config: TrackerConfig,
  rawQuery: string,
  remote: Address,
  now: Instant,
): HttpAnswer {
  const parsed = parseAnnounceParams(rawQuery, config.queryCharsMax)
  if (!parsed.ok) return refuse(parsed.error)
  const params = parsed.value
  const source = peerAddress(remote.host, remote.port)
  if (source === undefined) return refuse('unsupported source address')
  const peer = announcedAddress(
    source,
    params.port,
    [params.ip, params.ipv4, params.ipv6],
    config.addressParams,
  )
  const numWant = Math.min(params.numwant ?? config.numwantDefault, config.numwantMax)
  const result = registry.announce(
    {
      infoHash: params.infoHash,
      peerId: params.peerId,
      family: peer.family,
      addr: peer.addr,
      seeder: params.left === 0,
      event: params.event,
      numWant,
      families: 'both',
      withPeerIds: !params.compact && !params.noPeerId,
    },
    now,
  )
  if (!result.ok) return refuse(result.error)
  const answer = result.value
  const fields: Record<string, BEncodable | undefined> = {
    interval: Math.round(config.interval / 1000),
    'min interval': Math.round(config.minInterval / 1000),
    complete: answer.seeders,
    incomplete: answer.leechers,
    downloaded: answer.completed,
    'tracker id': config.trackerId,
  }
  if (params.compact) {
    fields['peers'] = answer.ipv4.addrs
    if (answer.ipv6.count > 0) fields['peers6'] = answer.ipv6.addrs
  } else {
    fields['peers'] = dictPeers(answer, !params.noPeerId)
  }
  return answerWith(encode(dictOf(fields)))
}

/** BEP 3's original form: a list of {ip, peer id, port}, both families in one list. */
function dictPeers(answer: AnnounceAnswer, withIds: boolean): BEncodable[] {
  const list: BEncodable[] = []
  const add = (selected: SelectedPeers, family: 'ipv4' | 'ipv6', size: number): void => {
    for (let i = 0; i < selected.count; i++) {
      const { host, port } = readCompactPeer(selected.addrs, i * size, family)
      const id = selected.ids.subarray(i * PEER_ID_BYTES, (i + 1) * PEER_ID_BYTES)
      list.push(dictOf({ ip: host, 'peer id': withIds ? id : undefined, port }))
    }
  }
  add(answer.ipv4, 'ipv4', 6)
  add(answer.ipv6, 'ipv6', 18)
  return list
}

const scrapeEntry = (counts: SwarmCounts): BEncodable =>
  dictOf({ complete: counts.seeders, downloaded: counts.completed, incomplete: counts.leechers })

const ZERO: SwarmCounts = { seeders: 0, leechers: 0, completed: 0 }

/**
 * BEP 48 scrape. Named info-hashes the tracker does not track are reported as zeros, except
 * in private mode where an info-hash that is not allowed is left out (it is not ours to
 * describe). With no info_hash at all, the whole tracker only when the config allows it.
 */
export function httpScrape(
  registry: SwarmRegistry,
  config: TrackerConfig,
  rawQuery: string,
): HttpAnswer {
  const parsed = parseScrapeParams(rawQuery, config.queryCharsMax)
  if (!parsed.ok) return refuse(parsed.error)
  const files = new Map<string, BEncodable>()
  if (parsed.value.length === 0) {
    if (!config.fullScrape) return refuse('full scrape is disabled: name an info_hash')
    for (const { infoHash, counts } of registry.listSwarms(config.fullScrapeMax)) {
      files.set(keyFromBytes(infoHash), scrapeEntry(counts))
    }
    return answerWith(encode(dictOf({ files })))
  }
  if (parsed.value.length > config.scrapeHashesMax) {
    return refuse(`at most ${config.scrapeHashesMax} info_hash per scrape`)
  }
  for (const infoHash of parsed.value) {
    if (!registry.isAllowed(infoHash)) continue
    files.set(keyFromBytes(infoHash), scrapeEntry(registry.countsOf(infoHash) ?? ZERO))
  }
  return answerWith(encode(dictOf({ files })))
}
