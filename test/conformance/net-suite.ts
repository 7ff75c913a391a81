/**
 * Net conformance: behaviour every `Net` implementation must show (node:dgram/node:net today,
 * the simulator's network later), so that drivers and cores can rely on it in any world.
 * After js-libp2p's interface-compliance-tests.
 *
 * ## Harness
 *
 * `netConformance(name, makeHarness, options?)` registers one `describe` block. Every case
 * builds a fresh world with `makeHarness()` and calls `cleanup()` at its end, pass or fail,
 * after closing every socket and listener it opened.
 *
 * Cases never wait on real time themselves. The port's callbacks resolve Promises, and when a
 * case needs the world to move it asks the harness:
 *
 * - `settle(pending, what)`: let the world run until `pending` settles; return its value.
 *   Real sockets: I/O happens by itself, so await `pending` under a generous deadline and
 *   reject naming `what` when it passes. Simulator (a synchronous scheduler): step the
 *   scheduler until `pending` settled, letting every Promise reaction run to its end between
 *   steps, and reject naming `what` when the world goes idle or hits its step bound first.
 *   One `await Promise.resolve()` is not enough: a `Promise.all` settles two turns after its
 *   last input, so the world can look idle before `done` is set. Yield to an immediate, which
 *   Node runs only once the microtask queue is empty. For example:
 *
 *       const reactions = () => new Promise((resolve) => setImmediate(resolve))
 *       let done = false
 *       pending.then(() => (done = true), () => (done = true))
 *       await reactions()
 *       for (let steps = 0; !done && steps < STEPS_MAX && scheduler.step(); steps++) {
 *         await reactions()
 *       }
 *       if (!done) throw new Error(`world idle before ${what}`)
 *       return pending
 *
 * - `idle()`: let the world run until nothing more is expected to happen; used to check that
 *   something did NOT happen (no data while paused, no drain while the reader is stalled).
 *   Real sockets: a short quiet period of real time. Simulator: run until no event is pending
 *   (bounded).
 *
 * The world must be lossless, in order and duplicate-free on `host`: a simulator configures its
 * links that way for this suite. `host` is an IP literal every socket binds and connects on.
 *
 * ## What is checked
 *
 * Datagrams: port 0 yields a real port; exact bytes and sender address on a round trip; close
 * is idempotent. Streams: a 1 MiB echo in chunks of 1 byte to 200 KB is byte-exact and in
 * order; matching addresses on both ends; connect to a closed port is 'refused'; `end()`
 * flushes, then the far side sees 'end' and we see 'local'; `destroy()` makes the far side see
 * 'reset' (the far side is reading, which is when Linux, macOS and Windows all report the
 * RST; a world that cannot tell RST from FIN does not conform); `write()` returns false at the
 * high-water mark, and once a paused reader has filled what lies between (a writer floods
 * until a false is followed by no drain), `onDrain` follows only once the reader consumes; the
 * reader sees no data while paused and every byte once resumed; `pause()` holds
 * `onData` back until `resume()`. Every callback runs after the call that requested it
 * returned. The harness clock fires timers at or after their instant, and `clearTimer`
 * cancels.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Address } from '../../src/core/address.js'
import type { StreamCloseReason } from '../../src/core/core.js'
import type {
  Callback,
  Clock,
  DatagramSocket,
  Net,
  StreamListener,
  StreamSocket,
} from '../../src/core/env.js'
import type { OperationalError } from '../../src/core/errors.js'
import { SeededRandom } from '../../src/core/random.js'
import type { Result } from '../../src/core/result.js'
import { after, ms } from '../../src/core/time.js'

export interface NetHarness {
  readonly net: Net
  readonly clock: Clock
  /** Loopback IP literal to bind and connect on: '127.0.0.1', '::1', or a simulated host. */
  readonly host: string
  /** Run the world until `pending` settles; reject naming `what` if it cannot. */
  settle<T>(pending: Promise<T>, what: string): Promise<T>
  /** Run the world until nothing more is expected to happen. */
  idle(): Promise<void>
  /** Release the world (timers, schedulers). Sockets are already closed by then. */
  cleanup(): void
}

export interface NetConformanceOptions {
  /** Bytes in the stream echo case. Default 1 MiB. */
  readonly echoBytes?: number
  /**
   * How a connect to a closed port fails. Default 'refused' (TCP's RST). uTP over Node's
   * unconnected UDP socket never sees the ICMP port-unreachable, so it waits for 'timeout'.
   */
  readonly closedPortFailure?: 'refused' | 'timeout'
}

const ECHO_BYTES_DEFAULT = 1024 * 1024
/** Write sizes for the echo, cycled: tiny, MSS-sized, around 64 KiB, and larger. */
const ECHO_CHUNK_BYTES = [1, 2, 3, 100, 1000, 1460, 4096, 16_384, 65_535, 65_536, 65_537, 200_000]
const DATAGRAM_BYTES = 1200
const PAUSE_PROBE_BYTES = 100
const END_FLUSH_BYTES = 10_000
/** Backpressure case: chunk size, and a bound on writes before write() must return false. */
const FLOOD_CHUNK_BYTES = 16 * 1024
const FLOOD_WRITES_MAX = 4096
const TIMER_DELAY_MS = 20

export function netConformance(
  name: string,
  makeHarness: () => NetHarness,
  options: NetConformanceOptions = {},
): void {
  // Where silence is a closed port's only answer (uTP), connects to one get a short timeout:
  // the failure is what is tested, and the default (10 s) was most of this suite's run time.
  const closedPortTimeout = options.closedPortFailure === 'timeout' ? { timeout: ms(2000) } : {}
  const echoBytes = options.echoBytes ?? ECHO_BYTES_DEFAULT
  const run = (title: string, body: (world: World) => Promise<void>): void => {
    it(title, { timeout: 60_000 }, async () => {
      const world = new World(makeHarness())
      try {
        await body(world)
      } finally {
        world.close()
      }
    })
  }

  describe(`Net conformance: ${name}`, () => {
    run('datagram: binding port 0 gets a real port on the host', async (w) => {
      const [a, b] = [await w.bindDatagram(), await w.bindDatagram()]
      for (const socket of [a, b]) {
        assert.equal(socket.local.host, w.h.host)
        assert.ok(socket.local.port >= 1 && socket.local.port <= 65535, `${socket.local.port}`)
      }
      assert.notEqual(a.local.port, b.local.port)
    })

    run('datagram: a round trip keeps the exact bytes and the sender address', async (w) => {
      const [a, b] = [await w.bindDatagram(), await w.bindDatagram()]
      const payload = new SeededRandom(1).bytes(DATAGRAM_BYTES)
      const atB = nextDatagram(b)
      a.send(b.local, payload)
      const first = await w.h.settle(atB, 'datagram at b')
      assert.deepEqual(first.from, a.local)
      assert.deepEqual(Uint8Array.from(first.bytes), payload)
      const atA = nextDatagram(a)
      b.send(first.from, first.bytes)
      const second = await w.h.settle(atA, 'echoed datagram at a')
      assert.deepEqual(second.from, b.local)
      assert.deepEqual(Uint8Array.from(second.bytes), payload)
      b.close()
      b.close()
    })

    run('stream: connected ends agree on their addresses', async (w) => {
      const { listener, client, server } = await w.connectPair()
      assert.deepEqual(client.socket.remote, listener.local)
      assert.deepEqual(server.socket.remote, client.socket.local)
      assert.deepEqual(server.socket.local, listener.local)
      assert.equal(client.socket.local.host, w.h.host)
    })

    run(`stream: a ${echoBytes}-byte echo in many chunks is byte-exact, in order`, async (w) => {
      const { client } = await w.connectPair('echo')
      const payload = new SeededRandom(2).bytes(echoBytes)
      const sent = writeAll(client.socket, payload)
      await w.h.settle(Promise.all([sent, client.waitForBytes(echoBytes)]), 'the echo')
      const received = client.received()
      assert.equal(received.length, echoBytes)
      assert.equal(firstDifference(received, payload), -1, 'echoed bytes differ')
    })

    run('stream: connecting to a closed port is refused', async (w) => {
      const listener = await w.listen(() => {})
      const closed = listener.local
      listener.close()
      listener.close()
      await w.h.idle()
      const { result } = await w.request<StreamSocket>('connect', (done) =>
        w.h.net.connect(closed, done, closedPortTimeout),
      )
      assert.ok(!result.ok, 'connected to a closed port')
      assert.equal(result.error.code, options.closedPortFailure ?? 'refused')
    })

    run('stream: end() flushes, then the far side sees end and we see local', async (w) => {
      const { client, server } = await w.connectPair()
      client.socket.write(new SeededRandom(3).bytes(END_FLUSH_BYTES))
      client.socket.end()
      const reasons = await w.h.settle(Promise.all([client.closed, server.closed]), 'closes')
      assert.deepEqual(reasons, ['local', 'end'])
      assert.equal(server.bytes, END_FLUSH_BYTES)
    })

    run('stream: destroy() resets the far side', async (w) => {
      const { client, server } = await w.connectPair()
      client.socket.destroy()
      const reasons = await w.h.settle(Promise.all([client.closed, server.closed]), 'closes')
      assert.deepEqual(reasons, ['local', 'reset'])
    })

    run('stream: write() returns false at the mark, onDrain once the reader reads', async (w) => {
      const { client, server } = await w.connectPair('count')
      server.socket.pause()
      const chunk = new SeededRandom(4).bytes(FLOOD_CHUNK_BYTES)
      // The reader stops the writer only once everything between them is full: the send
      // buffer and what the world holds in flight (kernel socket buffers, the peer's receive
      // window). Real sockets fill those inside write() itself, so their first false already
      // means "full"; a simulator moves bytes on in virtual time, so a false can be followed
      // by a drain while the reader is paused, as it can on real sockets whose network lags.
      // Flood in rounds, each until write() returns false and then idle; a round whose false
      // is followed by no drain shows the backpressure reached the writer.
      let writes = 0
      let drained: Promise<void> | undefined
      while (drained === undefined) {
        let full = false
        while (!full && writes < FLOOD_WRITES_MAX) {
          writes += 1
          full = !client.socket.write(chunk)
        }
        assert.ok(full, `write() still true after ${writes} writes`)
        const drains = client.drains
        const next = client.nextDrain()
        await w.h.idle()
        if (client.drains === drains) drained = next
      }
      assert.equal(server.bytes, 0, 'onData while the reader was paused')
      server.socket.resume()
      await w.h.settle(drained, 'onDrain after the reader resumed')
      await w.h.settle(server.waitForBytes(writes * FLOOD_CHUNK_BYTES), 'all flooded bytes')
    })

    run('stream: pause() holds onData back until resume()', async (w) => {
      const { client, server } = await w.connectPair()
      server.socket.pause()
      client.socket.write(new SeededRandom(5).bytes(PAUSE_PROBE_BYTES))
      await w.h.idle()
      assert.equal(server.bytes, 0, 'onData while paused')
      server.socket.resume()
      await w.h.settle(server.waitForBytes(PAUSE_PROBE_BYTES), 'data after resume')
    })

    run('callbacks never run inside the call that requested them', async (w) => {
      const { net, clock } = w.h
      const any = { host: w.h.host, port: 0 }
      const bind = await w.request<DatagramSocket>('bindDatagram', (done) =>
        net.bindDatagram(any, done),
      )
      const listen = await w.request<StreamListener>('listen', (done) =>
        net.listen(any, (s) => w.adopt(s), done),
      )
      assert.ok(listen.result.ok, 'listen failed')
      const listener = listen.result.value
      const connect = await w.request<StreamSocket>('connect', (done) =>
        net.connect(listener.local, done),
      )
      assert.ok(connect.result.ok, 'connect failed')
      const close = await w.h.settle(closeChecked(connect.result.value), 'onClose after destroy')
      listener.close()
      await w.h.idle()
      const refuse = await w.request<StreamSocket>('refused connect', (done) =>
        net.connect(listener.local, done, closedPortTimeout),
      )
      assert.ok(!refuse.result.ok, 'connected to a closed listener')
      const timer = await w.h.settle(timerChecked(clock), 'a timer for a past instant')
      const sync = {
        bind: bind.sync,
        listen: listen.sync,
        connect: connect.sync,
        close,
        refuse: refuse.sync,
        timer,
      }
      const expected = { bind: false, listen: false, connect: false, close: false }
      assert.deepEqual(sync, { ...expected, refuse: false, timer: false }, 'true = synchronous')
    })

    run('clock: a timer fires at or after its instant; clearTimer cancels', async (w) => {
      const { clock } = w.h
      const at = after(clock.now(), ms(TIMER_DELAY_MS))
      let cancelledFired = false
      const cancelled = clock.setTimer(after(clock.now(), ms(TIMER_DELAY_MS / 2)), () => {
        cancelledFired = true
      })
      clock.clearTimer(cancelled)
      const firedAt = await w.h.settle(
        new Promise<number>((resolve) => clock.setTimer(at, () => resolve(clock.now()))),
        'the timer',
      )
      assert.ok(firedAt >= at, `fired at ${firedAt}, before ${at}`)
      assert.equal(cancelledFired, false, 'a cleared timer fired')
    })
  })
}

type ServerMode = 'record' | 'count' | 'echo'
type Closable = { close(): void } | { destroy(): void }

/** One case's world: opens sockets through the harness and closes them all at the end. */
class World {
  private readonly opened: Closable[] = []

  constructor(readonly h: NetHarness) {}

  bindDatagram(): Promise<DatagramSocket> {
    const at = { host: this.h.host, port: 0 }
    const socket = new Promise<DatagramSocket>((resolve, reject) => {
      this.h.net.bindDatagram(at, (r) => (r.ok ? resolve(this.adopt(r.value)) : reject(r.error)))
    })
    return this.h.settle(socket, 'bindDatagram')
  }

  listen(onConnection: (socket: StreamSocket) => void): Promise<StreamListener> {
    const at = { host: this.h.host, port: 0 }
    const listener = new Promise<StreamListener>((resolve, reject) => {
      const accept = (socket: StreamSocket): void => onConnection(this.adopt(socket))
      this.h.net.listen(at, accept, (r) => (r.ok ? resolve(this.adopt(r.value)) : reject(r.error)))
    })
    return this.h.settle(listener, 'listen')
  }

  /**
   * Makes one port request and runs the world until its callback, noting whether the callback
   * ran inside the request (it must not). What the callback opens is closed at the end.
   */
  request<T extends Closable>(
    what: string,
    call: (done: Callback<T>) => void,
  ): Promise<{ sync: boolean; result: Result<T, OperationalError> }> {
    const answered = new Promise<{ sync: boolean; result: Result<T, OperationalError> }>(
      (resolve) => {
        let returned = false
        call((result) => {
          if (result.ok) this.adopt(result.value)
          resolve({ sync: !returned, result })
        })
        returned = true
      },
    )
    return this.h.settle(answered, what)
  }

  /** A listener and one connection to it, each end under a probe from its first moment. */
  async connectPair(serverMode: ServerMode = 'record'): Promise<{
    listener: StreamListener
    client: StreamProbe
    server: StreamProbe
  }> {
    let accepted: (probe: StreamProbe) => void = () => {}
    const server = new Promise<StreamProbe>((resolve) => (accepted = resolve))
    const listener = await this.listen((socket) => accepted(new StreamProbe(socket, serverMode)))
    const client = new Promise<StreamProbe>((resolve, reject) => {
      this.h.net.connect(listener.local, (r) => {
        if (r.ok) resolve(new StreamProbe(this.adopt(r.value), 'record'))
        else reject(r.error)
      })
    })
    const [c, s] = await this.h.settle(Promise.all([client, server]), 'connect and accept')
    return { listener, client: c, server: s }
  }

  /** Closes everything this case opened; safe on what the case already closed. */
  close(): void {
    try {
      for (const item of this.opened.reverse()) {
        if ('destroy' in item) item.destroy()
        else item.close()
      }
    } finally {
      this.h.cleanup()
    }
  }

  /** Closes `item` when the case ends. */
  adopt<T extends Closable>(item: T): T {
    this.opened.push(item)
    return item
  }
}

/**
 * Watches one stream end from the moment it exists: counts (and, in 'record' mode, keeps) the
 * bytes, counts drains and records the close reason. In 'echo' mode it writes every chunk back,
 * pausing its reading while its own writes are above the high-water mark.
 */
class StreamProbe {
  bytes = 0
  drains = 0
  readonly closed: Promise<StreamCloseReason>
  private readonly chunks: Uint8Array[] = []
  private byteWaiters: { count: number; resolve: () => void }[] = []
  private drainWaiters: (() => void)[] = []

  constructor(
    readonly socket: StreamSocket,
    mode: ServerMode,
  ) {
    socket.onData((bytes) => {
      this.bytes += bytes.length
      if (mode === 'record') this.chunks.push(bytes)
      if (mode === 'echo' && !socket.write(bytes)) socket.pause()
      const due = this.byteWaiters.filter((waiter) => waiter.count <= this.bytes)
      this.byteWaiters = this.byteWaiters.filter((waiter) => waiter.count > this.bytes)
      for (const waiter of due) waiter.resolve()
    })
    socket.onDrain(() => {
      this.drains += 1
      if (mode === 'echo') socket.resume()
      for (const resolve of this.drainWaiters.splice(0)) resolve()
    })
    this.closed = new Promise((resolve) => socket.onClose(resolve))
  }

  waitForBytes(count: number): Promise<void> {
    if (this.bytes >= count) return Promise.resolve()
    return new Promise((resolve) => this.byteWaiters.push({ count, resolve }))
  }

  nextDrain(): Promise<void> {
    return new Promise((resolve) => this.drainWaiters.push(resolve))
  }

  /** Every recorded byte, in arrival order. */
  received(): Uint8Array {
    const out = new Uint8Array(this.bytes)
    let offset = 0
    for (const chunk of this.chunks) {
      out.set(chunk, offset)
      offset += chunk.length
    }
    return out
  }
}

/**
 * Writes `payload` in ECHO_CHUNK_BYTES-sized pieces, honouring backpressure: when write()
 * returns false the rest waits for onDrain (this takes over the socket's onDrain handler).
 * Driven by callbacks, not awaits, so that a synchronous simulator runs it to completion
 * inside its own steps.
 */
function writeAll(socket: StreamSocket, payload: Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    let offset = 0
    let next = 0
    const pump = (): void => {
      while (offset < payload.length) {
        const size = ECHO_CHUNK_BYTES[next++ % ECHO_CHUNK_BYTES.length] ?? 1
        const chunk = payload.subarray(offset, offset + size)
        offset += chunk.length
        if (!socket.write(chunk)) return
      }
      resolve()
    }
    socket.onDrain(pump)
    pump()
  })
}

function nextDatagram(socket: DatagramSocket): Promise<{ from: Address; bytes: Uint8Array }> {
  return new Promise((resolve) => socket.onReceive((from, bytes) => resolve({ from, bytes })))
}

/** Destroys `socket`, resolving true when its onClose ran inside destroy(). */
function closeChecked(socket: StreamSocket): Promise<boolean> {
  return new Promise((resolve) => {
    let returned = false
    socket.onClose(() => resolve(!returned))
    socket.destroy()
    returned = true
  })
}

/** Sets a timer for an instant already past, resolving true when it fired inside setTimer. */
function timerChecked(clock: Clock): Promise<boolean> {
  return new Promise((resolve) => {
    let returned = false
    clock.setTimer(after(clock.now(), ms(-1)), () => resolve(!returned))
    returned = true
  })
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length)
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return i
  return a.length === b.length ? -1 : length
}
