import { isPeerTransports, type PeerTransports } from '../drivers/bittorrent/peer-transports.js'
import { InvalidArgumentError } from 'commander'
import { isIP } from 'node:net'
import { isValidPort, parseAddress, type Address } from '../core/address.js'
import { isEncryptionPolicy, type EncryptionPolicy } from '../protocols/mse/index.js'

/** Option parsers that turn bad command-line input into a clear message, never a crash. */
export function integerOption(name: string, min: number, max: number) {
  return (text: string): number => {
    if (!/^-?\d+$/.test(text.trim())) {
      throw new InvalidArgumentError(`${name} must be an integer, got '${text}'`)
    }
    const value = Number(text)
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`${name} must be between ${min} and ${max}, got ${text}`)
    }
    return value
  }
}

export function numberOption(name: string, min: number, max: number) {
  return (text: string): number => {
    const value = Number(text)
    if (text.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
      throw new InvalidArgumentError(`${name} must be a number between ${min} and ${max}`)
    }
    return value
  }
}

export const portOption = (text: string): number => {
  const port = integerOption('port', 0, 65535)(text)
  if (!isValidPort(port)) throw new InvalidArgumentError(`port out of range: ${text}`)
  return port
}

export const addressArgument = (text: string): Address => {
  const parsed = parseAddress(text)
  if (parsed === undefined) {
    throw new InvalidArgumentError(`expected HOST:PORT (e.g. 127.0.0.1:7000), got '${text}'`)
  }
  return parsed
}

export const seedOption = integerOption('seed', 0, 0xffffffff)

/** An IPv6 literal such as `::` or `::1` (BEP 32's second DHT socket binds it). */
export const ipv6Option = (text: string): string => {
  if (isIP(text) !== 6) {
    throw new InvalidArgumentError(`expected an IPv6 address such as '::' or '::1', got '${text}'`)
  }
  return text
}

/**
 * A URL with one of `schemes` (`'http:'`, `'udp:'`) and a host: a tracker or web seed that
 * cannot be reached is refused when the torrent is made, not discovered by every downloader.
 */
export function urlOption(name: string, schemes: readonly string[]) {
  return (text: string): string => {
    let url: URL
    try {
      url = new URL(text)
    } catch {
      throw new InvalidArgumentError(`${name} expects a URL such as http://host:port/announce`)
    }
    if (!schemes.includes(url.protocol) || url.hostname === '') {
      const allowed = schemes.map((scheme) => `${scheme}//`).join(', ')
      throw new InvalidArgumentError(`${name} ${text}: expected a URL starting with ${allowed}`)
    }
    if (url.protocol === 'udp:' && url.port === '') {
      throw new InvalidArgumentError(`${name} ${text}: a udp:// tracker URL needs a port`)
    }
    return text
  }
}

/** `--transport both|tcp|utp` (libtorrent's enable_{incoming,outgoing}_{utp,tcp}). */
export function transportOption(text: string): PeerTransports {
  if (!isPeerTransports(text)) {
    throw new InvalidArgumentError(`transport must be both, tcp or utp, got '${text}'`)
  }
  return text
}

/** `--encryption prefer|require|disable` (MSE/PE, as libtorrent's enc_policy). */
export function encryptionOption(text: string): EncryptionPolicy {
  if (!isEncryptionPolicy(text)) {
    throw new InvalidArgumentError(`encryption must be prefer, require or disable, got '${text}'`)
  }
  return text
}
