import assert from 'node:assert/strict'
import { test } from 'node:test'
import { instant, ms, type Instant } from '../../core/time.js'
import { MasterCore } from './master.js'
import { defaultMasterConfig, type MasterConfig, type MasterOutput } from './master-types.js'
import type { JobSpec, MasterMessage } from './messages.js'
import type { LogRecord } from './log-record.js'
import type { Split } from './types.js'

const HEARTBEAT = ms(100)
const job: JobSpec = {
  jobId: 'job-1',
  program: { kind: 'streaming', mapper: 'cat', reducer: 'cat' },
  reduces: 2,
  output: '/out',
  taskTimeoutMs: 1000,
}
const splits = (count: number, hosts: string[][] = []): Split[] =>
  Array.from({ length: count }, (_, index) => ({
    path: `in${index}`,
    start: 0,
    length: 10,
    hosts: hosts[index] ?? [],
  }))

/** Drives a MasterCore and keeps what it asked for. */
class Harness {
  readonly log: LogRecord[] = []
  readonly sent: { workerId: string; message: MasterMessage }[] = []
  readonly commits: string[] = []
  finish: { succeeded: boolean; reason: string } | undefined
  now: Instant = instant(0)

  constructor(readonly master: MasterCore) {
    this.drain()
  }

  drain(): void {
    for (const output of this.master.takeOutputs()) this.perform(output)
  }

  private perform(output: MasterOutput): void {
    if (output.type === 'log') this.log.push(output.record)
    else if (output.type === 'send') this.sent.push(output)
    else if (output.type === 'commit') this.commits.push(output.partName)
    else if (output.type === 'finish') this.finish = output
  }

  register(workerId: string, locality = '', held: { task: number; attempt: number }[] = []): void {
    this.master.register(this.now, {
      type: 'register',
      workerId,
      locality,
      shuffleAddress: `${workerId}:1`,
      held,
    })
    this.drain()
  }

  receive(workerId: string, message: MasterMessage): void {
    this.master.receive(this.now, workerId, message)
    this.drain()
  }

  advance(by: number): void {
    this.now = instant(this.now + by)
    this.master.timeout(this.now)
    this.drain()
  }

  /** The last task assigned to a worker and not yet reported on by the test. */
  assignment(workerId: string): Extract<MasterMessage, { type: 'assign_map' | 'assign_reduce' }> {
    for (let i = this.sent.length - 1; i >= 0; i--) {
      const entry = this.sent[i]
      if (entry?.workerId !== workerId) continue
      const message = entry.message
      if (message.type === 'assign_map' || message.type === 'assign_reduce') return message
    }
    throw new Error(`no assignment for ${workerId}`)
  }

  completeMap(workerId: string): void {
    const task = this.assignment(workerId)
    assert.equal(task.type, 'assign_map')
    this.receive(workerId, {
      type: 'map_done',
      task: task.task,
      attempt: task.attempt,
      partitionBytes: Array.from({ length: this.master.job.reduces }, () => 1),
      partitionCrc: Array.from({ length: this.master.job.reduces }, () => 3),
      counters: { 'g,n': 1 },
    })
  }

  completeReduce(workerId: string): void {
    const task = this.assignment(workerId)
    assert.equal(task.type, 'assign_reduce')
    this.receive(workerId, {
      type: 'reduce_done',
      task: task.task,
      attempt: task.attempt,
      tempPath: `/out/_temporary/r${task.task}`,
      counters: {},
    })
  }

  heartbeat(workerId: string): void {
    this.receive(workerId, { type: 'heartbeat', running: [] })
  }
}

const config: MasterConfig = { ...defaultMasterConfig(HEARTBEAT), backupTasks: false }

test('a job runs every map, then every reduce, commits each part and marks success last', () => {
  const h = new Harness(MasterCore.start(job, splits(3), config, instant(0)))
  assert.equal(h.log[0]?.type, 'job')
  h.register('w1')
  h.register('w2')
  assert.equal(h.assignment('w1').type, 'assign_map')
  h.completeMap('w1')
  h.completeMap('w2')
  h.completeMap('w1')
  assert.equal(h.assignment('w2').type, 'assign_reduce')
  const reduce = h.assignment('w2')
  assert.equal(reduce.type === 'assign_reduce' && reduce.sources.length, 3)
  h.completeReduce('w1')
  assert.equal(h.master.isFinished, false)
  h.completeReduce('w2')
  assert.deepEqual(h.commits.sort(), ['part-00000', 'part-00001'])
  assert.equal(h.finish?.succeeded, true)
  assert.deepEqual(
    h.log.map((record) => record.type),
    [
      'job',
      'map_committed',
      'map_committed',
      'map_committed',
      'reduce_committed',
      'reduce_committed',
      'job_succeeded',
    ],
  )
  const progress = h.master.progress(h.now)
  assert.equal(progress.counters['g,n'], 3)
  assert.equal(progress.maps.committed, 3)
})

test('a silent worker is dead within three heartbeat intervals; its work runs again', () => {
  const h = new Harness(MasterCore.start(job, splits(3), config, instant(0)))
  h.register('w1')
  h.register('w2')
  h.completeMap('w1') // m0 committed on w1, whose disk then dies with it
  const running = h.assignment('w1') // w1 now runs m2
  for (let t = 0; t < 2; t++) {
    h.advance(HEARTBEAT)
    h.heartbeat('w2')
  }
  h.advance(HEARTBEAT - 1)
  assert.equal(
    h.log.some((record) => record.type === 'map_lost'),
    false,
  )
  h.heartbeat('w2')
  h.advance(1) // 300 ms without a heartbeat from w1
  assert.deepEqual(
    h.log.filter((record) => record.type === 'map_lost'),
    [{ type: 'map_lost', task: 0 }],
  )
  h.completeMap('w2') // m1
  const next = h.assignment('w2')
  assert.equal(next.type, 'assign_map')
  assert.notEqual(next.task, 1)
  assert.ok(next.task === 0 || next.task === running.task)
  h.completeMap('w2')
  h.completeMap('w2')
  assert.equal(h.assignment('w2').type, 'assign_reduce')
  assert.equal(h.master.progress(h.now).attemptsFailed, 0, 'lost attempts are not failures')
  // w1 was only slow: its next message gets its stream dropped, so that it registers again.
  h.master.receive(h.now, 'w1', { type: 'heartbeat', running: [] })
  assert.deepEqual(h.master.takeOutputs(), [{ type: 'drop', workerId: 'w1' }])
})

test('a task that fails maxAttempts times fails the job, naming task and attempt, without success', () => {
  const h = new Harness(MasterCore.start(job, splits(1), config, instant(0)))
  h.register('w1')
  for (let attempt = 0; attempt < 4; attempt++) {
    const task = h.assignment('w1')
    assert.equal(task.attempt, attempt)
    h.receive('w1', {
      type: 'task_failed',
      kind: 'map',
      task: 0,
      attempt,
      reason: 'mapper exited with code 3',
    })
  }
  assert.equal(h.finish?.succeeded, false)
  assert.match(
    h.finish?.reason ?? '',
    /task m_000000 failed 4 times; last: attempt_m_000000_3 on worker w1: mapper exited with code 3/,
  )
  assert.equal(h.commits.length, 0)
  assert.equal(h.log.at(-1)?.type, 'job_failed')
})

test('an attempt without progress for the task timeout fails and is killed', () => {
  const h = new Harness(MasterCore.start(job, splits(1), config, instant(0)))
  h.register('w1')
  for (let t = 0; t < 9; t++) {
    h.advance(100)
    h.receive('w1', {
      type: 'heartbeat',
      running: [{ kind: 'map', index: 0, attempt: 0, progress: t + 1, status: '' }],
    })
  }
  for (let t = 0; t < 9; t++) {
    h.advance(100)
    h.heartbeat('w1')
  }
  assert.equal(h.master.progress(h.now).attemptsFailed, 0)
  h.advance(100)
  h.heartbeat('w1')
  assert.equal(h.master.progress(h.now).attemptsFailed, 1)
  assert.ok(h.sent.some((entry) => entry.message.type === 'kill'))
  assert.equal(h.assignment('w1').attempt, 1)
})

test('near the end, an idle worker runs a backup; the first to finish commits, the other is killed', () => {
  const backupConfig = { ...config, backupTasks: true, backupAfter: ms(1000) }
  const h = new Harness(MasterCore.start(job, splits(2), backupConfig, instant(0)))
  h.register('w1')
  h.register('w2')
  const slow = h.assignment('w2')
  h.completeMap('w1')
  assert.equal(h.assignment('w1').task, 0, 'no backup for an attempt that just started')
  for (let t = 0; t < 10; t++) {
    h.advance(100)
    h.heartbeat('w1')
    const report = {
      kind: 'map' as const,
      index: slow.task,
      attempt: slow.attempt,
      progress: t + 1,
      status: '',
    }
    h.receive('w2', { type: 'heartbeat', running: [report] })
  }
  const backup = h.assignment('w1')
  assert.equal(backup.task, slow.task)
  assert.equal(backup.attempt, slow.attempt + 1)
  h.completeMap('w1')
  assert.ok(h.sent.some((entry) => entry.workerId === 'w2' && entry.message.type === 'kill'))
  // The straggler's late report changes nothing.
  h.receive('w2', {
    type: 'map_done',
    task: slow.task,
    attempt: slow.attempt,
    partitionBytes: [1, 2],
    partitionCrc: [3, 4],
    counters: {},
  })
  assert.equal(h.log.filter((record) => record.type === 'map_committed').length, 2)
})

test('locality: a worker gets the split it holds first', () => {
  const h = new Harness(MasterCore.start(job, splits(3, [[], [], ['hostB']]), config, instant(0)))
  h.register('w1', 'hostB')
  assert.equal(h.assignment('w1').task, 2)
})

test('a reducer that cannot fetch a map output makes the map run again, charged to the map', () => {
  const h = new Harness(MasterCore.start({ ...job, reduces: 1 }, splits(1), config, instant(0)))
  h.register('w1')
  h.receive('w1', {
    type: 'map_done',
    task: 0,
    attempt: 0,
    partitionBytes: [5],
    partitionCrc: [7],
    counters: {},
  })
  const reduce = h.assignment('w1')
  h.receive('w1', {
    type: 'task_failed',
    kind: 'reduce',
    task: 0,
    attempt: reduce.attempt,
    reason: 'partition 0 of attempt_m_000000_0: CRC mismatch',
    fetchFailedMap: 0,
  })
  assert.deepEqual(h.assignment('w1'), {
    type: 'assign_map',
    task: 0,
    attempt: 1,
    split: splits(1)[0],
  })
})

test('a restarted master re-runs nothing committed when workers come back with their outputs', () => {
  const h = new Harness(MasterCore.start(job, splits(2), config, instant(0)))
  h.register('w1')
  h.register('w2')
  h.completeMap('w1')
  h.completeMap('w2')
  h.completeReduce('w1') // r0 committed; r1 running on w2 when the master dies
  const resumed = new Harness(MasterCore.resume(h.log, config, instant(5000)))
  resumed.now = instant(5000)
  const held1 = h.log.flatMap((r) =>
    r.type === 'map_committed' && r.location.workerId === 'w1' ? [r.location] : [],
  )
  const held2 = h.log.flatMap((r) =>
    r.type === 'map_committed' && r.location.workerId === 'w2' ? [r.location] : [],
  )
  resumed.register('w1', '', held1)
  resumed.register('w2', '', held2)
  const started = resumed.sent.filter((entry) => entry.message.type.startsWith('assign_'))
  assert.equal(started.length, 1)
  assert.deepEqual(started[0]?.message.type === 'assign_reduce' && started[0].message.task, 1)
  resumed.completeReduce(started[0]?.workerId ?? '')
  assert.deepEqual(resumed.commits, ['part-00001'])
  assert.equal(resumed.finish?.succeeded, true)
})

test('after a restart, a map whose worker never returns runs again once it is declared dead', () => {
  const h = new Harness(MasterCore.start({ ...job, reduces: 1 }, splits(2), config, instant(0)))
  h.register('w1')
  h.register('w2')
  h.completeMap('w1')
  const resumed = new Harness(MasterCore.resume(h.log, config, instant(0)))
  resumed.register('w3')
  resumed.completeMap('w3') // m1 (never committed)
  assert.equal(resumed.sent.filter((e) => e.message.type === 'assign_map').length, 1)
  resumed.advance(299)
  resumed.heartbeat('w3')
  resumed.advance(1) // w1 stayed away for three intervals
  const again = resumed.assignment('w3')
  assert.deepEqual([again.type, again.task], ['assign_map', 0])
})
