import { NodeKeyAgreement } from './key-agreement.js'
import type { Env, LogLevel } from '../../core/env.js'
import { NodeClock } from './clock.js'
import { NodeDisk } from './disk.js'
import { NodeEd25519 } from './ed25519.js'
import { NodeHashing } from './hashing.js'
import { NodeHttpClient } from './http-client.js'
import { NodeLog, type LogFormat } from './log.js'
import { MetricsRegistry } from './metrics.js'
import { NodeNet } from './net.js'
import { CryptoRandom } from './random.js'
import { NodeResolver } from './resolver.js'

export interface NodeEnvOptions {
  /** Default 'warn' so that commands print only their own output. */
  readonly logLevel?: LogLevel
  readonly logFormat?: LogFormat
  /** Confines the disk to this directory (see NodeDisk). */
  readonly diskRoot?: string
  /** Send and connect only to loopback addresses. Forced on under the test runner. */
  readonly loopbackOnly?: boolean
}

/**
 * The real Env: Node's clock, crypto randomness, UDP/TCP, files, stderr logging, OpenSSL
 * hashing and Ed25519, the system resolver and node:http(s).
 */
export function createNodeEnv(options: NodeEnvOptions = {}): Env & { metrics: MetricsRegistry } {
  const log = new NodeLog({
    level: options.logLevel ?? 'warn',
    ...(options.logFormat === undefined ? {} : { format: options.logFormat }),
  })
  const metrics = new MetricsRegistry()
  return {
    clock: new NodeClock(),
    random: new CryptoRandom(),
    net: new NodeNet({
      log,
      metrics,
      ...(options.loopbackOnly === undefined ? {} : { loopbackOnly: options.loopbackOnly }),
    }),
    disk: new NodeDisk(options.diskRoot === undefined ? {} : { root: options.diskRoot }),
    log,
    metrics,
    hashing: new NodeHashing(),
    signing: new NodeEd25519(),
    keyAgreement: new NodeKeyAgreement(),
    resolver: new NodeResolver(),
    http: new NodeHttpClient(
      options.loopbackOnly === undefined ? {} : { loopbackOnly: options.loopbackOnly },
    ),
  }
}
