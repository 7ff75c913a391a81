import assert from 'node:assert/strict'
import { test } from 'node:test'
import { layoutStatus } from './plugin-status.js'

test('a status: values flattened, arrays of objects as tables with every key as a column', () => {
  const layout = layoutStatus({
    state: 'running',
    connections: 2,
    uploads: { active: 1, queued: 0 },
    neighbours: [{ address: '10.0.0.1:6346', role: 'ultrapeer' }, { address: '10.0.0.2:6346' }],
    tags: ['a', 'b'],
    empty: [],
    missing: null,
  })
  assert.deepEqual(layout.values, [
    { key: 'state', value: 'running' },
    { key: 'connections', value: '2' },
    { key: 'uploads.active', value: '1' },
    { key: 'uploads.queued', value: '0' },
    { key: 'tags', value: 'a, b' },
    { key: 'empty', value: '—' },
    { key: 'missing', value: '—' },
  ])
  assert.deepEqual(layout.tables, [
    {
      key: 'neighbours',
      columns: ['address', 'role'],
      rows: [
        { address: '10.0.0.1:6346', role: 'ultrapeer' },
        { address: '10.0.0.2:6346', role: '—' },
      ],
    },
  ])
})
