import assert from 'node:assert/strict'
import { test } from 'node:test'
import { classify } from './port-sharing.js'

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)

test('the first bytes tell HTTP from Gnutella; undecided until they can', () => {
  assert.equal(classify(bytes('GET /get/1/a HTTP/1.1\r\n')), 'http')
  assert.equal(classify(bytes('HEAD /uri-res/N2R?urn:sha1:X HTTP/1.1')), 'http')
  assert.equal(classify(bytes('GNUTELLA CONNECT/0.6\r\n')), 'gnutella')
  assert.equal(classify(bytes('G')), undefined)
  assert.equal(classify(bytes('GE')), undefined)
  assert.equal(classify(bytes('HEA')), undefined)
  assert.equal(classify(bytes('GN')), 'gnutella', 'cannot become GET or HEAD')
  assert.equal(classify(bytes('\x16\x03\x01')), 'gnutella', 'anything else: the servent refuses it')
  assert.equal(classify(bytes('HEADER')), 'gnutella')
  assert.equal(classify(bytes('GETX ')), 'gnutella')
})

test('a GIV (a firewalled servent connecting back after our Push) is told apart', () => {
  assert.equal(classify(bytes('GIV 3:0123456789ABCDEF0123456789ABCDEF/a.ogg\n\n')), 'giv')
  assert.equal(classify(bytes('GI')), undefined)
  assert.equal(classify(bytes('GIVE ')), 'gnutella')
})
