import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fromHex } from '../../../core/bytes.js'
import {
  appendQuery,
  buildAnnounceUrl,
  buildScrapeUrl,
  percentEncodeBytes,
  scrapeUrlFor,
  type AnnounceParams,
} from './http-url.js'

const hex = (text: string): Uint8Array => fromHex(text) as Uint8Array

// BEP 3's own example hash: 12 34 56 78 9a bc de f1 23 45 67 89 ab cd ef 12 34 56 78 9a.
const BEP3_HASH = hex('123456789abcdef123456789abcdef123456789a')
// By hand: 0x34 '4', 0x56 'V', 0x78 'x', 0x45 'E', 0x67 'g' are unreserved and stay literal;
// 0x23 is '#', reserved, so %23; everything above 0x7e is %XX in uppercase.
const BEP3_ENCODED = '%124Vx%9A%BC%DE%F1%23Eg%89%AB%CD%EF%124Vx%9A'

const PEER_ID = new TextEncoder().encode('-PX0001-abcdefghijkl')

const params = (overrides: Partial<AnnounceParams> = {}): AnnounceParams => ({
  infoHash: BEP3_HASH,
  peerId: PEER_ID,
  port: 6881,
  uploaded: 0,
  downloaded: 1024,
  left: 4096,
  event: 'started',
  ...overrides,
})

test('percent-encodes a binary info_hash byte by byte, as BEP 3 shows', () => {
  assert.equal(percentEncodeBytes(BEP3_HASH), BEP3_ENCODED)
})

test('keeps exactly the RFC 3986 unreserved characters literal', () => {
  const bytes = new TextEncoder().encode('Az09-._~ /+%&=?')
  assert.equal(percentEncodeBytes(bytes), 'Az09-._~%20%2F%2B%25%26%3D%3F')
  assert.equal(percentEncodeBytes(Uint8Array.of(0x00, 0xff)), '%00%FF')
})

test('builds the announce URL with every parameter', () => {
  const url = buildAnnounceUrl(
    'http://tracker.example:6969/announce',
    params({ numwant: 50, key: 0xbeef, trackerId: Uint8Array.of(0x61, 0x20, 0xff) }),
  )
  assert.equal(
    url,
    'http://tracker.example:6969/announce' +
      `?info_hash=${BEP3_ENCODED}&peer_id=-PX0001-abcdefghijkl&port=6881` +
      '&uploaded=0&downloaded=1024&left=4096&compact=1&no_peer_id=1&event=started' +
      '&numwant=50&key=0000BEEF&trackerid=a%20%FF',
  )
})

test('leaves out event for a regular announce, and compact/no_peer_id when asked', () => {
  const url = buildAnnounceUrl(
    'http://t.example/announce',
    params({ event: 'none', compact: false, noPeerId: false }),
  )
  assert.ok(!url.includes('event='))
  assert.ok(!url.includes('compact='))
  assert.ok(!url.includes('no_peer_id='))
})

test('appends with & when the announce URL already has a query', () => {
  const url = buildAnnounceUrl('http://t.example/announce.php?passkey=abc', params())
  assert.ok(url.startsWith(`http://t.example/announce.php?passkey=abc&info_hash=${BEP3_ENCODED}&`))
  assert.equal(appendQuery('http://t/a?', 'x=1'), 'http://t/a?x=1')
  assert.equal(appendQuery('http://t/a?k=v&', 'x=1'), 'http://t/a?k=v&x=1')
  assert.equal(appendQuery('http://t/a#frag', 'x=1'), 'http://t/a?x=1#frag')
})

test('refuses a wrong-sized info_hash or a negative count (programmer errors)', () => {
  assert.throws(() =>
    buildAnnounceUrl('http://t/announce', params({ infoHash: new Uint8Array(19) })),
  )
  assert.throws(() => buildAnnounceUrl('http://t/announce', params({ left: -1 })))
  assert.throws(() => buildAnnounceUrl('http://t/announce', params({ port: 70000 })))
})

test('derives scrape URLs by the BEP 48 convention', () => {
  const cases: [string, string | undefined][] = [
    ['http://example.com/announce', 'http://example.com/scrape'],
    ['http://example.com/x/announce', 'http://example.com/x/scrape'],
    ['http://example.com/announce.php', 'http://example.com/scrape.php'],
    ['http://example.com/a', undefined],
    ['http://example.com/announce?x2%0644', 'http://example.com/scrape?x2%0644'],
    ['http://example.com/announce?x=2/4', undefined],
    ['http://example.com/x%064announce', undefined],
  ]
  for (const [announce, scrape] of cases) assert.equal(scrapeUrlFor(announce), scrape, announce)
})

test('builds a scrape URL with one info_hash per torrent', () => {
  const other = new Uint8Array(20).fill(0x41)
  assert.equal(
    buildScrapeUrl('http://example.com/scrape', [BEP3_HASH, other]),
    `http://example.com/scrape?info_hash=${BEP3_ENCODED}&info_hash=${'A'.repeat(20)}`,
  )
})
