import { rerunCommand } from './rerun.js'
import type { Claim, SectionResult, Table } from './section.js'
import { escapeXml } from './svg-bars.js'

/**
 * The report as one HTML file: inline CSS, inline SVG, no script, no link to anything outside
 * the file. Its text depends only on the sections' figures and the run's options.
 */
export interface ReportMeta {
  readonly seed: number
  readonly quick: boolean
  readonly only: readonly string[]
}

const CSS = `
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; line-height: 1.4; padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; margin: .6em 0 1.2em; font-size: .92em; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f3f3f3; }
.within { color: #1b6e20; font-weight: bold; } .off { color: #b00020; font-weight: bold; }
code { background: #f5f5f5; padding: .1em .3em; }
.source { font-size: .85em; color: #555; } .cause { font-size: .85em; color: #7a4b00; }
figure { margin: 1em 0; overflow-x: auto; } figcaption { font-size: .85em; color: #555; }
nav li { margin: .15em 0; }
`.trim()

const esc = escapeXml

export function renderHtml(meta: ReportMeta, sections: readonly SectionResult[]): string {
  const claims = sections.flatMap((s) => s.claims)
  const within = claims.filter((c) => c.verdict === 'within').length
  const mode = meta.quick ? '--quick (scaled-down parameters)' : 'full parameters'
  const parts = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    // No request may leave the file: the policy forbids every fetch but inline styles and data.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<title>plexus lab report</title>',
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    "<h1>plexus lab: the lectures' and the papers' claims, measured</h1>",
    `<p>Seed ${meta.seed}, ${mode}. Every figure below comes from the simulator running the ` +
      'production protocol code; the same seed gives the same report byte for byte. ' +
      `${within} of ${claims.length} claims are within their tolerance.</p>`,
    `<p>Regenerate: <code>${esc(`plexus lab${meta.quick ? ' --quick' : ''}${meta.only.map((o) => ` --only ${o}`).join('')} --seed ${meta.seed} --out DIR`)}</code></p>`,
    '<nav><ol>',
    ...sections.map((s) => `<li><a href="#${esc(s.id)}">${esc(s.title)}</a></li>`),
    '</ol></nav>',
    claimTable('All claims', sections),
    ...sections.map((s) => sectionHtml(s, meta)),
    '</body>',
    '</html>',
  ]
  return `${parts.join('\n')}\n`
}

function claimTable(title: string, sections: readonly SectionResult[]): string {
  const rows = sections.flatMap((s) =>
    s.claims.map(
      (c) =>
        `<tr><td><a href="#${esc(s.id)}">${esc(s.id)}</a></td><td>${esc(c.id)}</td>` +
        `<td class="num">${num(c.measured)}</td><td class="num">${num(c.expected)}</td>` +
        `<td>${esc(c.unit)}</td><td class="${c.verdict}">${esc(c.verdictText)}</td></tr>`,
    ),
  )
  return [
    `<h2>${esc(title)}</h2>`,
    '<table><tr><th>section</th><th>claim</th><th>measured</th><th>published / expected</th><th>unit</th><th>verdict</th></tr>',
    ...rows,
    '</table>',
  ].join('\n')
}

function sectionHtml(s: SectionResult, meta: ReportMeta): string {
  const params = Object.entries(s.params)
    .map(([k, v]) => `<code>${esc(k)} = ${esc(String(v))}</code>`)
    .join(' ')
  return [
    `<section id="${esc(s.id)}">`,
    `<h2>${esc(s.title)}</h2>`,
    `<p>${esc(s.summary)}</p>`,
    `<p>Parameters: ${params}</p>`,
    `<p>Rerun alone: <code>${esc(rerunCommand(s.id, meta.seed, meta.quick))}</code></p>`,
    ...s.claims.map(claimHtml),
    ...s.tables.map(tableHtml),
    ...s.figures.map(
      (f) => `<figure>\n${f.svg}\n<figcaption>${esc(f.title)}</figcaption>\n</figure>`,
    ),
    '</section>',
  ].join('\n')
}

function claimHtml(c: Claim): string {
  const cause = c.verdict === 'off' ? `<p class="cause">Likely cause: ${esc(c.causeIfOff)}</p>` : ''
  return [
    `<h3>${esc(c.statement)}</h3>`,
    `<p class="source">Source: ${esc(c.source)}</p>`,
    `<p>Measured <b>${num(c.measured)} ${esc(c.unit)}</b>; expected ${num(c.expected)} ` +
      `${esc(c.unit)} (${esc(c.expectedFrom)}): <span class="${c.verdict}">${esc(c.verdictText)}</span></p>`,
    cause,
  ]
    .filter((line) => line !== '')
    .join('\n')
}

function tableHtml(t: Table): string {
  const head = t.columns.map((c) => `<th>${esc(c)}</th>`).join('')
  const rows = t.rows.map(
    (r) =>
      `<tr>${r
        .map((cell) =>
          typeof cell === 'number' ? `<td class="num">${num(cell)}</td>` : `<td>${esc(cell)}</td>`,
        )
        .join('')}</tr>`,
  )
  return [`<h4>${esc(t.title)}</h4>`, `<table><tr>${head}</tr>`, ...rows, '</table>'].join('\n')
}

/** Numbers as they are, rounded to 3 decimals: the same figure prints the same way. */
function num(v: number): string {
  if (!Number.isFinite(v)) return 'n/a'
  return String(Math.round(v * 1000) / 1000)
}
