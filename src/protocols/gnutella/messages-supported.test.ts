import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { concatBytes, fromHex, toHex, utf8 } from '../../core/bytes.js'
import { decodeDescriptor, encodeDescriptor } from './descriptor-codec.js'
import {
  messagesSupported,
  OUR_VENDOR_MESSAGES,
  readMessagesSupported,
  supportedVersion,
} from './messages-supported.js'
import { pushProxyAck, pushProxyRequest, readPushProxyMessage } from './push-proxy-messages.js'
import {
  decodePushProxies,
  hitPushProxies,
  pushProxiesExtension,
  withPushProxies,
} from './push-proxy-ggep.js'
import { encodeGgep } from './ggep.js'
import { queryHitTrailer } from './push-flag.js'
import { decodeVendor, encodeVendor, readVendorMessage } from './vendor-message.js'

const guid = fromHex('00112233445566778899aabbccddeeff') as Uint8Array
const entry = (vendor: string, selector: number, version: number): Uint8Array =>
  concatBytes([
    utf8(vendor),
    Uint8Array.of(selector & 0xff, selector >> 8, version & 0xff, version >> 8),
  ])

test('Messages Supported: vendor 0x00000000, selector 0, version 0; count LE then 8-byte entries', () => {
  const bytes = encodeDescriptor({
    guid,
    ttl: 1,
    hops: 0,
    payload: messagesSupported(OUR_VENDOR_MESSAGES),
  })
  assert.equal(
    toHex(bytes.subarray(16)),
    '31' +
      '01' +
      '00' +
      '2a000000' + // vendor message, TTL 1, hops 0, 42 payload bytes
      '00000000' +
      '0000' +
      '0000' + // the all-zero vendor, selector 0, version 0
      '0400' + // 4 entries
      '42454152' +
      '0b00' +
      '0100' + // BEAR/11 v1
      '42454152' +
      '0c00' +
      '0100' + // BEAR/12 v1
      '4c494d45' +
      '1500' +
      '0100' + // LIME/21 v1
      '4c494d45' +
      '1600' +
      '0200', // LIME/22 v2
  )
  const back = decodeDescriptor(bytes)
  assert.ok(back.ok && back.value.payload.type === 'vendor')
  assert.deepEqual(readVendorMessage(back.value.payload), {
    kind: 'messages_supported',
    list: OUR_VENDOR_MESSAGES,
  })
})

test("Messages Supported: LimeWire's test blocks read back; a missing entry or trailing bytes refused", () => {
  // The blocks of LimeWire's MessagesSupportedVendorMessageTest: SUSH/10 v10, NEIL/5 v5, DAWG/3 v3.
  const blocks = [entry('SUSH', 10, 10), entry('NEIL', 5, 5), entry('DAWG', 3, 3)]
  const good = readMessagesSupported(concatBytes([Uint8Array.of(3, 0), ...blocks]))
  assert.ok(good.ok)
  assert.equal(supportedVersion(good.value, 'SUSH', 10), 10)
  assert.equal(supportedVersion(good.value, 'DAWG', 3), 3)
  assert.equal(supportedVersion(good.value, 'BEAR', 7), undefined)
  // "test missing info": count 4, three entries. "test corrupt info": then "crap".
  assert.ok(!readMessagesSupported(concatBytes([Uint8Array.of(4, 0), ...blocks])).ok)
  assert.ok(!readMessagesSupported(concatBytes([Uint8Array.of(3, 0), ...blocks, utf8('crap')])).ok)
  assert.ok(!readMessagesSupported(Uint8Array.of(1)).ok, 'no count')
  assert.ok(
    !readMessagesSupported(
      concatBytes([Uint8Array.of(1, 0), Uint8Array.of(1, 2, 3, 4, 0, 0, 0, 0)]),
    ).ok,
  )
  const bad = { ...messagesSupported([]), data: Uint8Array.of(1, 0) }
  assert.ok(readVendorMessage(bad) instanceof Error)
})

test('Messages Supported: any list round-trips through the vendor codec; random data never throws', () => {
  const supported = fc
    .record({
      vendor: fc.stringMatching(/^[A-Z]{4}$/),
      selector: fc.integer({ min: 0, max: 0xffff }),
      version: fc.integer({ min: 0, max: 0xffff }),
    })
    .map((r) => ({ ...r }))
  fc.assert(
    fc.property(fc.array(supported, { maxLength: 20 }), (list) => {
      const decoded = decodeVendor(encodeVendor(messagesSupported(list)))
      assert.ok(decoded.ok)
      assert.deepEqual(readVendorMessage(decoded.value), { kind: 'messages_supported', list })
    }),
  )
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), (data) => {
      readMessagesSupported(data)
    }),
  )
})

test('push proxies: LIME/21 carries the servent id as GUID and no data; LIME/22 v2 is IPv4 + port LE', () => {
  const request = encodeDescriptor({ guid, ttl: 1, hops: 0, payload: pushProxyRequest() })
  assert.equal(
    toHex(request.subarray(16)),
    '31' + '01' + '00' + '08000000' + '4c494d45' + '1500' + '0100',
  )
  const ack = pushProxyAck({ host: '10.0.0.1', port: 6346 })
  assert.ok(ack !== undefined)
  assert.equal(toHex(encodeVendor(ack)), '4c494d45' + '1600' + '0200' + '0a000001' + 'ca18')
  assert.deepEqual(readPushProxyMessage(ack), {
    kind: 'push_proxy_ack',
    proxy: { host: '10.0.0.1', port: 6346 },
  })
  assert.deepEqual(readPushProxyMessage(pushProxyRequest()), { kind: 'push_proxy_request' })
  // Refused: version 1 (deprecated in LimeWire), a short payload, port 0, a non-IPv4 proxy.
  assert.equal(readPushProxyMessage({ ...ack, version: 1 }), undefined)
  assert.equal(readPushProxyMessage({ ...ack, data: ack.data.subarray(0, 5) }), undefined)
  assert.equal(readPushProxyMessage({ ...ack, data: Uint8Array.of(10, 0, 0, 1, 0, 0) }), undefined)
  assert.equal(pushProxyAck({ host: '::1', port: 1 }), undefined)
})

test('GGEP "PUSH": 6 bytes a proxy in the hit trailer; round trip; bad lengths refused', () => {
  const proxies = [
    { host: '10.0.0.1', port: 6346 },
    { host: '192.168.1.2', port: 80 },
  ]
  assert.equal(
    toHex(encodeGgep([pushProxiesExtension(proxies)])),
    'c3' + '84' + '50555348' + '4c' + '0a000001ca18' + 'c0a801025000',
  )
  const trailer = withPushProxies(queryHitTrailer(true), proxies)
  assert.deepEqual(hitPushProxies(trailer), proxies)
  assert.deepEqual(hitPushProxies(queryHitTrailer(true)), [])
  assert.ok(!decodePushProxies(new Uint8Array(7)).ok)
  fc.assert(
    fc.property(
      fc.array(
        fc
          .record({ host: fc.ipV4(), port: fc.integer({ min: 1, max: 0xffff }) })
          .map((r) => ({ ...r })),
        {
          maxLength: 4,
        },
      ),
      (list) => {
        const wanted = list.filter((a) => a.host !== '0.0.0.0')
        assert.deepEqual(hitPushProxies(withPushProxies(queryHitTrailer(true), list)), wanted)
      },
    ),
  )
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), (privateData) => {
      hitPushProxies({
        ...queryHitTrailer(true),
        privateData: concatBytes([Uint8Array.of(0xc3), privateData]),
      })
    }),
  )
})
