import assert from 'node:assert/strict'
import type { Callback, Disk, DiskFile } from '../../src/core/env.js'
import { OperationalError, type OperationalErrorCode } from '../../src/core/errors.js'
import type { Result } from '../../src/core/result.js'

/**
 * Promise adapters for the callback ports, used only by tests. Every call goes through
 * `settle`, which also checks the port's contract on every single call: the callback runs
 * after the call has returned, and exactly once.
 */

export function settle<T>(
  start: (done: Callback<T>) => void,
): Promise<Result<T, OperationalError>> {
  return new Promise((resolve) => {
    let returned = false
    let calls = 0
    start((result) => {
      calls++
      // A throw here fails the test: synchronously through the executor, later as uncaught.
      assert.equal(calls, 1, 'callback invoked more than once')
      assert.ok(returned, 'callback invoked synchronously, from inside the call')
      resolve(result)
    })
    returned = true
  })
}

/** The value, or a rejection with the OperationalError. */
export async function call<T>(start: (done: Callback<T>) => void): Promise<T> {
  const result = await settle(start)
  if (!result.ok) throw result.error
  return result.value
}

/** Asserts that the call fails with `code` and a message that names `mentions`. */
export async function failure<T>(
  start: (done: Callback<T>) => void,
  code: OperationalErrorCode,
  mentions?: string,
): Promise<OperationalError> {
  const result = await settle(start)
  assert.ok(!result.ok, `expected a '${code}' error, got a value`)
  assert.ok(result.error instanceof OperationalError, 'errors are OperationalError')
  assert.equal(result.error.code, code, result.error.message)
  if (mentions !== undefined) assert.ok(result.error.message.includes(mentions))
  return result.error
}

/** A disk under test with paths relative to its test root. */
export class DiskFixture {
  constructor(
    readonly disk: Disk,
    private readonly root: string,
  ) {}

  at(name: string): string {
    return this.root === '' ? name : `${this.root}/${name}`
  }

  open(name: string, mode: 'read' | 'readwrite' | 'create'): Promise<DiskFile> {
    return call((done) => this.disk.open(this.at(name), mode, done))
  }

  async writeFile(name: string, bytes: Uint8Array): Promise<void> {
    const file = await this.open(name, 'create')
    await call((done) => file.truncate(0, done))
    await call((done) => file.write(0, bytes, done))
    await call((done) => file.close(done))
  }

  async readFile(name: string): Promise<Uint8Array> {
    const file = await this.open(name, 'read')
    const bytes = await readAll(file)
    await call((done) => file.close(done))
    return bytes
  }
}

/** Registers one test that runs `body` against a fresh disk. */
export type DiskTest = (title: string, body: (disk: DiskFixture) => Promise<void>) => void

export async function readAll(file: DiskFile): Promise<Uint8Array> {
  const size = await call<number>((done) => file.size(done))
  return call<Uint8Array>((done) => file.read(0, size, done))
}

/** `length` bytes counting up from `first`, so misplaced bytes show in a diff. */
export function pattern(first: number, length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (first + i) & 0xff)
}
