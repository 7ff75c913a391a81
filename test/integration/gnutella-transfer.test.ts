import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { createServer, request, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { downloadMultiSource } from '../../src/drivers/gnutella/multi-source-download.js'
import { scanShare, type SharedFolder } from '../../src/drivers/gnutella/share.js'
import {
  startTransferServer,
  type TransferServer,
} from '../../src/drivers/gnutella/transfer-server.js'
import { getPath, n2rPath } from '../../src/protocols/gnutella/transfer/target.js'

/** Real HTTP on 127.0.0.1: shared folders, Range serving and multi-source downloads. */
const LOCAL = { host: '127.0.0.1', port: 0 }

interface Reply {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly body: Buffer
}

function get(server: TransferServer, path: string, range?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { ...server.address, path, headers: range === undefined ? {} : { range } },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        )
      },
    )
    req.on('error', reject)
    req.end()
  })
}

async function sharing(
  root: string,
  name: string,
  content: Buffer,
): Promise<{ folder: SharedFolder; server: TransferServer }> {
  const dir = join(root, name)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'song.bin'), content)
  const folder = await scanShare(dir)
  return { folder, server: await startTransferServer({ folder, bind: LOCAL }) }
}

test('the HTTP side: URN and index targets, ranges, 416 outside the file, no traversal, no links', async () => {
  const root = mkdtempSync(join(tmpdir(), 'plexus-gnutella-http-'))
  const content = randomBytes(100_000)
  writeFileSync(join(root, 'secret.txt'), 'outside the share')
  const dir = join(root, 'share')
  mkdirSync(join(dir, 'sub'), { recursive: true })
  writeFileSync(join(dir, 'sub', 'Blue Danube.mp3'), content)
  symlinkSync(join(root, 'secret.txt'), join(dir, 'link.txt'))
  symlinkSync(root, join(dir, 'linkdir'))
  const skipped: string[] = []
  const folder = await scanShare(dir, { onSkip: (p) => skipped.push(p) })
  const log: string[] = []
  const server = await startTransferServer({ folder, bind: LOCAL, log: (l) => log.push(l) })
  try {
    assert.deepEqual(
      [...folder.byIndex.values()].map((e) => e.fileName),
      ['Blue Danube.mp3'],
    )
    assert.deepEqual(skipped.sort(), ['link.txt', 'linkdir'])
    const entry = folder.byIndex.get(1)
    assert.ok(entry !== undefined)
    assert.match(entry.urn, /^urn:sha1:[A-Z2-7]{32}$/)
    assert.deepEqual(
      folder.library.search('danube', []).map((r) => r.urns),
      [[entry.urn]],
    )

    const whole = await get(server, n2rPath(entry.urn))
    assert.equal(whole.status, 200)
    assert.ok(whole.body.equals(content))
    assert.equal(whole.headers['x-gnutella-content-urn'], entry.urn)

    const part = await get(server, getPath(1, 'Blue Danube.mp3'), 'bytes=99990-')
    assert.equal(part.status, 206)
    assert.equal(part.headers['content-range'], 'bytes 99990-99999/100000')
    assert.ok(part.body.equals(content.subarray(99_990)))

    const outside = await get(server, getPath(1, 'Blue Danube.mp3'), 'bytes=100000-100010')
    assert.equal(outside.status, 416)
    assert.equal(outside.headers['content-range'], 'bytes */100000')

    for (const path of [
      '/get/1/..%2F..%2Fsecret.txt',
      '/get/1/../../secret.txt',
      '/get/2/link.txt',
      '/get/1/secret.txt',
      '/secret.txt',
      `/uri-res/N2R?urn:sha1:${'A'.repeat(32)}`,
    ]) {
      const r = await get(server, path)
      assert.equal(r.status, 404, path)
      assert.ok(!r.body.toString().includes('outside the share'))
    }
    assert.ok(log.some((l) => l.startsWith('http 416')))
  } finally {
    await server.close()
    rmSync(root, { recursive: true, force: true })
  }
})

test('a multi-source download survives one source being killed mid-transfer, byte-exact', async () => {
  const root = mkdtempSync(join(tmpdir(), 'plexus-gnutella-multi-'))
  const content = randomBytes(4 * 1024 * 1024 + 12_345)
  const sources = await Promise.all(['a', 'b', 'c'].map((n) => sharing(root, n, content)))
  const out = join(root, 'out')
  mkdirSync(out)
  try {
    const [, victim] = sources
    assert.ok(victim !== undefined)
    const victimKey = `127.0.0.1:${victim.server.address.port}`
    let killed = false
    const entry = victim.folder.byIndex.get(1)
    assert.ok(entry !== undefined)
    const result = await downloadMultiSource({
      sources: sources.map((s) => ({ ...s.server.address, path: getPath(1, 'song.bin') })),
      length: content.length,
      urn: entry.urn,
      outDir: out,
      fileName: 'song.bin',
      chunkBytes: 512 * 1024,
      onProgress: (source) => {
        // The first bytes from the victim: it dies with its chunk half sent.
        if (source !== victimKey || killed) return
        killed = true
        void victim.server.close()
      },
    })
    assert.ok(killed)
    assert.ok(readFileSync(result.path).equals(content), 'byte-exact')
    assert.deepEqual(result.droppedSources, [victimKey])
    const others = Object.entries(result.bytesBySource).filter(([k]) => k !== victimKey)
    assert.equal(others.length, 2)
    assert.ok(others.every(([, n]) => n > 0))
    assert.deepEqual(readdirSync(out), ['song.bin'], 'no .part left behind')
  } finally {
    await Promise.all(sources.map((s) => s.server.close()))
    rmSync(root, { recursive: true, force: true })
  }
})

test('a source that dies half-way through a range: the range moves, the file is exact', async () => {
  const root = mkdtempSync(join(tmpdir(), 'plexus-gnutella-half-'))
  const content = randomBytes(1024 * 1024)
  const good = await sharing(root, 'good', content)
  // Answers every range with 206 and the right header, sends half the bytes, then resets.
  const dying = createServer((req, res) => {
    const m = /bytes=(\d+)-(\d+)/.exec(req.headers.range ?? '')
    const start = Number(m?.[1])
    const end = Number(m?.[2])
    res.writeHead(206, {
      'content-length': String(end - start + 1),
      'content-range': `bytes ${start}-${end}/${content.length}`,
    })
    res.write(content.subarray(start, start + Math.floor((end - start + 1) / 2)), () =>
      res.destroy(),
    )
  })
  await new Promise<void>((r) => dying.listen(0, '127.0.0.1', r))
  const dyingPort = (dying.address() as AddressInfo).port
  const out = join(root, 'out')
  mkdirSync(out)
  try {
    const entry = good.folder.byIndex.get(1)
    assert.ok(entry !== undefined)
    const result = await downloadMultiSource({
      sources: [
        { host: '127.0.0.1', port: dyingPort, path: getPath(1, 'song.bin') },
        { ...good.server.address, path: getPath(1, 'song.bin') },
      ],
      length: content.length,
      urn: entry.urn,
      outDir: out,
      fileName: '../../escape/song.bin',
      chunkBytes: 128 * 1024,
    })
    assert.equal(result.path, join(out, 'song.bin'), 'only the last name component is used')
    assert.ok(readFileSync(result.path).equals(content))
    assert.deepEqual(result.droppedSources, [`127.0.0.1:${dyingPort}`])
    // A wrong URN: the download fails and leaves nothing behind.
    await assert.rejects(
      downloadMultiSource({
        sources: [{ ...good.server.address, path: getPath(1, 'song.bin') }],
        length: content.length,
        urn: `urn:sha1:${'A'.repeat(32)}`,
        outDir: out,
        fileName: 'other.bin',
      }),
      /SHA-1 mismatch/,
    )
    assert.deepEqual(readdirSync(out), ['song.bin'])
  } finally {
    dying.closeAllConnections()
    dying.close()
    await good.server.close()
    rmSync(root, { recursive: true, force: true })
  }
})

test('upload slots: one served, one queued until the slot frees, the next refused 503 Busy', async () => {
  const root = mkdtempSync(join(tmpdir(), 'plexus-gnutella-slots-'))
  const content = randomBytes(8 * 1024 * 1024)
  const dir = join(root, 'share')
  mkdirSync(dir)
  writeFileSync(join(dir, 'big.bin'), content)
  const folder = await scanShare(dir)
  const logged: string[] = []
  let onLog: ((line: string) => void) | undefined
  const server = await startTransferServer({
    folder,
    bind: LOCAL,
    uploadSlots: 1,
    queueMax: 1,
    log: (line) => {
      logged.push(line)
      onLog?.(line)
    },
  })
  const nextLog = (prefix: string): Promise<void> =>
    new Promise((resolve) => {
      onLog = (line) => {
        if (line.startsWith(prefix)) resolve()
      }
    })
  try {
    // The first download holds the only slot: its reader is paused, so the body cannot end.
    const first = await new Promise<IncomingMessage>((resolve) =>
      request({ ...server.address, path: getPath(1, 'big.bin') }, (res) => {
        res.pause()
        resolve(res)
      }).end(),
    )
    assert.equal(first.statusCode, 200)
    const queuedLogged = nextLog('http queued')
    const second = get(server, getPath(1, 'big.bin'), 'bytes=0-9')
    await queuedLogged
    assert.deepEqual(server.uploads(), { active: 1, queued: 1 })
    const third = await get(server, getPath(1, 'big.bin'))
    assert.equal(third.status, 503)
    assert.equal(third.headers['retry-after'], '30')
    const firstBody: Buffer[] = []
    first.on('data', (c: Buffer) => firstBody.push(c))
    first.resume()
    await new Promise((r) => first.on('end', r))
    assert.ok(Buffer.concat(firstBody).equals(content))
    const queued = await second
    assert.equal(queued.status, 206)
    assert.ok(queued.body.equals(content.subarray(0, 10)))
    assert.ok(logged.some((l) => l.startsWith('http 503')))
  } finally {
    await server.close()
    rmSync(root, { recursive: true, force: true })
  }
})
