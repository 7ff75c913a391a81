/**
 * Server-rendered HTML without a template engine: every page is built from strings, so every
 * piece of user-controlled text (torrent and file names, uploader names, the search query)
 * must pass through `escapeHtml` before it joins the page. `html` is a tagged template that
 * does that for every interpolated value unless it is already `Html` (built by this module),
 * so forgetting to escape takes an explicit `raw(...)`.
 */

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text
  }
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/** Escapes text for element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string)
}

/** Marks trusted markup (built here from constants) as not needing escaping. */
export const raw = (text: string): Html => new Html(text)

export type HtmlValue = Html | string | number | readonly HtmlValue[] | undefined

function render(value: HtmlValue): string {
  if (value === undefined) return ''
  if (value instanceof Html) return value.text
  if (Array.isArray(value)) return value.map(render).join('')
  return escapeHtml(String(value))
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0] ?? ''
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? '')
  })
  return new Html(out)
}

const CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;max-width:72rem;padding:1rem;color:#222}
h1{font-size:1.4rem;margin:.2rem 0 1rem}h1 a{color:inherit;text-decoration:none}
table{border-collapse:collapse;width:100%}th,td{padding:.3rem .5rem;text-align:left;
border-bottom:1px solid #ddd;vertical-align:top}th a{color:inherit}td.n,th.n{text-align:right}
tr:hover td{background:#f6f8fa}.name{word-break:break-word}.muted{color:#777}
form{margin:0 0 1rem}input[type=search]{width:24rem;max-width:70%;padding:.3rem}
.pager{margin:1rem 0;display:flex;gap:1rem}.stats{display:flex;gap:2rem;margin:1rem 0}
.stats div{font-size:1.6rem}.stats span{display:block;font-size:.8rem;color:#777}
code{font-size:.85em;word-break:break-all}svg{max-width:100%;height:auto}
`

/** The page frame: one inline CSS block (the CSP allows inline styles only), no script. */
export function layout(title: string, body: Html): string {
  return (
    '<!doctype html>\n' +
    html`<html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title}</title>
        <style>
          ${raw(CSS)}
        </style>
      </head>
      <body>
        <h1><a href="/">plexus directory</a></h1>
        ${body}
      </body>
    </html> `.text
  )
}
