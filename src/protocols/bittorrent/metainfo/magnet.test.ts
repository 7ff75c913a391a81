import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { idFromHex, toHex } from '../../../core/id.js'
import { formatMagnet, type Magnet, type MagnetErrorCode, parseMagnet } from './magnet.js'

const HEX = 'c12fe1c06bba254a9dc9f519b335aa7c1367a88a'
/** The same hash in RFC 4648 base32 (from Python's base64.b32encode). */
const BASE32 = 'YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK'
const OTHER = '0123456789abcdef0123456789abcdef01234567'

function parseOk(uri: string): Magnet {
  const result = parseMagnet(uri)
  assert.ok(result.ok, result.ok ? '' : `${result.error.code}: ${result.error.message}`)
  return result.value
}

const codeOf = (uri: string): string => {
  const result = parseMagnet(uri)
  return result.ok ? 'ok' : result.error.code
}

test('hex in either case and base32 in either case name the same info-hash', () => {
  const forms = [HEX, HEX.toUpperCase(), BASE32, BASE32.toLowerCase()]
  for (const form of forms) {
    const m = parseOk(`magnet:?xt=urn:btih:${form}`)
    assert.equal(m.infoHashHex, HEX)
    assert.equal(toHex(m.infoHash), HEX)
  }
  assert.equal(parseOk(`MAGNET:?XT=URN:BTIH:${HEX}`).infoHashHex, HEX)
})

test('reads dn, several tr, ws and x.pe; percent-decodes; + is a space', () => {
  const uri =
    `magnet:?xt=urn:btih:${HEX}&dn=Some+Name%20%2B%C3%A9` +
    '&tr=udp%3A%2F%2Ftracker.example%3A6969%2Fannounce&tr=http://t2.example/ann' +
    '&tr.1=udp%3A%2F%2Ftracker.example%3A6969%2Fannounce' +
    '&ws=http%3A%2F%2Fseed.example%2F&x.pe=1.2.3.4:6881&x.pe=%5B%3A%3A1%5D%3A51413' +
    '&x.pe=peer.example:80&x.pe=no-port&x.pe=1.2.3.4:99999&x.pe=1.2.3.4:6881' +
    '&so=0-3&foo=%zz&unknown'
  const m = parseOk(uri)
  assert.equal(m.displayName, 'Some Name +é')
  assert.deepEqual(m.trackers, ['udp://tracker.example:6969/announce', 'http://t2.example/ann'])
  assert.deepEqual(m.webSeeds, ['http://seed.example/'])
  assert.deepEqual(m.peers, [
    { host: '1.2.3.4', port: 6881 },
    { host: '::1', port: 51413 },
    { host: 'peer.example', port: 80 },
  ])
})

test('a btih beside a v2 btmh is a hybrid; the same btih twice is fine', () => {
  const v2 = 'urn:btmh:1220' + 'ab'.repeat(32)
  const hybrid = parseOk(`magnet:?xt=${v2}&xt=urn:btih:${HEX}`)
  assert.equal(hybrid.infoHashHex, HEX)
  assert.equal(hybrid.infoHashV2Hex, 'ab'.repeat(32))
  assert.equal(parseOk(`magnet:?xt=urn:btih:${HEX}&xt.2=urn:btih:${BASE32}`).infoHashHex, HEX)
  assert.equal(
    formatMagnet(hybrid),
    `magnet:?xt=urn:btih:${HEX}&xt=urn:btmh:1220${'ab'.repeat(32)}`,
  )
})

test('a btmh alone is a v2 magnet: the swarm uses its SHA-256 truncated to 20 bytes', () => {
  const digest = '0123456789abcdef'.repeat(4)
  const m = parseOk(`magnet:?xt=urn:btmh:1220${digest.toUpperCase()}&dn=v2`)
  assert.equal(m.infoHashV2Hex, digest)
  assert.equal(m.infoHashHex, digest.slice(0, 40))
  assert.equal(formatMagnet(m), `magnet:?xt=urn:btmh:1220${digest}&dn=v2`)
  assert.deepEqual(parseOk(formatMagnet(m)), m)
})

test('refuses each malformed link with its code', () => {
  const cases: [string, MagnetErrorCode][] = [
    [`http://example.com/?xt=urn:btih:${HEX}`, 'not_magnet'],
    [`magnet?xt=urn:btih:${HEX}`, 'not_magnet'],
    ['', 'not_magnet'],
    ['magnet:?dn=name', 'missing_xt'],
    ['magnet:', 'missing_xt'],
    ['magnet:?xt=urn:sha1:ABCDEF', 'missing_xt'],
    ['magnet:?xt=urn:btih:xyz', 'bad_info_hash'],
    [`magnet:?xt=urn:btih:${HEX.slice(1)}`, 'bad_info_hash'],
    [`magnet:?xt=urn:btih:${HEX.slice(1)}g`, 'bad_info_hash'],
    [`magnet:?xt=urn:btih:${BASE32.slice(1)}1`, 'bad_info_hash'],
    [`magnet:?xt=urn:btih:${HEX}&xt=urn:btih:${OTHER}`, 'conflicting_xt'],
    [`magnet:?xt=urn:btmh:1114${'ab'.repeat(20)}`, 'bad_info_hash'],
    [`magnet:?xt=urn:btmh:1220${'ab'.repeat(31)}`, 'bad_info_hash'],
    [`magnet:?xt=urn:btmh:1220${'ab'.repeat(31)}zz`, 'bad_info_hash'],
    [
      `magnet:?xt=urn:btmh:1220${'ab'.repeat(32)}&xt=urn:btmh:1220${'cd'.repeat(32)}`,
      'conflicting_xt',
    ],
    [`magnet:?xt=urn:btih:${HEX}&dn=%zz`, 'bad_percent_encoding'],
    [`magnet:?xt=urn:btih:${HEX}&dn=50%`, 'bad_percent_encoding'],
    [`magnet:?xt=urn:btih:${HEX}&tr=%4`, 'bad_percent_encoding'],
    [`magnet:?xt=urn:btih:${HEX}&dn=%FF`, 'bad_percent_encoding'],
    [`magnet:?xt=urn%3Abtih%3A${HEX}&dn=%C3`, 'bad_percent_encoding'],
    [`magnet:?xt=urn:btih:${HEX}&dn=${'x'.repeat(70000)}`, 'too_long'],
    [`magnet:?xt=urn:btih:${HEX}${'&a'.repeat(1100)}`, 'too_long'],
  ]
  for (const [uri, code] of cases) assert.equal(codeOf(uri), code, uri.slice(0, 80))
})

test('formatMagnet writes lowercase hex and percent-encodes every value', () => {
  const infoHash = idFromHex(HEX.toUpperCase())
  assert.ok(infoHash !== undefined)
  const uri = formatMagnet({
    infoHash,
    displayName: 'a b+c/é',
    trackers: ['udp://t:1/a?x=1&y=2'],
    peers: [
      { host: '::1', port: 5 },
      { host: '1.2.3.4', port: 6 },
    ],
    webSeeds: ['http://w/'],
  })
  assert.equal(
    uri,
    `magnet:?xt=urn:btih:${HEX}&dn=a%20b%2Bc%2F%C3%A9&tr=udp%3A%2F%2Ft%3A1%2Fa%3Fx%3D1%26y%3D2` +
      '&ws=http%3A%2F%2Fw%2F&x.pe=%5B%3A%3A1%5D%3A5&x.pe=1.2.3.4%3A6',
  )
  assert.equal(formatMagnet({ infoHash, displayName: '' }), `magnet:?xt=urn:btih:${HEX}`)
})

test('our links mean the same to the WHATWG URL parser (+ and space never ambiguous)', () => {
  const infoHash = idFromHex(HEX)
  assert.ok(infoHash !== undefined)
  const displayName = 'a b+c&d=e%f#g'
  const uri = formatMagnet({ infoHash, displayName, trackers: ['http://t/a?b=c+d'] })
  const params = new URL(uri).searchParams
  assert.equal(params.get('dn'), displayName)
  assert.equal(params.get('tr'), 'http://t/a?b=c+d')
  assert.equal(parseOk(uri).displayName, displayName)
  // We read no fragment: '#' belongs to the value, as in libtorrent (URL would cut it off).
  assert.equal(parseOk(`magnet:?xt=urn:btih:${HEX}&dn=a#b`).displayName, 'a#b')
})

const nonEmpty = fc.string({ unit: 'binary', minLength: 1, maxLength: 40 })
const peer = fc.oneof(
  fc.record({ host: fc.ipV4(), port: fc.integer({ min: 0, max: 65535 }) }),
  fc.record({ host: fc.ipV6(), port: fc.integer({ min: 0, max: 65535 }) }),
)

test('round trip: parse(format(m)) gives m back', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 20, maxLength: 20 }),
      fc.option(nonEmpty, { nil: undefined }),
      fc.uniqueArray(nonEmpty, { maxLength: 5 }),
      fc.uniqueArray(peer, { maxLength: 4, selector: (p) => `${p.host}|${p.port}` }),
      fc.uniqueArray(nonEmpty, { maxLength: 3 }),
      (hash, displayName, trackers, peers, webSeeds) => {
        const infoHash = idFromHex(toHex(hash))
        assert.ok(infoHash !== undefined)
        const magnet = { infoHash, displayName, trackers, peers, webSeeds }
        const parsed = parseOk(formatMagnet(magnet))
        assert.equal(parsed.infoHashHex, toHex(hash))
        assert.equal(parsed.displayName, displayName)
        assert.deepEqual(parsed.trackers, trackers)
        assert.deepEqual(parsed.webSeeds, webSeeds)
        assert.deepEqual(
          parsed.peers.map((p) => [p.host, p.port]),
          peers.map((p) => [p.host, p.port]),
        )
      },
    ),
  )
})
