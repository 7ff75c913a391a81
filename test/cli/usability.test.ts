import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { commandsWithExamples } from '../../src/cli/examples.js'
import { COMMAND_MODULES, modulesFor } from '../../src/cli/command-table.js'
import { buildProgram } from '../../src/cli/main-program.js'
import { CLI_ENTRY } from '../../src/cli/spawn.js'

/** What a new user meets first: help with examples, sensible defaults, a clean Ctrl-C. */

test('every command and subcommand shows examples in its --help', async () => {
  const program = await buildProgram()
  const paths: string[] = []
  const visit = (command: typeof program, prefix: string): void => {
    for (const sub of command.commands) {
      const path = prefix === '' ? sub.name() : `${prefix} ${sub.name()}`
      paths.push(path)
      visit(sub, path)
    }
  }
  visit(program, '')
  const documented = new Set(commandsWithExamples())
  const missing = paths.filter((path) => !documented.has(path))
  assert.deepEqual(missing, [], 'commands without examples')
  const help = spawnSync(process.execPath, [CLI_ENTRY, 'get', '--help'], { encoding: 'utf8' })
  assert.match(help.stdout, /Examples:\n {2}plexus get /)
})

test('the lazy command table names exactly the commands each module registers', async () => {
  const { Command } = await import('commander')
  const seen: string[] = []
  for (const module of COMMAND_MODULES) {
    const alone = new Command()
    ;(await module.load())(alone)
    const names = alone.commands.map((command) => command.name())
    assert.deepEqual(names, module.names, `the module of ${module.names.join(', ')}`)
    seen.push(...names)
  }
  const whole = await buildProgram()
  assert.deepEqual(
    whole.commands.map((command) => command.name()),
    seen,
    'the full tree, in help order',
  )
  // A command line loads the module of the command it names, and only that one.
  assert.deepEqual(
    modulesFor(['get', 'x.torrent', '--json']).map((m) => m.names),
    [['seed', 'get']],
  )
  assert.deepEqual(
    modulesFor(['--json', 'sim', 'swarm']).map((m) => m.names),
    [['sim']],
  )
  assert.deepEqual(modulesFor(['--version']), [])
  assert.deepEqual(modulesFor(['-V', '--json']), [])
  // Help, no command, a typo (commander suggests from every name): the whole tree.
  for (const args of [[], ['--help'], ['--version', '--help'], ['gett'], ['help', 'get']]) {
    assert.equal(modulesFor(args).length, COMMAND_MODULES.length, args.join(' '))
  }
})

test('get without -o downloads into the current folder', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-cwd-'))
  try {
    const data = join(dir, 'share')
    mkdirSync(data)
    writeFileSync(join(data, 'f.bin'), Buffer.alloc(70_000, 3))
    const torrent = join(dir, 'share.torrent')
    const made = spawnSync(process.execPath, [CLI_ENTRY, 'create', data, '-o', torrent])
    assert.equal(made.status, 0)
    const seed = spawn(
      process.execPath,
      [CLI_ENTRY, 'seed', torrent, '--data', dir, '--bind', '127.0.0.1', '--json'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    try {
      const port = await new Promise<string>((resolve) => {
        let text = ''
        seed.stdout.on('data', (chunk: Buffer) => {
          text += chunk.toString()
          const found = /"listen":"127\.0\.0\.1:(\d+)"/.exec(text)?.[1]
          if (found !== undefined) resolve(found)
        })
      })
      const cwd = join(dir, 'here')
      mkdirSync(cwd)
      const got = spawnSync(
        process.execPath,
        [CLI_ENTRY, 'get', torrent, '--peer', `127.0.0.1:${port}`, '--bind', '127.0.0.1'],
        { cwd, encoding: 'utf8', timeout: 30_000 },
      )
      assert.equal(got.status, 0, got.stderr)
      assert.deepEqual(readFileSync(join(cwd, 'share', 'f.bin')), Buffer.alloc(70_000, 3))
    } finally {
      seed.kill('SIGTERM')
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('Ctrl-C during the demo stops its processes, removes its files and exits 130', async () => {
  const demo = spawn(process.execPath, [CLI_ENTRY, 'demo', '--leechers', '1', '--size', '1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let demoDir: string | undefined
  let signalled = false
  demo.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString()
    demoDir ??= /created (\/\S+)\/demo\.torrent/.exec(out)?.[1]
    if (!signalled && demoDir !== undefined && /seeder \(pid \d+\) ready/.test(out)) {
      signalled = true
      demo.kill('SIGINT')
    }
  })
  const status = await new Promise<number | null>((resolve) => demo.once('exit', resolve))
  assert.equal(status, 130, out)
  assert.ok(demoDir !== undefined, out)
  assert.equal(existsSync(demoDir), false, `${demoDir} was left behind`)
})
