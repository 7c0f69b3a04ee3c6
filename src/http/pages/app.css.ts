/**
 * The web app's one stylesheet, served at /assets/app.css (a file, so the CSP
 * can refuse inline styles and scripts alike). Plain CSS, readable at 200 %
 * zoom, with a visible focus ring for keyboard users and contrast above WCAG AA.
 */
export const APP_CSS = `
*, *::before, *::after { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1b1f24; background: #f6f7f9; }
a { color: #0b57d0; }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible, summary:focus-visible {
  outline: 3px solid #b3261e; outline-offset: 2px;
}
.skip { position: absolute; left: -9999px; }
.skip:focus { left: 1rem; top: 1rem; background: #fff; padding: .5rem; z-index: 1; }
header.site { background: #1b1f24; color: #fff; padding: .5rem 1rem; display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; }
header.site a { color: #fff; }
header.site nav ul { list-style: none; display: flex; gap: 1rem; margin: 0; padding: 0; }
header.site .who { margin-left: auto; display: flex; gap: .75rem; align-items: center; }
header.site form { margin: 0; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.6rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.25rem; margin: 1.5rem 0 .5rem; }
table { border-collapse: collapse; width: 100%; background: #fff; }
caption { text-align: left; font-weight: 600; padding: .25rem 0; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #d0d4da; vertical-align: top; }
th { background: #eceff3; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.card { background: #fff; border: 1px solid #d0d4da; border-radius: 4px; padding: 1rem; margin: 0 0 1rem; }
.card > h2:first-child { margin-top: 0; }
.grid { display: grid; gap: 1rem; grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr)); }
form.inline { display: inline; }
form.filters { display: flex; flex-wrap: wrap; gap: .75rem; align-items: flex-end; margin-bottom: 1rem; }
label { display: block; font-weight: 600; }
input, select, textarea, button { font: inherit; }
input, select, textarea { padding: .35rem .5rem; border: 1px solid #6b7280; border-radius: 3px; background: #fff; color: #1b1f24; }
button, .button { padding: .4rem .9rem; border: 1px solid #0b57d0; border-radius: 3px; background: #0b57d0; color: #fff; cursor: pointer; text-decoration: none; display: inline-block; }
button.secondary, .button.secondary { background: #fff; color: #0b57d0; }
header.site button { background: transparent; border-color: #fff; color: #fff; }
.sev-critical { color: #8c1d18; font-weight: 700; }
.sev-high { color: #a0430a; font-weight: 700; }
.sev-medium { color: #6b5300; }
.sev-low { color: #38506b; }
.notice { border-left: 4px solid #0b57d0; background: #e8f0fe; padding: .75rem 1rem; margin: 0 0 1rem; }
.error { border-left: 4px solid #b3261e; background: #fce8e6; padding: .75rem 1rem; margin: 0 0 1rem; }
.muted { color: #4b5563; }
pre, code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .9em; }
pre { background: #fff; border: 1px solid #d0d4da; padding: .75rem; overflow: auto; }
nav.pages { display: flex; gap: 1rem; margin: 1rem 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; background: #fff; border: 1px solid #d0d4da; padding: 1rem; margin: 0 0 1rem; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
form.stacked > * + * { margin-top: .5rem; }
form.stacked textarea { width: 100%; max-width: 40rem; }
td code { white-space: pre-wrap; word-break: break-word; }
.nowrap { white-space: nowrap; }
.figure { margin: 0; }
.figure-link { margin: .5rem 0 0; }
.figure-value { display: block; font-size: 2rem; font-weight: 700; line-height: 1.1; }
dl.settings { display: grid; grid-template-columns: max-content 1fr; gap: .35rem 1rem; background: #fff; border: 1px solid #d0d4da; padding: 1rem; }
dl.settings dt { font-weight: 600; }
dl.settings dd { margin: 0; }
.status { font-weight: 600; }
.status-succeeded { color: #1e6b34; }
.status-failed { color: #8c1d18; }
.status-running { color: #0b57d0; }
.status-queued { color: #4b5563; }
.status-verified, .status-not_found, .passed { color: #1e6b34; }
.status-retained { color: #6b5300; }
.status-received, .status-purging, .status-purged { color: #0b57d0; }
.overdue { color: #8c1d18; font-weight: 700; }
.due-soon { color: #a0430a; font-weight: 600; }
pre.certificate-text { white-space: pre-wrap; overflow-wrap: anywhere; }
svg.trend { display: block; margin: .25rem 0 .5rem; }
svg.trend .trend-bar { fill: #0b57d0; }
svg.trend .trend-failed { fill: #b3261e; }
details { margin: 0 0 1rem; }
summary { cursor: pointer; color: #0b57d0; }
pre.run-error { border-left: 4px solid #b3261e; white-space: pre-wrap; }
label.inline { display: inline; }
.status-create, .status-set, .status-test, .status-finish { color: #0b57d0; }
.status-overlap, .status-done { color: #1e6b34; }
.status-rolled_back { color: #6b5300; }
.status-open { color: #0b57d0; }
.status-closing { color: #a0430a; }
.status-closed { color: #1e6b34; }
ul.flags, ul.progress { list-style: none; margin: 0; padding: 0; }
ol.queue { list-style: none; margin: 0; padding: 0; }
ol.queue > li.flagged { border-left: 4px solid #a0430a; }
ol.queue > li > h2 { margin-top: 0; }
.tag { display: inline-block; border: 1px solid #6b7280; border-radius: 3px; padding: 0 .35rem; font-size: .85em; font-weight: 600; color: #1b1f24; }
.tag-flagged { border-color: #a0430a; color: #a0430a; }
.actions { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin-top: .5rem; }
fieldset { border: 1px solid #d0d4da; padding: .5rem 1rem; }
pre.secret-value { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 1.1em; }
`;
