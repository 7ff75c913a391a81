import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { fromHex, toHex } from '../../core/bytes.js'
import { decodeDescriptor, encodeDescriptor } from './descriptor-codec.js'
import {
  decodeVendor,
  encodeVendor,
  queryStatusRequest,
  queryStatusResponse,
  readVendorMessage,
} from './vendor-message.js'

const queryGuid = fromHex('00112233445566778899aabbccddeeff') as Uint8Array

test('BEAR/11 QueryStatusRequest: the query GUID, function 0x31, 8 payload bytes "BEAR" 11 1', () => {
  const bytes = encodeDescriptor({
    guid: queryGuid,
    ttl: 1,
    hops: 0,
    payload: queryStatusRequest(),
  })
  assert.equal(
    toHex(bytes),
    '00112233445566778899aabbccddeeff' +
      '31' +
      '01' +
      '00' +
      '08000000' +
      '42454152' +
      '0b00' +
      '0100',
  )
  const back = decodeDescriptor(bytes)
  assert.ok(back.ok)
  assert.ok(back.value.payload.type === 'vendor')
  assert.deepEqual(readVendorMessage(back.value.payload), { kind: 'query_status_request' })
})

test('BEAR/12 QueryStatusResponse: kept results as 2 bytes little-endian, 0xFFFF = stop', () => {
  const bytes = encodeDescriptor({
    guid: queryGuid,
    ttl: 1,
    hops: 0,
    payload: queryStatusResponse(300),
  })
  assert.equal(
    toHex(bytes.subarray(16)),
    '31' + '01' + '00' + '0a000000' + '42454152' + '0c00' + '0100' + '2c01',
  )
  const stop = encodeVendor(queryStatusResponse('stop'))
  assert.equal(toHex(stop), '42454152' + '0c00' + '0100' + 'ffff')
  const decoded = decodeVendor(stop)
  assert.ok(decoded.ok)
  assert.deepEqual(readVendorMessage(decoded.value), {
    kind: 'query_status_response',
    kept: 'stop',
  })
  // A real count never reads as stop: it is capped at 0xFFFE.
  const many = decodeVendor(encodeVendor(queryStatusResponse(1_000_000)))
  assert.ok(many.ok)
  assert.deepEqual(readVendorMessage(many.value), { kind: 'query_status_response', kept: 0xfffe })
})

test('vendor messages: round-trip, short or non-ASCII headers refused, unknown ones ignored', () => {
  fc.assert(
    fc.property(
      fc.stringMatching(/^[A-Z]{4}$/),
      fc.integer({ min: 0, max: 0xffff }),
      fc.integer({ min: 0, max: 0xffff }),
      fc.uint8Array({ maxLength: 40 }),
      (vendor, selector, version, data) => {
        const v = { type: 'vendor' as const, vendor, selector, version, data }
        const back = decodeVendor(encodeVendor(v))
        assert.ok(back.ok)
        assert.deepEqual(back.value, v)
      },
    ),
  )
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 30 }), (bytes) => {
      decodeVendor(bytes) // never throws
    }),
  )
  assert.ok(!decodeVendor(Uint8Array.of(0x42, 0x45, 0x41, 0x52, 0x0b, 0x00, 0x01)).ok)
  assert.ok(!decodeVendor(Uint8Array.of(0x00, 0x45, 0x41, 0x52, 0x0b, 0x00, 0x01, 0x00)).ok)
  const lime = {
    type: 'vendor' as const,
    vendor: 'LIME',
    selector: 11,
    version: 1,
    data: new Uint8Array(0),
  }
  assert.equal(readVendorMessage(lime), undefined)
  // A BEAR/12 without its count is not acted on.
  const short = { ...lime, vendor: 'BEAR', selector: 12 }
  assert.equal(readVendorMessage(short), undefined)
})
