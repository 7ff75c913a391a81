import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { generatedOpenApi, OPENAPI_FILE } from './openapi.js'

test('docs/openapi.json is the document the API generates', async () => {
  const generated = await generatedOpenApi()
  const committed = readFileSync(OPENAPI_FILE, 'utf8')
  assert.equal(
    committed,
    generated,
    'docs/openapi.json is stale: run `npm run build && node dist/test/daemon/openapi.js`',
  )
  const document = JSON.parse(generated) as { paths: Record<string, unknown> }
  const paths = Object.keys(document.paths).sort()
  assert.deepEqual(paths, [
    '/api/v1/dht',
    '/api/v1/dht/buckets',
    '/api/v1/dht/lookups',
    '/api/v1/dht/stored',
    '/api/v1/events',
    '/api/v1/gnutella',
    '/api/v1/gnutella/downloads',
    '/api/v1/gnutella/searches',
    '/api/v1/gnutella/searches/{id}',
    '/api/v1/gnutella/shared',
    '/api/v1/mapreduce',
    '/api/v1/mapreduce/jobs',
    '/api/v1/mapreduce/jobs/{id}',
    '/api/v1/overlay',
    '/api/v1/overlay/get',
    '/api/v1/overlay/lookup',
    '/api/v1/overlay/put',
    '/api/v1/overlay/remove',
    '/api/v1/plugins',
    '/api/v1/settings',
    '/api/v1/torrents',
    '/api/v1/torrents/{infoHash}',
    '/api/v1/torrents/{infoHash}/files',
    '/api/v1/torrents/{infoHash}/pause',
    '/api/v1/torrents/{infoHash}/peers',
    '/api/v1/torrents/{infoHash}/pieces',
    '/api/v1/torrents/{infoHash}/resume',
    '/api/v1/torrents/{infoHash}/swarm',
    '/api/v1/torrents/{infoHash}/trackers',
    '/metrics',
  ])
})
