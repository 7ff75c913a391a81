import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { fromHex } from '../../../core/bytes.js'
import {
  isPushProxyPath,
  parsePushProxyRequest,
  pushProxyGnetPath,
  pushProxyPath,
} from './push-proxy-request.js'

const id = fromHex('0123456789abcdef0123456789abcdef') as Uint8Array

test('push-proxy requests: the base32 ServerId form and the /gnet/ hex form, with X-Node', () => {
  assert.equal(
    pushProxyPath(id, 5),
    '/gnutella/push-proxy?ServerId=AERUKZ4JVPG66AJDIVTYTK6N54&file=5',
  )
  assert.equal(
    pushProxyGnetPath(id, 5),
    '/gnet/push-proxy?guid=0123456789ABCDEF0123456789ABCDEF&file=5',
  )
  for (const path of [pushProxyPath(id, 5), pushProxyGnetPath(id, 5)]) {
    assert.ok(isPushProxyPath(path))
    assert.deepEqual(parsePushProxyRequest(path, '10.0.0.9:7000'), {
      serventId: id,
      fileIndex: 5,
      downloader: { host: '10.0.0.9', port: 7000 },
    })
  }
  // LimeWire wrote ServerID; no file parameter means index 0.
  const limewire = parsePushProxyRequest(
    '/gnutella/push-proxy?ServerID=AERUKZ4JVPG66AJDIVTYTK6N54',
    '1.2.3.4:6346',
  )
  assert.ok(typeof limewire !== 'string' && limewire.fileIndex === 0)
  assert.ok(!isPushProxyPath('/get/1/a'))
})

test('push-proxy requests: no id, a short id, no X-Node, a bad index are refused; fuzz never throws', () => {
  const refused = [
    ['/gnutella/push-proxy?file=1', '1.2.3.4:1'],
    ['/gnutella/push-proxy?ServerId=AERUKZ4J', '1.2.3.4:1'],
    ['/gnet/push-proxy?guid=0123', '1.2.3.4:1'],
    [pushProxyPath(id, 1), undefined],
    [pushProxyPath(id, 1), '1.2.3.4'],
    ['/gnet/push-proxy?guid=0123456789ABCDEF0123456789ABCDEF&file=99999999999', '1.2.3.4:1'],
  ] as const
  for (const [path, node] of refused)
    assert.equal(typeof parsePushProxyRequest(path, node), 'string', path)
  fc.assert(
    fc.property(fc.string(), fc.option(fc.string(), { nil: undefined }), (query, node) => {
      parsePushProxyRequest(`/gnutella/push-proxy?${query}`, node)
    }),
  )
})
