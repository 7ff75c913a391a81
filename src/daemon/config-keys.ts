import { isIP } from 'node:net'
import { parseAddress } from '../core/address.js'
import type { LogLevel } from '../core/env.js'

/**
 * The kinds of value a key of the daemon's config file takes, and the checker that refuses a
 * wrong one with a message naming the key (config.ts lists the keys).
 */

/** A config file the daemon refuses: the message names the key (exit 2, misuse). */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
}

export type KeyKind =
  | { readonly kind: 'path' }
  | { readonly kind: 'host' }
  | { readonly kind: 'integer'; readonly min: number; readonly max: number }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'level' }
  | { readonly kind: 'addresses' }
  | { readonly kind: 'address' }
  | { readonly kind: 'choice'; readonly values: readonly string[] }
  /** A string a predicate accepts; `expected` says what in the refusal. */
  | { readonly kind: 'text'; readonly expected: string; readonly valid: (text: string) => boolean }
  /** An array of such strings. */
  | {
      readonly kind: 'strings'
      readonly expected: string
      readonly valid: (item: string) => boolean
    }

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error']

export type Value = string | number | boolean | readonly string[]

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (Array.isArray(value)) return 'an array'
  if (value !== null && typeof value === 'object') return 'a table'
  return String(value)
}

export function check(key: string, kind: KeyKind, value: unknown): Value {
  const refuse = (expected: string): never => {
    throw new ConfigError(`${key} must be ${expected} (got ${describe(value)})`)
  }
  switch (kind.kind) {
    case 'path':
      if (typeof value !== 'string' || value === '') return refuse('a non-empty path string')
      return value
    case 'host':
      // An IP literal: the daemon binds it as given and never resolves names at start.
      if (typeof value !== 'string' || isIP(value) === 0) {
        return refuse('an IP address such as "127.0.0.1" or "::"')
      }
      return value
    case 'integer': {
      // smol-toml reads integers as numbers (bigint only beyond 2^53, refused below).
      if (typeof value !== 'number' || !Number.isInteger(value)) return refuse('an integer')
      if (value < kind.min || value > kind.max) {
        return refuse(`an integer from ${kind.min} to ${kind.max}`)
      }
      return value
    }
    case 'boolean':
      if (typeof value !== 'boolean') return refuse('true or false')
      return value
    case 'level':
      if (typeof value !== 'string' || !(LOG_LEVELS as readonly string[]).includes(value)) {
        return refuse(`one of ${LOG_LEVELS.map((l) => `"${l}"`).join(', ')}`)
      }
      return value
    case 'address':
      if (typeof value !== 'string' || parseAddress(value) === undefined) {
        return refuse('"host:port"')
      }
      return value
    case 'addresses': {
      if (!Array.isArray(value)) return refuse('an array of "host:port" strings')
      const list = value as unknown[]
      for (const item of list) {
        if (typeof item !== 'string' || parseAddress(item) === undefined) {
          throw new ConfigError(`${key} entries must be "host:port" (got ${describe(item)})`)
        }
      }
      return list as string[]
    }
    case 'text':
      if (typeof value !== 'string' || !kind.valid(value)) return refuse(kind.expected)
      return value
    case 'strings': {
      if (!Array.isArray(value)) return refuse(`an array of strings, each ${kind.expected}`)
      const list = value as unknown[]
      for (const item of list) {
        if (typeof item !== 'string' || !kind.valid(item)) {
          throw new ConfigError(`${key} entries must be ${kind.expected} (got ${describe(item)})`)
        }
      }
      return list as string[]
    }
    case 'choice':
      if (typeof value !== 'string' || !kind.values.includes(value)) {
        return refuse(`one of ${kind.values.map((v) => `"${v}"`).join(', ')}`)
      }
      return value
  }
}
