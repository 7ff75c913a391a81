import assert from 'node:assert/strict'
import { test } from 'node:test'
import { toHex } from '../../core/bytes.js'
import { ScrapeBloom } from './scrape-bloom.js'
import { NodeHashingForTests } from './test-hashing.js'

const hashing = new NodeHashingForTests()

/** BEP 33's test vector: 192.0.2.0-255 and 2001:db8::-2001:db8::3e7, inclusive. */
const BEP33_FILTER = `
 F6C3F5EA A07FFD91 BDE89F77 7F26FB2B FF37BDB8 FB2BBAA2 FD3DDDE7 BACFFF75 EE7CCBAE
 FE5EEDB1 FBFAFF67 F6ABFF5E 43DDBCA3 FD9B9FFD F4FFD3E9 DFF12D1B DF59DB53 DBE9FA5B
 7FF3B8FD FCDE1AFB 8BEDD7BE 2F3EE71E BBBFE93B CDEEFE14 8246C2BC 5DBFF7E7 EFDCF24F
 D8DC7ADF FD8FFFDF DDFFF7A4 BBEEDF5C B95CE81F C7FCFF1F F4FFFFDF E5F7FDCB B7FD79B3
 FA1FC77B FE07FFF9 05B7B7FF C7FEFEFF E0B8370B B0CD3F5B 7F2BD93F EB4386CF DD6F7FD5
 BFAF2E9E BFFFFEEC D67ADBF7 C67F17EF D5D75EBA 6FFEBA7F FF47A91E B1BFBB53 E8ABFB57
 62ABE8FF 237279BF EFBFEEF5 FFC5FEBF DFE5ADFF ADFEE1FB 737FFFFB FD9F6AEF FEEE76B6
 FD8F72EF`
  .replace(/\s+/g, '')
  .toLowerCase()

test("BEP 33's test vector: 1256 IPs give its filter bytes and an estimate of 1224.9308", () => {
  const bloom = new ScrapeBloom()
  for (let i = 0; i < 256; i++) assert.ok(bloom.insert(hashing, `192.0.2.${i}`))
  for (let i = 0; i <= 0x3e7; i++) assert.ok(bloom.insert(hashing, `2001:db8::${i.toString(16)}`))
  assert.equal(toHex(bloom.bits), BEP33_FILTER)
  // The BEP prints 1224.9308; the value is 1224.93089..., so it truncated rather than rounded.
  assert.ok(Math.abs(bloom.estimate() - 1224.9308) < 1e-3, `estimate ${bloom.estimate()}`)
})

test('the union of two filters estimates the union of their sets; a port is not an IP', () => {
  const a = new ScrapeBloom()
  const b = new ScrapeBloom()
  for (let i = 0; i < 100; i++) a.insert(hashing, `10.0.0.${i}`)
  for (let i = 50; i < 150; i++) b.insert(hashing, `10.0.0.${i}`)
  const union = new ScrapeBloom(a.bits)
  union.union(b.bits)
  assert.ok(Math.abs(union.estimate() - 150) < 10, `estimate ${union.estimate()}`)
  assert.ok(a.mayContain(hashing, '10.0.0.7'))
  // The formula would say 0.5 for an empty filter (c capped at m - 1): we say 0.
  assert.equal(new ScrapeBloom().estimate(), 0)
  assert.equal(a.insert(hashing, '10.0.0.1:80'), false)
})
