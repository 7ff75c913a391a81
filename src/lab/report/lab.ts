import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { renderHtml } from './html.js'
import { runSectionsInWorkers } from './lab-pool.js'
import type { SectionResult } from './section.js'
import { SECTIONS } from './sections/index.js'
import { stableJson } from './stable-json.js'

/**
 * `plexus lab`: runs the sections, each in a worker thread of its own, up to `jobs` at once
 * (the sections are independent single-threaded simulations, so a 2-core machine runs two
 * side by side), and writes DIR/report.html and DIR/report.json with the sections in their
 * fixed order. The files hold no time, no machine name and no wall-clock figure, so the same
 * seed and options give the same bytes whatever `jobs` is; how long each section took goes to
 * `progress` only.
 */
export interface LabOptions {
  readonly seed: number
  readonly quick: boolean
  /** Section ids to run (all when empty). */
  readonly only: readonly string[]
  readonly outDir: string
  /** Sections run at once (default 1). */
  readonly jobs?: number
  readonly progress?: (line: string) => void
}

export interface LabResult {
  readonly files: readonly string[]
  readonly sections: readonly SectionResult[]
}

export const SECTION_IDS: readonly string[] = SECTIONS.map((s) => s.id)

/** Unknown section ids, for the CLI's usage error. */
export function unknownSections(only: readonly string[]): string[] {
  return only.filter((id) => !SECTION_IDS.includes(id))
}

export async function runLab(options: LabOptions): Promise<LabResult> {
  const progress = options.progress ?? ((): void => undefined)
  const chosen = SECTION_IDS.filter((id) => options.only.length === 0 || options.only.includes(id))
  const results = await runSectionsInWorkers(
    chosen,
    { seed: options.seed, quick: options.quick, jobs: options.jobs ?? 1 },
    progress,
  )
  const meta = { seed: options.seed, quick: options.quick, only: [...options.only] }
  mkdirSync(options.outDir, { recursive: true })
  const html = join(options.outDir, 'report.html')
  const json = join(options.outDir, 'report.json')
  writeFileSync(html, renderHtml(meta, results))
  writeFileSync(json, stableJson({ ...meta, sections: results.map(jsonOf) }))
  return { files: [html, json], sections: results }
}

/** A section for report.json: the figures, without the drawn SVG. */
function jsonOf(s: SectionResult): Record<string, unknown> {
  return {
    id: s.id,
    title: s.title,
    summary: s.summary,
    params: s.params,
    claims: s.claims,
    tables: s.tables,
    data: s.data,
  }
}
