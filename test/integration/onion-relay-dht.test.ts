/**
 * Plexus onion relays found through the DHT, on 127.0.0.1 (real UDP DHT nodes, real TLS links):
 * four relays run as the `onion-relay` Peer service, each keeping its signed record in a DHT of
 * plexus nodes and announcing its OR port; a client with no consensus finds them with
 * get_peers, learns each one's identity from its CERTS, fetches and checks the record signed
 * by that identity, builds a 3-hop circuit through relays found that way and fetches a file
 * byte-exact. Refused, never used in a path: a relay whose record names another address, a
 * record signed by a key other than the relay's identity, and an announced address where no
 * relay answers.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import type { Env } from '../../src/core/env.js'
import { ok } from '../../src/core/result.js'
import { DhtService } from '../../src/drivers/kademlia/dht-service.js'
import { createNodeEnv } from '../../src/drivers/node/env.js'
import { promised } from '../../src/drivers/promises.js'
import type { OnionStream } from '../../src/drivers/onion/circuit.js'
import { PlexusRelay } from '../../src/drivers/onion/relay-server.js'
import {
  DEFAULT_EXIT_POLICY,
  parseExitPolicy,
} from '../../src/protocols/onion/directory/exit-policy.js'
import type { PolicyRule } from '../../src/protocols/onion/directory/exit-policy.js'
import { DhtOnionClient } from '../../src/peer/onion-dht-client.js'
import { onionRelayDraft } from '../../src/peer/onion-relay-record.js'
import { OnionRelayService } from '../../src/peer/onion-relay-service.js'
import type { DiscoveredOnionRelays } from '../../src/peer/onion-relay-discovery.js'
import { ServiceDirectory } from '../../src/peer/service-directory.js'
import { serviceInfoHash } from '../../src/peer/service-record.js'
import { warningLog } from '../support/onion-relays.js'

const HOST = '127.0.0.1'
const LOCAL = { host: HOST, port: 0 }
const unixNow = (): number => Math.floor(Date.now() / 1000)
const { log } = warningLog()
const file = new Uint8Array(600_000).map((_, i) => (i * 29 + (i >>> 10)) % 256)
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

let env: Env
let stateRoot: string
let http: Server
let httpPort: number
const dhts: DhtService[] = []
const services: OnionRelayService[] = []
let impostor: PlexusRelay
let policy: PolicyRule[]

async function dhtNode(bootstrap?: DhtService): Promise<DhtService> {
  const node = await DhtService.start({
    env,
    bind: LOCAL,
    ...(bootstrap === undefined ? {} : { bootstrap: [bootstrap.address] }),
  })
  await node.joined
  dhts.push(node)
  return node
}

async function relayService(name: string, advertiseHost?: string): Promise<OnionRelayService> {
  const dht = await dhtNode(dhts[0])
  const service = new OnionRelayService(env, () => dht.agent, {
    relay: { stateDir: join(stateRoot, name), port: 0, bind: HOST, exitPolicy: policy, log },
    unixNow,
    refreshSec: 5,
    ...(advertiseHost === undefined ? {} : { advertiseHost }),
  })
  await promised<void>((done) => service.start(done))
  services.push(service)
  await new Promise<void>((resolve) => service.whenPublished(resolve))
  return service
}

before(async () => {
  env = createNodeEnv({ loopbackOnly: true })
  const parsed = parseExitPolicy(DEFAULT_EXIT_POLICY)
  assert.ok(parsed.ok)
  policy = parsed.value
  stateRoot = mkdtempSync(join(tmpdir(), 'plexus-onion-dht-'))
  http = createServer((_request, response) => {
    response.writeHead(200, { 'content-length': file.length })
    response.end(file)
  })
  await new Promise<void>((resolve) => http.listen(0, HOST, resolve))
  httpPort = (http.address() as AddressInfo).port
  const first = await dhtNode()
  for (let i = 0; i < 4; i++) await dhtNode(first)
})

after(async () => {
  for (const service of services) await promised<void>((done) => service.stop(done))
  impostor?.close()
  for (const dht of dhts) await new Promise<void>((resolve) => dht.agent.close(resolve))
  http?.close()
  rmSync(stateRoot, { recursive: true, force: true })
})

async function httpGet(stream: OnionStream): Promise<Uint8Array> {
  stream.write(`GET /file HTTP/1.0\r\nHost: ${HOST}\r\n\r\n`)
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  const response = Buffer.concat(chunks)
  const head = response.indexOf('\r\n\r\n')
  assert.ok(response.subarray(0, head).toString().startsWith('HTTP/1.1 200'))
  return new Uint8Array(response.subarray(head + 4))
}

test('a client builds a circuit through relays found in the DHT; forged records are refused', async () => {
  const honest = [
    await relayService('relay0'),
    await relayService('relay1'),
    await relayService('relay2'),
    await relayService('relay3'),
  ]
  // A relay whose signed record names an address it does not answer at.
  const liar = await relayService('liar', '127.0.0.2')
  // A running relay whose record is signed by some other key than its Ed25519 identity (an
  // attacker vouching for it): the client fetches under the identity CERTS prove, finds nothing.
  impostor = await PlexusRelay.start({
    stateDir: join(stateRoot, 'impostor'),
    port: 0,
    bind: HOST,
    exitPolicy: policy,
    log,
  })
  const attackerDht = await dhtNode(dhts[0])
  const attacker = new ServiceDirectory(
    { clock: env.clock, hashing: env.hashing, signing: env.signing, unixNow },
    () => attackerDht.agent,
    env.random.bytes(32),
  )
  const impostorAddress = { host: HOST, port: impostor.published.orPort }
  const forged = await promised<number>((done) =>
    attacker.publish(
      onionRelayDraft({
        address: impostorAddress,
        ed25519Identity: impostor.keys.ed25519Identity,
        ntorOnionKey: impostor.keys.ntor.onionKey,
        exitPolicy: policy,
      }),
      { lifetimeSec: 600, announcePort: impostorAddress.port },
      (result) => done(ok(result?.stored ?? 0)),
    ),
  )
  assert.ok(forged > 0, 'the forged record was stored (signed correctly, by the wrong key)')
  // An announce of a port where no relay answers (the HTTP server speaks no TLS).
  await new Promise<void>((resolve) =>
    attackerDht.agent.announce(serviceInfoHash(env.hashing, 'onion-relay'), httpPort, {}, () =>
      resolve(),
    ),
  )

  const clientDht = await dhtNode(dhts[0])
  const client = new DhtOnionClient(env, () => clientDht.agent, {
    unixNow,
    distinctSubnets: false,
    log,
    identifyTimeoutMs: 3000,
  })
  const found = await new Promise<DiscoveredOnionRelays>((resolve) => client.refresh(resolve))
  const fingerprints = (list: readonly { fingerprint: string }[]): string[] =>
    list.map((relay) => relay.fingerprint).sort()
  const honestFingerprints = honest.map((s) => s.relay?.published.fingerprint ?? '').sort()
  assert.deepEqual(fingerprints(found.relays), honestFingerprints)
  const refusedAt = new Map(found.refused.map((r) => [r.address, r.reason]))
  assert.equal(refusedAt.get(`${HOST}:${liar.relay?.published.orPort}`), 'address_mismatch')
  assert.equal(refusedAt.get(`${HOST}:${impostor.published.orPort}`), 'not_found')
  assert.equal(refusedAt.get(`${HOST}:${httpPort}`), 'unreachable')

  // Keys and policy come from the records: the relays' own.
  for (const relay of found.relays) {
    const service = honest.find((s) => s.relay?.published.fingerprint === relay.fingerprint)
    assert.deepEqual(
      new Uint8Array(relay.ntorOnionKey),
      new Uint8Array(service?.relay?.keys.ntor.onionKey ?? []),
    )
    assert.deepEqual(relay.exitPolicy, policy)
  }

  const { circuit, hops } = await client.circuitTo({ host: HOST, port: httpPort })
  try {
    assert.equal(circuit.protocol.hops, 3)
    assert.equal(new Set(hops.map((hop) => hop.fingerprint)).size, 3)
    for (const hop of hops) assert.ok(honestFingerprints.includes(hop.fingerprint))
    const body = await httpGet(await circuit.connect(HOST, httpPort))
    assert.equal(sha256(body), sha256(file))
    // No relay on the path knows both the client and the destination.
    const clientEnd = circuit.link.localEndpoint
    const destination = `${HOST}:${httpPort}`
    for (const service of honest) {
      const view = service.relay?.view ?? []
      for (const number of new Set(view.map((entry) => entry.circuit))) {
        const known = view.filter((entry) => entry.circuit === number).map((e) => e.address)
        assert.ok(!(known.includes(clientEnd) && known.includes(destination)))
      }
    }
  } finally {
    circuit.destroy()
  }
  // The guard is kept for the next circuit.
  const again = client.path({ host: HOST, port: httpPort })
  assert.ok(again.ok)
  assert.equal(again.value[0]?.fingerprint, hops[0]?.fingerprint)
})
