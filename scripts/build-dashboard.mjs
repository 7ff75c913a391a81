#!/usr/bin/env node
// Bundles the dashboard (src/dashboard/ui/main.tsx, Preact) into dist/dashboard/: index.html and
// assets/app.js + assets/app.css, fixed names (the daemon serves them with `no-cache`, so a new
// build is picked up at once). Everything the page needs is in these files: no CDN, no web font,
// no request to any other origin. esbuild-wasm is pure WebAssembly: nothing is downloaded.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild-wasm'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const source = join(root, 'src', 'dashboard')
const out = join(root, 'dist', 'dashboard')

rmSync(out, { recursive: true, force: true })
mkdirSync(join(out, 'assets'), { recursive: true })
const result = await build({
  entryPoints: { app: join(source, 'ui', 'main.tsx') },
  outdir: join(out, 'assets'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
})
writeFileSync(join(out, 'index.html'), readFileSync(join(source, 'index.html')))
// The tab icon, from this origin: without one the browser asks for /favicon.ico.
writeFileSync(join(out, 'assets', 'icon.svg'), readFileSync(join(source, 'icon.svg')))
const bytes = Object.entries(result.metafile.outputs).map(
  ([file, { bytes }]) => `${file.split('/').pop()} ${Math.round(bytes / 1024)} KiB`,
)
if (process.env['PLEXUS_BUILD_VERBOSE'] === '1') console.log(`dashboard: ${bytes.join(', ')}`)
