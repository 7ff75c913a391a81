import assert from 'node:assert/strict'
import { test } from 'node:test'
import { NodeLog, type NodeLogOptions } from './log.js'

const AT = Date.UTC(2024, 0, 2, 3, 4, 5, 678)

function capture(options: NodeLogOptions = {}): { log: NodeLog; lines: string[] } {
  const lines: string[] = []
  const sink = { write: (line: string) => lines.push(line) }
  return { log: new NodeLog({ sink, wallClock: () => AT, ...options }), lines }
}

test('human lines: UTC time, padded level, message, then key=value fields', () => {
  const { log, lines } = capture()
  log.log('info', 'peer connected', { peer: '127.0.0.1:6881', n: 3, ok: true, skip: undefined })
  log.log('warn', 'odd value', { note: 'two words', eq: 'a=b', quote: 'say "hi"' })
  assert.deepEqual(lines, [
    '03:04:05.678 info  peer connected peer=127.0.0.1:6881 n=3 ok=true\n',
    '03:04:05.678 warn  odd value note="two words" eq="a=b" quote="say \\"hi\\""\n',
  ])
})

test('events below the minimum level are dropped; the default minimum is info', () => {
  const { log, lines } = capture()
  log.log('debug', 'hidden')
  const verbose = capture({ level: 'debug' })
  verbose.log.log('debug', 'shown')
  const quiet = capture({ level: 'error' })
  quiet.log.log('warn', 'hidden')
  quiet.log.log('error', 'shown')
  assert.deepEqual([lines.length, verbose.lines.length, quiet.lines.length], [0, 1, 1])
})

test('a message with newlines stays on one line', () => {
  const { log, lines } = capture()
  log.log('error', 'line one\nline two\r')
  assert.deepEqual(lines, ['03:04:05.678 error line one\\nline two\\r\n'])
})

test('json lines: time, level, msg, then fields; reserved names are prefixed', () => {
  const { log, lines } = capture({ format: 'json' })
  log.log('info', 'hello', { a: 1, level: 'x', skip: undefined })
  assert.equal(lines.length, 1)
  assert.deepEqual(JSON.parse(lines[0] ?? ''), {
    time: '2024-01-02T03:04:05.678Z',
    level: 'info',
    msg: 'hello',
    a: 1,
    'field.level': 'x',
  })
})

test('child adds its fields to every line; call fields and nearer children win', () => {
  const { log, lines } = capture()
  const child = log.child({ node: 'a', role: 'seed' }).child({ role: 'leech' })
  child.log('info', 'x')
  child.log('info', 'y', { node: 'b' })
  log.log('info', 'z')
  assert.deepEqual(lines, [
    '03:04:05.678 info  x node=a role=leech\n',
    '03:04:05.678 info  y node=b role=leech\n',
    '03:04:05.678 info  z\n',
  ])
})
