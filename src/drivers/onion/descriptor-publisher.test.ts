import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { verifyServerDescriptor } from '../../protocols/onion/directory/server-descriptor-verify.js'
import { silentLog } from '../node/log.js'
import { DescriptorPublisher } from './descriptor-publisher.js'
import { NodeOnionCrypto } from './node-crypto.js'
import { PlexusRelay } from './relay-server.js'
import { loadRelayKeys, type RelayKeys } from './relay-keys.js'

const crypto = new NodeOnionCrypto()

/** A stand-in authority DirPort on loopback: records each POST /tor/ and answers `status`. */
class FakeAuthority {
  readonly uploads: string[] = []
  status = 200
  private waiters: (() => void)[] = []
  private constructor(private readonly server: Server) {}

  static async start(): Promise<FakeAuthority> {
    const holder: { authority?: FakeAuthority } = {}
    const server = createServer((request, response) => {
      const chunks: Buffer[] = []
      request.on('data', (chunk: Buffer) => chunks.push(chunk))
      request.on('end', () => {
        const authority = holder.authority
        if (authority === undefined) return
        authority.uploads.push(`${request.method} ${request.url}\n${Buffer.concat(chunks)}`)
        response.writeHead(authority.status, authority.status === 200 ? 'OK' : 'Refused')
        response.end()
        for (const wake of authority.waiters.splice(0)) wake()
      })
    })
    const authority = new FakeAuthority(server)
    holder.authority = authority
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return authority
  }

  get dirPort(): number {
    return (this.server.address() as AddressInfo).port
  }

  /** Resolves once `count` uploads have arrived. */
  async waitFor(count: number): Promise<void> {
    while (this.uploads.length < count)
      await new Promise<void>((resolve) => this.waiters.push(resolve))
  }

  close(): void {
    this.server.close()
  }
}

let dir: string
let keys: RelayKeys
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'plexus-publisher-'))
  keys = loadRelayKeys(dir)
})
after(() => rmSync(dir, { recursive: true, force: true }))

const descriptor = {
  nickname: 'plexuspub',
  address: '127.0.0.1',
  orPort: 9001,
  exitPolicy: [],
  bandwidth: 1_048_576,
}

test(
  'the publisher uploads a descriptor that verifies, then again every period until closed',
  { timeout: 20_000 },
  async () => {
    const authority = await FakeAuthority.start()
    const publisher = new DescriptorPublisher(keys, {
      authorities: [{ host: '127.0.0.1', dirPort: authority.dirPort }],
      descriptor,
      everyMs: 40,
      log: silentLog,
    })
    try {
      const answers = await publisher.publish()
      assert.deepEqual(
        answers.map((answer) => answer.status),
        [200],
      )
      await authority.waitFor(3)
      for (const upload of authority.uploads) {
        const [requestLine, ...body] = upload.split('\n')
        assert.equal(requestLine, 'POST /tor/')
        const verified = verifyServerDescriptor(crypto, body.join('\n'), Date.now())
        assert.ok(verified.ok, verified.ok ? '' : verified.error)
        assert.equal(verified.value.fingerprint, keys.fingerprint)
      }
    } finally {
      publisher.close()
    }
    const count = authority.uploads.length
    await new Promise((resolve) => setTimeout(resolve, 200))
    assert.equal(authority.uploads.length, count, 'no upload after close')
    authority.close()
  },
)

test(
  'an upload an authority refused is retried after retryMs, not after the long period',
  { timeout: 20_000 },
  async () => {
    const authority = await FakeAuthority.start()
    authority.status = 400
    const publisher = new DescriptorPublisher(keys, {
      authorities: [{ host: '127.0.0.1', dirPort: authority.dirPort }],
      descriptor,
      everyMs: 3_600_000,
      retryMs: 30,
      log: silentLog,
    })
    try {
      const first = await publisher.publish()
      assert.deepEqual(
        first.map((answer) => [answer.status, answer.reason]),
        [[400, 'Refused']],
      )
      authority.status = 200
      // Without the retry the next upload would be an hour away and this would time out.
      await authority.waitFor(2)
    } finally {
      publisher.close()
      authority.close()
    }
  },
)

test('an unreachable authority is an answer with status 0 and a reason, not an exception', async () => {
  const authority = await FakeAuthority.start()
  const dirPort = authority.dirPort
  authority.close()
  const publisher = new DescriptorPublisher(keys, {
    authorities: [{ host: '127.0.0.1', dirPort }],
    descriptor,
    log: silentLog,
  })
  try {
    const [answer] = await publisher.publish()
    assert.equal(answer?.status, 0)
    assert.match(answer?.reason ?? '', /ECONNREFUSED/)
  } finally {
    publisher.close()
  }
})

test('a relay that publishes authenticates the links it opens; one that does not, does not', async () => {
  const authority = await FakeAuthority.start()
  const common = { port: 0, bind: '127.0.0.1', exitPolicy: [], log: silentLog }
  const listed = await PlexusRelay.start({
    ...common,
    stateDir: join(dir, 'listed'),
    publish: { authorities: [{ host: '127.0.0.1', dirPort: authority.dirPort }], bandwidth: 1024 },
  })
  const unlisted = await PlexusRelay.start({ ...common, stateDir: join(dir, 'unlisted') })
  const overridden = await PlexusRelay.start({
    ...common,
    stateDir: join(dir, 'overridden'),
    authenticateLinks: false,
    publish: { authorities: [{ host: '127.0.0.1', dirPort: authority.dirPort }], bandwidth: 1024 },
  })
  try {
    assert.deepEqual(
      (await listed.firstUpload).map((answer) => answer.status),
      [200],
    )
    assert.deepEqual(await unlisted.firstUpload, [])
    assert.equal(listed.authenticatesLinks, true)
    assert.equal(unlisted.authenticatesLinks, false)
    assert.equal(overridden.authenticatesLinks, false)
    // The listed relay's descriptor names its real OR port (port 0 was asked for).
    const body = authority.uploads[0]?.split('\n').slice(1).join('\n') ?? ''
    assert.match(
      body,
      new RegExp(`^router plexus[0-9A-F]{8} 127\\.0\\.0\\.1 ${listed.published.orPort} 0 0$`, 'm'),
    )
    await overridden.firstUpload
  } finally {
    listed.close()
    unlisted.close()
    overridden.close()
    authority.close()
  }
})
