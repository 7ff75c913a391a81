import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { test } from 'node:test'
import type { Log } from '../../src/core/env.js'
import {
  startDirectory,
  type Directory,
  type DirectoryOptions,
} from '../../src/drivers/directory/server.js'
import { makeTorrent } from './directory-helpers.js'
import { rawHttp } from './raw-http.js'

/**
 * The directory's HTTP behaviour that its move onto Fastify could change: refusals before a
 * body is read, the URL cap, methods, the error shapes, parameter checks and headers.
 */

async function withDirectory(
  options: Partial<DirectoryOptions>,
  body: (d: Directory) => Promise<void>,
): Promise<void> {
  const d = await startDirectory({ port: 0, bind: '127.0.0.1', dbPath: ':memory:', ...options })
  try {
    await body(d)
  } finally {
    await d.close()
  }
}

const HASH = 'ab'.repeat(20)

test('an upload declared over the cap is refused with 413 before any of its body is sent', async () => {
  await withDirectory({ uploadBytesMax: 1000 }, async (d) => {
    const head = `POST /api/torrents HTTP/1.1\r\nHost: x\r\ncontent-type: application/x-bittorrent\r\ncontent-length: 1001`
    const answer = await rawHttp(d.httpPort, head) // the body never comes
    assert.equal(answer.status, 413)
    assert.deepEqual(JSON.parse(answer.body.toString()), { error: 'body over 1000 bytes' })
    assert.equal(answer.headers['x-content-type-options'], 'nosniff')
  })
})

test('a refused upload is read and discarded, so a client that sends it all still hears 413', async () => {
  await withDirectory({ uploadBytesMax: 1000 }, async (d) => {
    // The whole oversized body after the head, then a second request on the same connection:
    // the server must answer both (it drained the body instead of closing under the client,
    // which is what made `fetch` fail with EPIPE).
    const socket = connect(d.httpPort, '127.0.0.1')
    const received: Buffer[] = []
    socket.on('data', (chunk: Buffer) => received.push(chunk))
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()))
    const body = Buffer.alloc(300_000, 7)
    socket.write(`POST /api/torrents HTTP/1.1\r\nHost: x\r\ncontent-length: ${body.length}\r\n\r\n`)
    socket.write(body)
    socket.end('GET /api/torrents/' + HASH + ' HTTP/1.1\r\nHost: x\r\nconnection: close\r\n\r\n')
    await closed
    const text = Buffer.concat(received).toString('latin1')
    const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1])
    assert.deepEqual(statuses, ['413', '404'])
  })
})

test('a chunked upload is cut off with 413 as soon as it passes the cap', async () => {
  await withDirectory({ uploadBytesMax: 1000 }, async (d) => {
    const head = `POST /api/torrents HTTP/1.1\r\nHost: x\r\ncontent-type: application/octet-stream\r\ntransfer-encoding: chunked`
    // 1,200 bytes in one chunk and no terminating chunk: the server must not wait for the end.
    const chunk = Buffer.concat([
      Buffer.from('4b0\r\n'),
      Buffer.alloc(1200, 1),
      Buffer.from('\r\n'),
    ])
    const answer = await rawHttp(d.httpPort, head, [chunk])
    assert.equal(answer.status, 413)
  })
})

test('the publish rate limit answers 429 before the body is read', async () => {
  await withDirectory({ publishRate: { burst: 1, perSecond: 1 / 60 } }, async (d) => {
    const first = await fetch(`${d.url}/api/torrents`, { method: 'POST', body: makeTorrent('a') })
    assert.equal(first.status, 201)
    const head = `POST /api/torrents HTTP/1.1\r\nHost: x\r\ncontent-length: 5000`
    const refused = await rawHttp(d.httpPort, head)
    assert.equal(refused.status, 429)
    assert.equal(refused.headers['retry-after'], '60')
    assert.match(JSON.parse(refused.body.toString()).error, /too many publishes/)
  })
})

test('the body is the raw .torrent whatever its declared type (curl sends a form type)', async () => {
  await withDirectory({}, async (d) => {
    const types = [
      'application/x-bittorrent',
      'application/x-www-form-urlencoded',
      'application/json',
    ]
    for (const [i, type] of types.entries()) {
      const response = await fetch(`${d.url}/api/torrents`, {
        method: 'POST',
        headers: { 'content-type': type },
        body: makeTorrent(`typed ${i}`),
      })
      assert.equal(response.status, 201, type)
    }
  })
})

test('request targets over 8 KiB get 414, on any path, decodable or not', async () => {
  await withDirectory({}, async (d) => {
    for (const path of [`/announce?x=${'a'.repeat(8200)}`, `/%%%${'a'.repeat(8200)}`]) {
      const response = await fetch(`${d.url}${path}`)
      assert.equal(response.status, 414)
      assert.deepEqual(await response.json(), { error: 'request URL too long' })
    }
  })
})

test('wrong methods get 405 with the documented words; HEAD reads like GET', async () => {
  await withDirectory({}, async (d) => {
    const cases: [string, string, string][] = [
      ['PUT', '/api/torrents', 'use GET to search or POST to publish'],
      ['DELETE', '/api/torrents', 'use GET to search or POST to publish'],
      ['POST', '/announce', 'use GET'],
      ['POST', '/scrape', 'use GET'],
      ['DELETE', `/torrent/${HASH}`, 'use GET'],
      ['POST', '/', 'use GET'],
      ['PATCH', '/no/such/page', 'use GET'],
    ]
    for (const [method, path, error] of cases) {
      const response = await fetch(`${d.url}${path}`, { method })
      assert.equal(response.status, 405, `${method} ${path}`)
      assert.deepEqual(await response.json(), { error })
    }
    const head = await fetch(`${d.url}/`, { method: 'HEAD' })
    assert.equal(head.status, 200)
    assert.match(head.headers.get('content-type') ?? '', /text\/html/)
  })
})

test('refusals keep their shapes: JSON under /api/ and for downloads, pages elsewhere', async () => {
  await withDirectory({}, async (d) => {
    const cases: [string, number, string | RegExp][] = [
      ['/api/nope', 404, 'no such endpoint'],
      ['/api/torrents/zz', 400, 'expected a 40-hex-digit info-hash'],
      ['/api/torrents/%ZZ', 400, 'expected a 40-hex-digit info-hash'],
      [`/api/torrents/${HASH}`, 404, 'no such torrent'],
      ['/torrents/zz.torrent', 400, 'expected a 40-hex-digit info-hash'],
      [`/torrents/${HASH}.torrent`, 404, 'no such torrent'],
      [
        '/api/torrents?sort=evil',
        400,
        'sort must be one of name, added, length, seeders, leechers, completed',
      ],
      ['/api/torrents?order=up', 400, 'order must be asc or desc'],
      ['/api/torrents?page=2001', 400, 'page must be an integer 1..2000'],
      ['/api/torrents?limit=501', 400, 'limit must be an integer 1..500'],
      [`/api/torrents/${HASH}?file_page=0`, 400, 'file_page must be an integer'],
      ['/no/such/page', 404, /No such page/],
      ['/%%%', 404, /No such page/],
      ['/torrent/zz', 400, /Expected a 40-hex-digit info-hash/],
      ['/torrent/%ZZ', 400, /Expected a 40-hex-digit info-hash/],
      [`/torrent/${HASH}`, 404, /No such torrent/],
      [`/torrent/${HASH}?file_page=x`, 400, /file_page must be an integer\./],
      ['/?sort=evil', 400, /sort must be one of/],
      ['/?limit=51', 400, /limit must be an integer 1\.\.50/],
    ]
    for (const [path, status, expected] of cases) {
      const response = await fetch(`${d.url}${path}`)
      assert.equal(response.status, status, path)
      assert.match(
        response.headers.get('content-security-policy') ?? '',
        /default-src 'none'/,
        path,
      )
      if (typeof expected === 'string') {
        assert.match(response.headers.get('content-type') ?? '', /^application\/json/, path)
        assert.deepEqual(await response.json(), { error: expected }, path)
      } else {
        assert.match(response.headers.get('content-type') ?? '', /^text\/html/, path)
        assert.match(await response.text(), expected, path)
      }
    }
  })
})

test('empty integer parameters take their defaults; repeated ones their first value', async () => {
  await withDirectory({}, async (d) => {
    const response = await fetch(`${d.url}/api/torrents?page=&limit=&sort=name&sort=evil`)
    assert.equal(response.status, 200)
    const body = (await response.json()) as Record<string, unknown>
    assert.deepEqual(
      { page: body['page'], limit: body['limit'], sort: body['sort'], order: body['order'] },
      { page: 1, limit: 50, sort: 'name', order: 'asc' },
    )
    assert.equal((await fetch(`${d.url}/?page=`)).status, 200)
    assert.equal((await fetch(`${d.url}/api/torrents?sort=`)).status, 400)
  })
})

test('an internal error is a bare 500 JSON answer and a log line, never a stack trace', async () => {
  const logged: string[] = []
  const log: Log = {
    log: (_level, message) => void logged.push(message),
    child: () => log,
  }
  await withDirectory({ log }, async (d) => {
    d.db.close() // every query now throws inside the handler
    const response = await fetch(`${d.url}/api/torrents`)
    assert.equal(response.status, 500)
    assert.deepEqual(await response.json(), { error: 'internal error' })
    assert.deepEqual(logged, ['directory request failed'])
  })
})
