import { createHash } from 'node:crypto';

/**
 * The console's one stylesheet, served as a static file (`style-src 'self'`: no inline style anywhere) under a
 * content-hashed name so it can be cached for a year. Narrow screens: the navigation wraps, tables scroll
 * sideways inside their own box, forms stack.
 */
export const CONSOLE_CSS = `*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:#f4f5f7;color:#1d2330;margin:0}
a{color:#2346a8}a:focus,button:focus,input:focus,select:focus{outline:3px solid #f0b45b;outline-offset:1px}
.skip{position:absolute;left:-999px}.skip:focus{left:.5rem;top:.5rem;background:#fff;padding:.5rem;z-index:2}
header.top{background:#1d2330;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center}
header.top .brand{font-weight:700;color:#fff;text-decoration:none;margin-right:auto}
header.top nav ul{list-style:none;display:flex;flex-wrap:wrap;gap:.25rem .9rem;margin:0;padding:0}
header.top nav a{color:#dfe6ff;text-decoration:none;padding:.2rem 0;display:inline-block}
header.top nav a[aria-current=page]{color:#fff;border-bottom:2px solid #f0b45b}
header.top form{margin:0}header.top .who{color:#c9cfdb;font-size:.9rem}
main{max-width:72rem;margin:0 auto;padding:1rem}
h1{font-size:1.45rem;margin:.5rem 0 1rem}h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
section.card{background:#fff;border-radius:10px;box-shadow:0 1px 6px rgba(0,0,0,.07);padding:1rem;margin:0 0 1rem}section.card>h2:first-child{margin-top:0}
figure{margin:1rem 0 1.5rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(10rem,1fr));gap:1rem}.cards section.card{margin:0}.cards{margin:0 0 1rem}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(18rem,1fr));gap:0 1.5rem}
.stat{font-size:2rem;font-weight:700;margin:0}.muted{color:#5b6475;font-size:.9rem}
.scroll{overflow-x:auto;margin:0 0 1rem}
table{width:100%;border-collapse:collapse;font-size:.92rem}caption{text-align:left;font-weight:600;padding:.25rem 0}
th,td{text-align:left;padding:.45rem .5rem;border-bottom:1px solid #e3e6eb;vertical-align:top}thead th{background:#f7f8fa}
td form{margin:0;display:inline}form.inline{display:inline-block;margin:0 .3rem .3rem 0}
code,pre{background:#eef0f4;border-radius:4px;font-size:.85rem}code{padding:.05rem .3rem;word-break:break-all}pre{padding:.6rem;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
label{font-weight:600;display:block;margin:.25rem 0}
input[type=text],input[type=search],select{padding:.45rem;border:1px solid #aeb5c2;border-radius:6px;font-size:.95rem;width:100%}
form.filters{display:grid;grid-template-columns:repeat(auto-fit,minmax(11rem,1fr));gap:.5rem 1rem;align-items:start;margin:0 0 1rem}form.filters .muted{display:block}form.filters button{margin-top:1.85rem}
fieldset{border:1px solid #e3e6eb;border-radius:8px;margin:.5rem 0;padding:.5rem .75rem}legend{font-weight:600}
fieldset label{display:inline-flex;gap:.35rem;font-weight:400;margin-right:1rem}
button{padding:.45rem .9rem;border-radius:6px;border:1px solid #2f5bd3;background:#2f5bd3;color:#fff;font-size:.92rem;cursor:pointer}
button.secondary{background:#fff;color:#2f5bd3}button.danger{background:#b42318;border-color:#b42318}
.badge{display:inline-block;border-radius:999px;padding:0 .55rem;font-size:.8rem;font-weight:600;background:#eef0f4}
.badge.pending{background:#fff4e5;color:#8a4b00}.badge.approved,.badge.ok,.badge.signing{background:#e7f6ec;color:#14622f}
.badge.denied,.badge.bad,.badge.retired,.badge.disabled{background:#fdecec;color:#9b1c1c}.badge.published,.badge.retiring{background:#e8efff;color:#2346a8}
.notice{background:#e7f6ec;border:1px solid #8cc9a0;border-radius:8px;padding:.6rem .8rem;margin:0 0 1rem}
.error{background:#fdecec;border:1px solid #e08585;border-radius:8px;padding:.6rem .8rem;margin:0 0 1rem}
.warn{background:#fff4e5;border:1px solid #f0b45b;border-radius:8px;padding:.6rem .8rem;margin:0 0 1rem}
.pager{display:flex;gap:1rem;margin-top:.75rem}
svg.chart{width:100%;height:auto;display:block}
svg.chart .bar{fill:#2f5bd3}svg.chart.denials .bar{fill:#b42318}svg.chart.stepups .bar{fill:#c27400}
svg.chart .axis{stroke:#aeb5c2;stroke-width:1}svg.chart text{font-size:14px;fill:#5b6475}
details summary{cursor:pointer;color:#2346a8}
@media (max-width:40rem){main{padding:.5rem}header.top{padding:.5rem}h1{font-size:1.25rem}th,td{padding:.35rem}.stat{font-size:1.6rem}}`;

export const CONSOLE_CSS_HASH = createHash('sha256').update(CONSOLE_CSS).digest('hex').slice(0, 16);
/** path of the stylesheet below the console base */
export const CONSOLE_CSS_PATH = `/static/console-${CONSOLE_CSS_HASH}.css`;

export function stylesheetResponse(): Response {
  return new Response(CONSOLE_CSS, {
    status: 200,
    headers: { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=31536000, immutable', 'x-content-type-options': 'nosniff' },
  });
}
