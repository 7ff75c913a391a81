/**
 * Interop with the real tor: a private network of tor 0.4.x authorities and relays on
 * loopback (test/support/tor-net.ts). plexus's client verifies the directory, builds 3-hop
 * circuits through tor relays only and fetches files from a local HTTP server byte-exact;
 * forged directory documents and a relay lying about its identity are refused; a middle
 * relay killed mid-stream gives one clean error and the next stream gets a rebuilt circuit.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { after, before, test } from 'node:test'
import { jsonLine, spawnPlexus } from '../../src/cli/spawn.js'
import type { Log } from '../../src/core/env.js'
import type { OnionStream } from '../../src/drivers/onion/circuit.js'
import { OnionClient, descriptorPath, parseAuthorities } from '../../src/drivers/onion/client.js'
import { fetchDirectoryDocument } from '../../src/drivers/onion/directory-fetch.js'
import { OnionLink } from '../../src/drivers/onion/link.js'
import { NodeOnionCrypto } from '../../src/drivers/onion/node-crypto.js'
import { verifyConsensus } from '../../src/protocols/onion/directory/consensus.js'
import { verifyDescriptors } from '../../src/protocols/onion/directory/descriptor.js'
import { policyAllows } from '../../src/protocols/onion/directory/exit-policy.js'
import { verifyKeyCertificates } from '../../src/protocols/onion/directory/key-certificate.js'
import { startTorNetwork, torInstalled, type TorNetwork } from '../support/tor-net.js'

const crypto = new NodeOnionCrypto()
const warnings: string[] = []
const log: Log = {
  log: (level, message, fields) => {
    if (level === 'warn') warnings.push(`${message} ${JSON.stringify(fields)}`)
  },
  child: () => log,
}

let network: TorNetwork
let server: Server
let serverPort: number
const file = new Uint8Array(1_500_000).map((_, i) => (i * 31 + (i >>> 8)) % 256)
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

before(async () => {
  assert.ok(torInstalled(), 'tor and tor-gencert are needed (.ci/run installs them)')
  server = createServer((request, response) => {
    const body = request.url === '/big' ? file : Buffer.from('hello through tor\n')
    response.writeHead(200, { 'content-length': body.length })
    response.end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  serverPort = (server.address() as AddressInfo).port
  network = await startTorNetwork({ relays: 3 })
})

after(() => {
  network?.stop()
  server?.close()
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

const bootstrap = () =>
  OnionClient.bootstrap({
    authorities: parseAuthorities(network.authorityLines.join('\n')),
    distinctSubnets: false,
    log,
  })

test('plexus builds 3-hop circuits through tor relays only and fetches a file byte-exact', async () => {
  const client = await bootstrap()
  try {
    assert.equal(client.consensus.signedBy.length, 3)
    const listed = new Set(client.consensus.routers.map((router) => router.fingerprint))
    for (let round = 0; round < 3; round++) {
      const circuit = await client.buildCircuit({ host: '127.0.0.1', port: serverPort })
      assert.equal(circuit.protocol.hops, 3)
      assert.equal(new Set(circuit.relays).size, 3)
      for (const relay of circuit.relays)
        assert.ok(listed.has(relay), 'every hop is a tor relay of the consensus')
      const body = await httpGet(await circuit.connect('127.0.0.1', serverPort), '/big')
      assert.equal(sha256(body), sha256(file))
      circuit.destroy()
    }
    const small = await httpGet(await client.connect('127.0.0.1', serverPort), '/small')
    assert.equal(Buffer.from(small).toString(), 'hello through tor\n')
    // The exit policy (127.0.0.0/8 only) is honoured by path selection: nothing allows 10.0.0.1.
    await assert.rejects(client.buildCircuit({ host: '10.0.0.1', port: 80 }), /no exit accepts/)
  } finally {
    client.close()
  }
})

test('a forged consensus, a minority of signatures and forged descriptors are refused', async () => {
  const authorities = parseAuthorities(network.authorityLines.join('\n'))
  const [first] = network.authorities
  assert.ok(first !== undefined)
  const fetch = (path: string) => fetchDirectoryDocument('127.0.0.1', first.dirPort, path)
  const now = Date.now()
  const trusted = new Set(authorities.map((authority) => authority.v3ident))
  const keys = verifyKeyCertificates(crypto, await fetch('/tor/keys/all'), trusted, now)
  assert.equal(new Set(keys.certificates.map((certificate) => certificate.fingerprint)).size, 3)
  const consensus = await fetch('/tor/status-vote/current/consensus')
  const genuine = verifyConsensus(crypto, consensus, authorities, keys.certificates, now)
  assert.ok(genuine.ok)
  // One router line changed: every signature fails.
  const forged = consensus.replace(/^r (\S+) /m, 'r evil ')
  const forgedResult = verifyConsensus(crypto, forged, authorities, keys.certificates, now)
  assert.ok(!forgedResult.ok && /signed by 0 of 3/.test(forgedResult.error))
  // Only one authority's signature left: not a majority.
  const signatures = consensus.indexOf('directory-signature ')
  const second = consensus.indexOf('\ndirectory-signature ', signatures + 1)
  const minority = verifyConsensus(
    crypto,
    consensus.slice(0, second + 1),
    authorities,
    keys.certificates,
    now,
  )
  assert.ok(!minority.ok && /signed by 1 of 3/.test(minority.error))
  // Key certificates of authorities we were not configured with count for nothing.
  assert.equal(
    verifyKeyCertificates(crypto, await fetch('/tor/keys/all'), new Set(['00'.repeat(20)]), now)
      .certificates.length,
    0,
  )
  // A descriptor altered after signing no longer matches the consensus digest.
  const descriptors = await fetch(descriptorPath(genuine.value))
  const honest = verifyDescriptors(crypto, descriptors, genuine.value)
  assert.equal(honest.refused.length, 0)
  const widened = descriptors.replaceAll('accept 127.0.0.0/8:*', 'accept *:*')
  const tampered = verifyDescriptors(crypto, widened, genuine.value)
  assert.equal(tampered.relays.length, honest.relays.length - 3)
  assert.ok(tampered.relays.every((relay) => !policyAllows(relay.exitPolicy, '10.0.0.1', 80)))
})

test('a relay whose CERTS do not prove the expected identity is refused', async () => {
  const client = await bootstrap()
  client.close()
  const [a, b] = client.relays
  assert.ok(a !== undefined && b !== undefined)
  const lie = OnionLink.open(
    crypto,
    { address: a.address, orPort: a.orPort, rsaIdDigest: b.rsaIdDigest },
    log,
  )
  await assert.rejects(lie, /relay CERTS refused/)
  const wrongEd = OnionLink.open(
    crypto,
    {
      address: a.address,
      orPort: a.orPort,
      rsaIdDigest: a.rsaIdDigest,
      ed25519Identity: new Uint8Array(32).fill(9),
    },
    log,
  )
  await assert.rejects(wrongEd, /Ed25519 identity differs/)
  const honest = await OnionLink.open(
    crypto,
    {
      address: a.address,
      orPort: a.orPort,
      rsaIdDigest: a.rsaIdDigest,
      ed25519Identity: a.ed25519Identity,
    },
    log,
  )
  assert.ok(honest.isOpen && honest.linkProtocol >= 4)
  honest.close()
  assert.ok(warnings.some((warning) => warning.includes('refused the relay identity')))
})

test('curl --socks5-hostname through plexus onion socks fetches a local page; plexus onion fetch too', async () => {
  const socks = spawnPlexus(
    [
      'onion',
      'socks',
      '--port',
      '0',
      '--authorities',
      network.authoritiesFile,
      '--no-distinct-subnets',
      '--json',
    ],
    false,
  )
  try {
    const port = await socks.waitForLine((line) => {
      const event = jsonLine(line)
      return event?.type === 'listening' ? Number(event['port']) : undefined
    }, 60_000)
    // Asynchronously: the HTTP server answering curl lives in this process.
    const curl = await promisify(execFile)(
      'curl',
      [
        '-sS',
        '--max-time',
        '30',
        '--socks5-hostname',
        `127.0.0.1:${port}`,
        `http://127.0.0.1:${serverPort}/big`,
      ],
      { encoding: 'buffer', maxBuffer: 8 * 1024 * 1024 },
    )
    assert.equal(sha256(curl.stdout), sha256(file))
  } finally {
    await socks.stop()
  }
  const fetch = spawnPlexus(
    [
      'onion',
      'fetch',
      `http://127.0.0.1:${serverPort}/small`,
      '--authorities',
      network.authoritiesFile,
      '--no-distinct-subnets',
      '--json',
    ],
    false,
  )
  const fetched = await fetch.waitForLine((line) => {
    const event = jsonLine(line)
    return event?.type === 'fetched' ? event : undefined
  }, 60_000)
  assert.equal(fetched['status'], 200)
  assert.equal(fetched['bytes'], 'hello through tor\n'.length)
  assert.equal(await fetch.exited, 0)
})

test('a middle relay killed mid-stream gives one clean error, and the next stream a rebuilt circuit', async () => {
  const client = await bootstrap()
  try {
    const byName = new Map(client.relays.map((relay) => [relay.nickname, relay]))
    const [guard, middle, exit] = ['relay0', 'relay1', 'relay2'].map((name) => byName.get(name))
    assert.ok(guard !== undefined && middle !== undefined && exit !== undefined)
    const circuit = await client.buildPath({ guard, middle, exit })
    const stream = await circuit.connect('127.0.0.1', serverPort)
    stream.write('GET /big HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n')
    const errors: Error[] = []
    let received = 0
    let killed = false
    const done = new Promise<void>((resolve) => {
      stream.on('data', (chunk: Buffer) => {
        received += chunk.length
        if (!killed) {
          killed = true
          // Paused, the stream holds its SENDMEs: the exit stops within one window, so the
          // download cannot finish before the middle relay is gone.
          stream.pause()
          network.killRelay('relay1')
          setTimeout(() => stream.resume(), 200)
        }
      })
      stream.on('error', (error) => errors.push(error))
      stream.on('close', resolve)
    })
    await done
    assert.equal(errors.length, 1, `one error, got ${errors.map((e) => e.message).join('; ')}`)
    assert.match(errors[0]!.message, /circuit closed/)
    assert.ok(received < file.length + 100)
    const body = await httpGet(await client.connect('127.0.0.1', serverPort), '/big')
    assert.equal(sha256(body), sha256(file))
    assert.ok(
      !client.builds.at(-1)!.path.includes(middle.fingerprint),
      'the rebuilt circuit avoids the dead relay',
    )
  } finally {
    client.close()
  }
})
