// The pages' look: one stylesheet, inlined into every page (the pages are opened from disk, with nothing beside them).
import type { ByteLayer } from './byte-map.ts';

/** Light backgrounds under near-black text (contrast 10:1 or more), told apart by hue; also each layer's legend swatch. */
export const LAYER_COLOURS: Record<ByteLayer, string> = {
  ethernet: '#ffd8a8',
  ipv4: '#a5d8ff',
  ipv6: '#d0bfff',
  tcp: '#b2f2bb',
  udp: '#c3fae8',
  icmp: '#fcc2d7',
  sctp: '#99e9f2',
  payload: '#ffec99',
  none: '#e9ecef',
};

const layerRules = Object.entries(LAYER_COLOURS)
  .map(([layer, colour]) => `.layer-${layer} { background-color: ${colour}; }`)
  .join('\n');

const INK = '#1b1b1b';

export const CSS = `
:root { color: ${INK}; background: #fff; font: 15px/1.45 system-ui, sans-serif; }
body { margin: 0 auto; max-width: 1480px; padding: 1rem 1.5rem 5rem; }
h1 { font-size: 1.45rem; margin: 0.4rem 0; }
h2 { font-size: 1.15rem; margin: 1.6rem 0 0.5rem; border-bottom: 1px solid #ccc; }
h3 { font-size: 1rem; margin: 0 0 0.2rem; }
code, .mono { font-family: ui-monospace, 'DejaVu Sans Mono', monospace; font-size: 0.9em; }
a { color: #0b57d0; }
table { border-collapse: collapse; margin: 0.5rem 0; }
th, td { border: 1px solid #bbb; padding: 0.25rem 0.45rem; text-align: left; vertical-align: top; }
th { background: #f1f3f5; }
.matrix { font-size: 0.9rem; }
.matrix td:first-child { white-space: nowrap; }
.banner { padding: 0.6rem 0.8rem; border-left: 6px solid; margin: 0.6rem 0; font-weight: 600; }
.banner.unsupported { border-color: #862e9c; background: #f8f0fc; }
.banner.lost, .banner.failed { border-color: #c92a2a; background: #fff5f5; }
.banner.note { border-color: #e67700; background: #fff9db; font-weight: normal; }
.status-ok { color: #237032; } .status-differs { color: #a35200; }
.status-unsupported { color: #862e9c; } .status-failed { color: #c92a2a; font-weight: 700; }
.legend { display: flex; flex-wrap: wrap; gap: 0.4rem 1.2rem; padding: 0; list-style: none; margin: 0.4rem 0; }
.legend li { display: flex; align-items: center; gap: 0.35rem; }
.swatch { display: inline-block; min-width: 2.6ch; text-align: center; font: 0.85em ui-monospace, monospace; padding: 0 0.2rem; border: 1px solid #999; }
.views { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 0.4rem 1.2rem; align-items: start; }
.views > .cell { padding: 0.4rem 0; border-top: 1px solid #ddd; min-width: 0; }
.views > h2 { margin-top: 0.8rem; }
@media (max-width: 1100px) { .views { grid-template-columns: minmax(0, 1fr); } }
.meta { margin: 0 0 0.3rem; font-size: 0.9rem; }
.read + .read { margin-top: 0.8rem; }
.empty { color: #555; font-style: italic; }
.hex { font: 13px/1.55 ui-monospace, 'DejaVu Sans Mono', monospace; overflow-x: auto; }
.row { white-space: nowrap; }
.off { display: inline-block; width: 4ch; text-align: right; margin-right: 1ch; color: #555; }
.b { display: inline-block; width: 2.8ch; text-align: center; padding-left: 2px; cursor: default; }
/* No margin between bytes: a layer reads as one band of colour and a box around a read as one box. */
.b.gap { margin-right: 0.8ch; }
/* The rule takes the padding's place, so a layer start shifts nothing; a box's edges (inset shadows) stay unbroken. */
.b.start { padding-left: 0; border-left: 2px solid ${INK}; }
.b.masked { color: #444; font-style: italic; background-image: repeating-linear-gradient(135deg, transparent 0 3px, rgba(0,0,0,0.12) 3px 4px); }
.b.quoted { text-decoration: underline dotted; }
.b.hl { box-shadow: inset 0 2px 0 ${INK}, inset 0 -2px 0 ${INK}; font-weight: 700; }
.b.hl.hl-start { box-shadow: inset 0 2px 0 ${INK}, inset 0 -2px 0 ${INK}, inset 2px 0 0 ${INK}; }
.b.hl.hl-end { box-shadow: inset 0 2px 0 ${INK}, inset 0 -2px 0 ${INK}, inset -2px 0 0 ${INK}; }
.b.hl.hl-start.hl-end { box-shadow: inset 0 0 0 2px ${INK}; }
.ascii { margin-left: 1.2ch; color: #444; white-space: pre; }
.tags { margin-left: 1.2ch; font: 11px system-ui, sans-serif; color: #333; }
#info { position: fixed; left: 0; right: 0; bottom: 0; padding: 0.45rem 1.5rem; background: #212529; color: #f8f9fa; font: 13px ui-monospace, monospace; min-height: 1.3em; }
${layerRules}
`;
