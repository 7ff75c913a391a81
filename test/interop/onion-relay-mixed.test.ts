/**
 * Mixed circuits: plexus relays and tor 0.4.x relays of a private network on loopback
 * (test/support/tor-net.ts) in one circuit.
 *   - plexus guard -> tor middle -> tor exit: the plexus relay extends into tor (as a client
 *     link: its CERTS check of tor, EXTEND2 -> CREATE2, cells relayed both ways);
 *   - tor guard -> tor middle -> plexus exit: a tor relay extends into a plexus relay, so
 *     tor (as link initiator) accepts the plexus relay's TLS certificate and CERTS chain,
 *     and the plexus relay is the exit (its policy: loopback only);
 *   - tor guard -> plexus middle -> tor exit: the circuit builds, but the tor exit refuses
 *     BEGIN with END reason TORPROTOCOL (13): the plexus relay's link to it does not
 *     authenticate (no AUTHENTICATE cell), so tor takes the circuit for a client's first hop
 *     and refuses to be a one-hop proxy;
 *   - with AUTHENTICATE (AUTH0003, `authenticateLinks`): tor accepts it (a plexus guard's
 *     circuit through tor works), tor then extends circuits into the plexus relay over the
 *     link the plexus relay opened, and a tor exit after an authenticating plexus middle
 *     answers END 1: a relay-to-relay link, but from a relay missing from its consensus.
 * Once a plexus relay publishes its descriptor and is listed, a tor exit accepts streams after
 * it: test/interop/onion-tor-client-plexus.test.ts.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { CryptoRandom } from '../../src/drivers/node/random.js'
import type { OnionStream } from '../../src/drivers/onion/circuit.js'
import { OnionClient, parseAuthorities } from '../../src/drivers/onion/client.js'
import {
  buildCircuitThrough,
  descriptorOfPublished,
  openGuardLink,
} from '../../src/drivers/onion/named-circuit.js'
import { NodeOnionCrypto } from '../../src/drivers/onion/node-crypto.js'
import type { PlexusRelay } from '../../src/drivers/onion/relay-server.js'
import type { RelayDescriptor } from '../../src/protocols/onion/directory/descriptor.js'
import { startTorNetwork, torInstalled, type TorNetwork } from '../support/tor-net.js'
import { startPlexusRelays, warningLog } from '../support/onion-relays.js'

const crypto = new NodeOnionCrypto()
const random = new CryptoRandom()
const { log } = warningLog()

let network: TorNetwork
let client: OnionClient
let server: Server
let serverPort: number
let stateRoot: string
let plexus: PlexusRelay[] = []
/**
 * Plexus relays whose links into tor authenticate (CERTS + AUTHENTICATE, AUTH0003): one as a
 * guard, one as a middle. tor reuses an authenticated link in both directions: a tor relay
 * asked to extend to a plexus relay that already opened a link to it sends CREATE2 down that
 * link (served: a test below); two relays keep the cases apart.
 */
let plexusAuthenticating: PlexusRelay
let plexusAuthenticatingMiddle: PlexusRelay
let tor: RelayDescriptor[] = []
const file = new Uint8Array(800_000).map((_, i) => (i * 13 + (i >>> 9)) % 256)
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

before(async () => {
  assert.ok(torInstalled(), 'tor and tor-gencert are needed (.ci/run installs them)')
  server = createServer((_request, response) => {
    response.writeHead(200, { 'content-length': file.length })
    response.end(file)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  serverPort = (server.address() as AddressInfo).port
  stateRoot = mkdtempSync(join(tmpdir(), 'plexus-mixed-relays-'))
  plexus = await startPlexusRelays(stateRoot, 2, log, 'plexus')
  ;[plexusAuthenticating, plexusAuthenticatingMiddle] = (await startPlexusRelays(
    stateRoot,
    2,
    log,
    'plexus-auth',
    { authenticateLinks: true },
  )) as [PlexusRelay, PlexusRelay]
  network = await startTorNetwork({ relays: 3 })
  client = await OnionClient.bootstrap({
    authorities: parseAuthorities(network.authorityLines.join('\n')),
    distinctSubnets: false,
    log,
  })
  tor = network.relays.map((relay) => {
    const found = client.relays.find((descriptor) => descriptor.nickname === relay.nickname)
    assert.ok(found !== undefined, `${relay.nickname} is in the verified directory`)
    return found
  })
})

after(() => {
  client?.close()
  for (const relay of plexus) relay.close()
  plexusAuthenticating?.close()
  plexusAuthenticatingMiddle?.close()
  network?.stop()
  server?.close()
  if (stateRoot !== undefined) rmSync(stateRoot, { recursive: true, force: true })
})

async function httpGet(stream: OnionStream): Promise<Uint8Array> {
  stream.write(`GET /file HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n`)
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  const response = Buffer.concat(chunks)
  const head = response.indexOf('\r\n\r\n')
  assert.ok(response.subarray(0, head).toString().startsWith('HTTP/1.1 200'))
  return new Uint8Array(response.subarray(head + 4))
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}

/** Median build time on one open link to the first hop (as a client keeps its guard link). */
async function timedBuilds(hops: RelayDescriptor[], count: number): Promise<number> {
  const guardLink = await openGuardLink(crypto, log, hops[0] as RelayDescriptor)
  const times: number[] = []
  try {
    for (let i = 0; i < count; i++) {
      const { circuit, buildMs } = await buildCircuitThrough(crypto, random, log, hops, guardLink)
      times.push(buildMs)
      circuit.destroy()
    }
  } finally {
    guardLink.close()
  }
  return median(times)
}

test('plexus guard -> tor middle -> tor exit fetches a file byte-exact', async (t) => {
  const [p0] = plexus as [PlexusRelay]
  const [r0, r1] = tor as [RelayDescriptor, RelayDescriptor]
  const { circuit, buildMs } = await buildCircuitThrough(crypto, random, log, [
    descriptorOfPublished(p0.published),
    r0,
    r1,
  ])
  try {
    t.diagnostic(`build plexus -> tor -> tor: ${buildMs.toFixed(1)} ms`)
    assert.equal(circuit.protocol.hops, 3)
    const body = await httpGet(await circuit.connect('127.0.0.1', serverPort))
    assert.equal(sha256(body), sha256(file))
    assert.ok(
      p0.view.some((entry) => entry.kind === 'next' && entry.address.endsWith(`:${r0.orPort}`)),
    )
    assert.ok(!p0.view.some((entry) => entry.kind === 'destination'))
  } finally {
    circuit.destroy()
  }
})

test('tor guard -> tor middle -> plexus exit: tor accepts the plexus CERTS and extends into it', async (t) => {
  const [, p1] = plexus as [PlexusRelay, PlexusRelay]
  const [r0, r1] = tor as [RelayDescriptor, RelayDescriptor]
  const { circuit, buildMs } = await buildCircuitThrough(crypto, random, log, [
    r0,
    r1,
    descriptorOfPublished(p1.published),
  ])
  try {
    t.diagnostic(`build tor -> tor -> plexus: ${buildMs.toFixed(1)} ms`)
    const body = await httpGet(await circuit.connect('127.0.0.1', serverPort))
    assert.equal(sha256(body), sha256(file))
    const client = circuit.link.localEndpoint
    assert.ok(p1.view.some((entry) => entry.kind === 'destination'))
    assert.ok(!p1.view.some((entry) => entry.address === client), 'the exit never sees the client')
    // And the exit policy holds for tor-built circuits too.
    await assert.rejects(circuit.connect('10.1.2.3', 80), /END reason 4/)
  } finally {
    circuit.destroy()
  }
})

test('an authenticating plexus guard -> tor -> tor: tor accepts its AUTHENTICATE (AUTH0003)', async () => {
  // tor closes a link whose AUTHENTICATE body differs from its own computation; the circuit
  // (CREATE2 right after AUTHENTICATE on that link) and the download prove it was accepted.
  const [r0, r1] = tor as [RelayDescriptor, RelayDescriptor]
  const { circuit } = await buildCircuitThrough(crypto, random, log, [
    descriptorOfPublished(plexusAuthenticating.published),
    r0,
    r1,
  ])
  try {
    const body = await httpGet(await circuit.connect('127.0.0.1', serverPort))
    assert.equal(sha256(body), sha256(file))
  } finally {
    circuit.destroy()
  }
})

test('a tor relay extends into a plexus relay over the authenticated link that relay opened to it', async () => {
  // The plexus relay opens (and authenticates) a link to r0 as a guard; tor keeps that link
  // for both directions, so extending r0 -> plexus sends CREATE2 down it, toward the relay
  // that opened it. The relay serves circuits on its outbound links: the download works.
  const [r0, r1] = tor as [RelayDescriptor, RelayDescriptor]
  const plexusHop = descriptorOfPublished(plexusAuthenticating.published)
  const opener = await buildCircuitThrough(crypto, random, log, [plexusHop, r0, r1])
  opener.circuit.destroy()
  const { circuit } = await buildCircuitThrough(crypto, random, log, [r1, r0, plexusHop])
  try {
    const body = await httpGet(await circuit.connect('127.0.0.1', serverPort))
    assert.equal(sha256(body), sha256(file))
    // The circuit came in on the link the relay dialled (its previous hop is r0's OR port,
    // not the ephemeral port of a link r0 would have opened to us).
    const previous = plexusAuthenticating.view.filter((entry) => entry.kind === 'previous')
    assert.ok(previous.some((entry) => entry.address === `${r0.address}:${r0.orPort}`))
  } finally {
    circuit.destroy()
  }
})

test('tor guard -> authenticating plexus middle -> tor exit: BEGIN refused as from an unknown relay (1)', async () => {
  // Authenticated, the link is relay-to-relay for the exit (no longer END 13, "on first hop of
  // circuit"), but the plexus relay is not in the consensus: RefuseUnknownExits answers
  // END_STREAM_REASON_MISC ("from unknown relay").
  const [r0, , r2] = tor as [RelayDescriptor, RelayDescriptor, RelayDescriptor]
  const { circuit } = await buildCircuitThrough(crypto, random, log, [
    r0,
    descriptorOfPublished(plexusAuthenticatingMiddle.published),
    r2,
  ])
  try {
    await assert.rejects(circuit.connect('127.0.0.1', serverPort), /END reason 1\b/)
  } finally {
    circuit.destroy()
  }
})

test('tor guard -> plexus middle -> tor exit builds, and the tor exit refuses BEGIN (13)', async () => {
  const [p0] = plexus as [PlexusRelay]
  const [r0, , r2] = tor as [RelayDescriptor, RelayDescriptor, RelayDescriptor]
  const { circuit } = await buildCircuitThrough(crypto, random, log, [
    r0,
    descriptorOfPublished(p0.published),
    r2,
  ])
  try {
    assert.equal(circuit.protocol.hops, 3)
    await assert.rejects(circuit.connect('127.0.0.1', serverPort), /END reason 13/)
  } finally {
    circuit.destroy()
  }
})

test('build times on an open guard link: tor only vs plexus guard vs plexus exit (median of 9 each)', async (t) => {
  const [p0, p1] = plexus as [PlexusRelay, PlexusRelay]
  const [r0, r1, r2] = tor as [RelayDescriptor, RelayDescriptor, RelayDescriptor]
  const torOnly = await timedBuilds([r0, r1, r2], 9)
  const plexusGuard = await timedBuilds([descriptorOfPublished(p0.published), r1, r2], 9)
  const plexusExit = await timedBuilds([r0, r1, descriptorOfPublished(p1.published)], 9)
  t.diagnostic(
    `median 3-hop build: tor only ${torOnly.toFixed(1)} ms, plexus guard ${plexusGuard.toFixed(1)} ms, plexus exit ${plexusExit.toFixed(1)} ms`,
  )
  assert.ok(plexusGuard < 5000 && plexusExit < 5000)
})
