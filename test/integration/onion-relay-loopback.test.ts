/**
 * Three plexus relays on 127.0.0.1 (real TLS links, real TCP at the exit): a plexus client
 * builds 3-hop circuits through them with CREATE2/EXTEND2 and fetches a file byte-exact from
 * a local HTTP server; an upload larger than every window comes back through an echo server;
 * the exit refuses what its policy forbids with END EXITPOLICY; RESOLVE answers literals.
 * Each relay's view (test hook) never holds both the client's address and the destination.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import {
  createServer as createTcpServer,
  type AddressInfo,
  type Server as TcpServer,
} from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import type { OnionStream } from '../../src/drivers/onion/circuit.js'
import {
  buildCircuitThrough,
  descriptorOfPublished,
  openGuardLink,
} from '../../src/drivers/onion/named-circuit.js'
import { NodeOnionCrypto } from '../../src/drivers/onion/node-crypto.js'
import type { PlexusRelay } from '../../src/drivers/onion/relay-server.js'
import { CryptoRandom } from '../../src/drivers/node/random.js'
import type { RelayDescriptor } from '../../src/protocols/onion/directory/descriptor.js'
import { startPlexusRelays, warningLog } from '../support/onion-relays.js'

const crypto = new NodeOnionCrypto()
const random = new CryptoRandom()
const { log } = warningLog()

const file = new Uint8Array(1_500_000).map((_, i) => (i * 31 + (i >>> 8)) % 256)
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

let stateRoot: string
let relays: PlexusRelay[] = []
let hops: RelayDescriptor[] = []
let http: Server
let httpPort: number
let echo: TcpServer
let echoPort: number

before(async () => {
  stateRoot = mkdtempSync(join(tmpdir(), 'plexus-onion-relays-'))
  relays = await startPlexusRelays(stateRoot, 3, log)
  hops = relays.map((relay) => descriptorOfPublished(relay.published))
  http = createServer((request, response) => {
    const body = request.url === '/big' ? file : Buffer.from('hello through plexus relays\n')
    response.writeHead(200, { 'content-length': body.length })
    response.end(body)
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  httpPort = (http.address() as AddressInfo).port
  echo = createTcpServer((socket) => socket.pipe(socket))
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve))
  echoPort = (echo.address() as AddressInfo).port
})

after(() => {
  for (const relay of relays) relay.close()
  http?.close()
  echo?.close()
  rmSync(stateRoot, { recursive: true, force: true })
})

async function httpGet(stream: OnionStream, path: string): Promise<Uint8Array> {
  stream.write(`GET ${path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n`)
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  const response = Buffer.concat(chunks)
  const head = response.indexOf('\r\n\r\n')
  assert.ok(response.subarray(0, head).toString().startsWith('HTTP/1.1 200'))
  return new Uint8Array(response.subarray(head + 4))
}

test('a 3-hop circuit through three plexus relays fetches a file byte-exact', async (t) => {
  const { circuit, buildMs } = await buildCircuitThrough(crypto, random, log, hops)
  try {
    assert.equal(circuit.protocol.hops, 3)
    t.diagnostic(`3-hop build through plexus relays: ${buildMs.toFixed(1)} ms`)
    const started = performance.now()
    const body = await httpGet(await circuit.connect('127.0.0.1', httpPort), '/big')
    const seconds = (performance.now() - started) / 1000
    assert.equal(body.length, file.length)
    assert.equal(sha256(body), sha256(file))
    t.diagnostic(
      `1.5 MB in ${seconds.toFixed(2)} s (${(file.length / seconds / 1e6).toFixed(1)} MB/s)`,
    )

    // The relays' views: the guard knows the client, the exit the destination, none both.
    const client = circuit.link.localEndpoint
    const destination = `127.0.0.1:${httpPort}`
    const [guard, , exit] = relays as [PlexusRelay, PlexusRelay, PlexusRelay]
    assert.ok(guard.view.some((entry) => entry.kind === 'previous' && entry.address === client))
    assert.ok(
      exit.view.some((entry) => entry.kind === 'destination' && entry.address === destination),
    )
    for (const relay of relays) {
      const circuits = new Set(relay.view.map((entry) => entry.circuit))
      for (const number of circuits) {
        const known = relay.view.filter((entry) => entry.circuit === number).map((e) => e.address)
        assert.ok(
          !(known.includes(client) && known.includes(destination)),
          `relay ${relay.published.nickname} knows both ends: ${known.join(', ')}`,
        )
      }
    }
  } finally {
    circuit.destroy()
  }
})

test('an upload larger than the circuit and stream windows comes back through an echo', async () => {
  const { circuit } = await buildCircuitThrough(crypto, random, log, hops)
  try {
    const stream = await circuit.connect('127.0.0.1', echoPort)
    const upload = new Uint8Array(700_000).map((_, i) => (i * 7) % 251)
    const received: Buffer[] = []
    let total = 0
    const done = new Promise<void>((resolve) => {
      stream.on('data', (chunk: Buffer) => {
        received.push(chunk)
        total += chunk.length
        if (total >= upload.length) resolve()
      })
    })
    stream.write(upload)
    await done
    assert.equal(sha256(Buffer.concat(received)), sha256(upload))
    stream.destroy()
  } finally {
    circuit.destroy()
  }
})

test('the exit refuses destinations outside its policy with END EXITPOLICY and resolves only literals', async () => {
  const { circuit } = await buildCircuitThrough(crypto, random, log, hops)
  try {
    await assert.rejects(circuit.connect('10.0.0.1', 80), /END reason 4/)
    await assert.rejects(circuit.connect('localhost', httpPort), /END reason 4/)
    assert.ok(relays[2]?.refusals.some((r) => /10\.0\.0\.1:80 refused by the exit policy/.test(r)))
    assert.ok(!relays[2]?.view.some((entry) => entry.address.startsWith('10.0.0.1')))
    const literal = await circuit.resolve('127.0.0.7')
    assert.deepEqual(literal, [{ type: 'ipv4', address: Uint8Array.of(127, 0, 0, 7), ttl: 300 }])
    const name = await circuit.resolve('example.com')
    assert.equal(name[0]?.type, 'error')
    // The circuit is still usable after refusals.
    const body = await httpGet(await circuit.connect('127.0.0.1', httpPort), '/small')
    assert.equal(Buffer.from(body).toString(), 'hello through plexus relays\n')
  } finally {
    circuit.destroy()
  }
})

test('a relay restarted on the same state keeps its identity, and clients reach it again', async () => {
  const [first] = (await startPlexusRelays(stateRoot, 1, log, 'restart')) as [PlexusRelay]
  const fingerprint = first.published.fingerprint
  first.close()
  // The same state folder (`restart0`) again.
  const [second] = (await startPlexusRelays(stateRoot, 1, log, 'restart')) as [PlexusRelay]
  try {
    assert.equal(second.published.fingerprint, fingerprint)
    assert.equal(second.published.ed25519Id, first.published.ed25519Id)
    const { circuit } = await buildCircuitThrough(crypto, random, log, [
      hops[0] as RelayDescriptor,
      descriptorOfPublished(second.published),
    ])
    const body = await httpGet(await circuit.connect('127.0.0.1', httpPort), '/small')
    assert.equal(Buffer.from(body).toString(), 'hello through plexus relays\n')
    circuit.destroy()
  } finally {
    second.close()
  }
})

test('circuit build time through three plexus relays (median of 15, new and reused guard link)', async (t) => {
  const median = (times: number[]): number => [...times].sort((a, b) => a - b)[7] as number
  const fresh: number[] = []
  for (let i = 0; i < 15; i++) {
    const { circuit, buildMs } = await buildCircuitThrough(crypto, random, log, hops)
    fresh.push(buildMs)
    circuit.destroy()
  }
  const guardLink = await openGuardLink(crypto, log, hops[0] as RelayDescriptor)
  const reused: number[] = []
  try {
    for (let i = 0; i < 15; i++) {
      const { circuit, buildMs } = await buildCircuitThrough(crypto, random, log, hops, guardLink)
      reused.push(buildMs)
      circuit.destroy()
    }
  } finally {
    guardLink.close()
  }
  t.diagnostic(
    `median 3-hop build: ${median(fresh).toFixed(1)} ms with a new guard link, ${median(reused).toFixed(1)} ms on an open one`,
  )
  assert.ok(median(reused) < 2000, `median build ${median(reused)} ms`)
})
