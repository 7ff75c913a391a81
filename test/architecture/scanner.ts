import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, normalize, relative, sep } from 'node:path'

/**
 * The layering and determinism rules, as a scanner that can be pointed at any file. The test
 * runs it on the tree and on bad samples, so it is seen to catch what it claims to catch.
 */
export interface Violation {
  readonly file: string
  readonly line: number
  readonly rule: string
}

/** Ambient time, randomness, timers and process access: forbidden in sans-IO layers. */
const AMBIENT: readonly [RegExp, string][] = [
  [/\bDate\.now\s*\(/, 'reads the clock (Date.now)'],
  [/\bnew\s+Date\s*\(/, 'reads the clock (new Date)'],
  [/\bperformance\s*\.\s*now\b/, 'reads the clock (performance.now)'],
  [/\bMath\.random\b/, 'uses ambient randomness (Math.random)'],
  [/\bcrypto\s*\.\s*(getRandomValues|randomUUID|randomBytes)\b/, 'uses ambient randomness'],
  [/\bset(Timeout|Interval|Immediate)\s*\(/, 'sets a timer'],
  [/\bqueueMicrotask\s*\(/, 'schedules a microtask'],
  [/\bprocess\s*[.[]/, 'touches process'],
  [/\brequire\s*\(/, 'uses require'],
]

const NODE_BUILTINS = new Set([
  'fs',
  'net',
  'dgram',
  'http',
  'https',
  'os',
  'path',
  'crypto',
  'child_process',
  'worker_threads',
  'timers',
  'process',
  'events',
  'stream',
  'buffer',
  'url',
  'util',
  'dns',
  'tls',
  'zlib',
  'perf_hooks',
])

/** Which top-level folders under src/ a layer may not import. */
const FORBIDDEN_IMPORTS: Readonly<Record<string, readonly string[]>> = {
  core: ['protocols', 'drivers', 'sim', 'cli', 'lab', 'peer', 'web'],
  protocols: ['drivers', 'sim', 'cli', 'lab', 'peer', 'web'],
  drivers: ['sim', 'cli', 'lab', 'web'],
  // The simulator is a world of its own: it reaches nothing real, so no driver either.
  sim: ['protocols', 'drivers', 'cli', 'lab', 'peer', 'web'],
}

const SANS_IO_LAYERS = new Set(['core', 'protocols'])

/** Blanks comments and string/template contents so that patterns match code only. */
export function stripCommentsAndStrings(text: string): string {
  let out = ''
  let i = 0
  while (i < text.length) {
    const c = text[i] as string
    const next = text[i + 1]
    if (c === '/' && next === '/') {
      while (i < text.length && text[i] !== '\n') i++
    } else if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2)
      const stop = end === -1 ? text.length : end + 2
      out += text.slice(i, stop).replace(/[^\n]/g, ' ')
      i = stop
    } else if (c === "'" || c === '"' || c === '`') {
      out += c
      i++
      while (i < text.length && text[i] !== c) {
        if (text[i] === '\\') {
          out += '  '
          i += 2
          continue
        }
        out += text[i] === '\n' ? '\n' : ' '
        i++
      }
      out += c
      i++
    } else {
      out += c
      i++
    }
  }
  return out
}

const IMPORT_SPECIFIER =
  /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)/g

export function importSpecifiers(text: string): { specifier: string; line: number }[] {
  const found: { specifier: string; line: number }[] = []
  for (const match of text.matchAll(IMPORT_SPECIFIER)) {
    const specifier = match[1] ?? match[2]
    if (specifier === undefined) continue
    const upTo = text.slice(0, (match.index ?? 0) + match[0].length)
    found.push({ specifier, line: upTo.split('\n').length })
  }
  return found
}

/** The layer (first folder under src/) of a path relative to the project root. */
export function layerOf(file: string): string | undefined {
  const parts = normalize(file).split(sep)
  return parts[0] === 'src' ? parts[1] : undefined
}

/**
 * Scans one source file. `file` is relative to the project root (e.g. `src/core/id.ts`).
 * Colocated test files (`*.test.ts`) may use node:test and friends.
 */
export function scanSource(file: string, text: string): Violation[] {
  const layer = layerOf(file)
  if (layer === undefined || file.endsWith('.test.ts')) return []
  const violations: Violation[] = []
  const code = stripCommentsAndStrings(text)
  const lines = code.split('\n')
  if (SANS_IO_LAYERS.has(layer)) {
    lines.forEach((line, index) => {
      for (const [pattern, rule] of AMBIENT) {
        if (pattern.test(line)) violations.push({ file, line: index + 1, rule })
      }
    })
  }
  for (const { specifier, line } of importSpecifiers(text)) {
    const bare = specifier.replace(/^node:/, '').split('/')[0] ?? ''
    const isBuiltin = specifier.startsWith('node:') || NODE_BUILTINS.has(bare)
    if (SANS_IO_LAYERS.has(layer) && isBuiltin) {
      violations.push({ file, line, rule: `imports a Node built-in (${specifier})` })
    }
    if (!specifier.startsWith('.')) continue
    const target = layerOf(normalize(join(dirname(file), specifier)))
    const forbidden = FORBIDDEN_IMPORTS[layer] ?? []
    if (target !== undefined && forbidden.includes(target)) {
      violations.push({ file, line, rule: `${layer} imports ${target} (${specifier})` })
    }
  }
  return violations
}

export function sourceFiles(root: string, dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(join(root, dir)).sort()) {
    const path = join(dir, name)
    if (statSync(join(root, path)).isDirectory()) out.push(...sourceFiles(root, path))
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path)
  }
  return out
}

export function scanTree(root: string): Violation[] {
  return sourceFiles(root, 'src').flatMap((file) =>
    scanSource(relative(root, join(root, file)), readFileSync(join(root, file), 'utf8')),
  )
}
