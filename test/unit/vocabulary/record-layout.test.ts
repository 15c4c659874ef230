// scripts/vocabulary/record-layout.ts against bpf/record.h: struct sizes, field names, offsets and sizes and enum members as the BTF of the compiled objects has them, the #defines from record.h's text, and the encoders/decoders on samples. Needs clang and bpftool, not root.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ROOT } from '../../../scripts/support/paths.ts';
import { bpfObjectPath, buildBpf } from '../../../scripts/run/setup/build-bpf.ts';
import * as layout from '../../../scripts/vocabulary/record-layout.ts';
import {
  DUMP_CAPTURE_MAX,
  DUMP_CHANNEL_RINGBUF,
  DUMP_RETURN_VALUE,
  ENUMS,
  STRUCTS,
  decodeCountKey,
  decodeDumpRecord,
  decodeFlowKey,
  encodeDumpConfig,
  type StructLayout,
} from '../../../scripts/vocabulary/record-layout.ts';

const BPF_DIR = join(ROOT, 'bpf');
const RECORD_H = join(BPF_DIR, 'record.h');

/** Descriptions as record-layout.ts exports them. */
type Structs = Readonly<Record<string, StructLayout>>;
type Enums = Readonly<Record<string, Readonly<Record<string, number>>>>;

/** One type of `bpftool btf dump file X -j` (only the keys used here). */
interface BtfType {
  id: number;
  kind: string;
  name: string;
  size?: number;
  type_id?: number;
  nr_elems?: number;
  members?: { name: string; type_id: number; bits_offset: number; bitfield_size?: number }[];
  values?: { name: string; val: number }[];
}

/** The named structs and enums of one object's BTF, in record-layout.ts's terms (bit-precise where it matters). */
interface BtfLayouts {
  structs: Record<string, { size: number; fields: Record<string, { bitOffset: number; size: number; bitfield?: number }> }>;
  enums: Record<string, Record<string, number>>;
}

/** Reads the named structs and enums out of a BTF type list, resolving each member's size. */
function btfLayouts(types: BtfType[]): BtfLayouts {
  const byId = new Map(types.map((type) => [type.id, type]));
  const sizeOf = (id: number): number => {
    const type = byId.get(id);
    if (!type) throw new Error(`BTF type ${id} is missing`);
    switch (type.kind) {
      case 'TYPEDEF':
      case 'CONST':
      case 'VOLATILE':
      case 'RESTRICT':
      case 'TYPE_TAG':
        return sizeOf(type.type_id!);
      case 'ARRAY':
        return type.nr_elems! * sizeOf(type.type_id!);
      case 'PTR':
        return 8;
      default:
        if (type.size === undefined) throw new Error(`BTF type ${id} (${type.kind} ${type.name}) has no size`);
        return type.size;
    }
  };
  const out: BtfLayouts = { structs: {}, enums: {} };
  for (const type of types) {
    if (type.kind === 'STRUCT' && type.name !== '(anon)') {
      const fields: BtfLayouts['structs'][string]['fields'] = {};
      for (const m of type.members ?? []) {
        fields[m.name] = { bitOffset: m.bits_offset, size: sizeOf(m.type_id), ...(m.bitfield_size ? { bitfield: m.bitfield_size } : {}) };
      }
      out.structs[type.name] = { size: type.size!, fields };
    } else if ((type.kind === 'ENUM' || type.kind === 'ENUM64') && type.name !== '(anon)') {
      out.enums[type.name] = Object.fromEntries((type.values ?? []).map((v) => [v.name, Number(v.val)]));
    }
  }
  return out;
}

/** What differs between record-layout.ts's description and one object's BTF, each problem naming the
 *  struct, enum, field or member. Types the object does not have are not compared here. */
function differences(btf: BtfLayouts, structs: Structs, enums: Enums): string[] {
  const problems: string[] = [];
  for (const [name, ts] of Object.entries(structs)) {
    const c = btf.structs[name];
    if (!c) continue;
    if (c.size !== ts.size) problems.push(`struct ${name}: size ${c.size} in C, ${ts.size} in TS`);
    for (const field of Object.keys(c.fields)) {
      if (!(field in ts.fields)) problems.push(`struct ${name}: field "${field}" is in C but not in TS (STRUCTS.${name}.fields)`);
    }
    for (const [field, tsField] of Object.entries(ts.fields)) {
      const cField = c.fields[field];
      if (!cField) {
        problems.push(`struct ${name}: field "${field}" is in TS (STRUCTS.${name}.fields) but not in C`);
        continue;
      }
      if (cField.bitfield !== undefined || cField.bitOffset % 8 !== 0) {
        problems.push(`struct ${name}.${field}: a bitfield in C (${cField.bitfield ?? '?'} bits at bit ${cField.bitOffset}); TS describes bytes`);
        continue;
      }
      if (cField.bitOffset / 8 !== tsField.offset) problems.push(`struct ${name}.${field}: offset ${cField.bitOffset / 8} in C, ${tsField.offset} in TS`);
      if (cField.size !== tsField.size) problems.push(`struct ${name}.${field}: size ${cField.size} in C, ${tsField.size} in TS`);
    }
  }
  for (const [name, ts] of Object.entries(enums)) {
    const c = btf.enums[name];
    if (!c) continue;
    for (const member of Object.keys(c)) {
      if (!(member in ts)) problems.push(`enum ${name}: member ${member} is in C but not in TS (ENUMS.${name})`);
    }
    for (const [member, value] of Object.entries(ts)) {
      if (!(member in c)) problems.push(`enum ${name}: member ${member} is in TS (ENUMS.${name}) but not in C`);
      else if (c[member] !== value) problems.push(`enum ${name}: ${member} = ${c[member]} in C, ${value} in TS`);
    }
  }
  return problems;
}

const ANCHOR = ' (is it a member of dump_btf_anchor in bpf/record.h?)';

/** Everything that differs between record-layout.ts and the BTF of these objects (by file name): each
 *  problem once, with the objects that show it, then the twin's types that no object has. Empty: they agree. */
function compareWithBtf(objects: Record<string, BtfLayouts>, structs: Structs = STRUCTS, enums: Enums = ENUMS): string[] {
  const where = new Map<string, string[]>();
  for (const [object, btf] of Object.entries(objects)) {
    for (const problem of differences(btf, structs, enums)) where.set(problem, [...(where.get(problem) ?? []), object]);
  }
  const all = Object.values(objects);
  return [
    ...[...where].map(([problem, objs]) => `${problem} [BTF of ${objs.join(', ')}]`),
    ...Object.keys(structs).filter((n) => !all.some((b) => n in b.structs)).map((n) => `struct ${n} is in TS but in no object's BTF${ANCHOR}`),
    ...Object.keys(enums).filter((n) => !all.some((b) => n in b.enums)).map((n) => `enum ${n} is in TS but in no object's BTF${ANCHOR}`),
  ];
}

/** A BTF type list with the structs and enums as `structs` and `enums` describe them: every field an
 *  array of bytes (or a __u32-sized int), which is all the comparison looks at. */
function fakeBtf(structs: Structs, enums: Enums): BtfType[] {
  const types: BtfType[] = [{ id: 1, kind: 'INT', name: 'unsigned char', size: 1 }];
  const add = (type: Omit<BtfType, 'id'>): number => {
    types.push({ id: types.length + 1, ...type });
    return types.length;
  };
  const u32 = add({ kind: 'INT', name: 'unsigned int', size: 4 });
  for (const [name, s] of Object.entries(structs)) {
    const members = Object.entries(s.fields).map(([field, f]) => ({
      name: field,
      type_id: f.size === 4 ? u32 : add({ kind: 'ARRAY', name: '(anon)', type_id: 1, nr_elems: f.size }),
      bits_offset: f.offset * 8,
    }));
    add({ kind: 'STRUCT', name, size: s.size, members });
  }
  for (const [name, e] of Object.entries(enums)) {
    add({ kind: 'ENUM', name, size: 4, values: Object.entries(e).map(([member, val]) => ({ name: member, val })) });
  }
  return types;
}

t.test('the comparison names what differs (fake BTF, no tools needed)', async (t) => {
  t.strictSame(compareWithBtf({ 'fake.bpf.o': btfLayouts(fakeBtf(STRUCTS, ENUMS)) }), [], 'BTF made from the twin itself matches it');

  // From here on a twin of its own, so that these cases test the comparison, whatever STRUCTS holds.
  const rec = { size: 12, fields: { seq: { offset: 0, size: 4 }, len: { offset: 4, size: 4 }, data: { offset: 8, size: 4 } } };
  const key = { size: 4, fields: { family: { offset: 0, size: 1 }, protocol: { offset: 1, size: 1 }, port: { offset: 2, size: 2 } } };
  const structs = { rec, key };
  const enums = { chan: { CHAN_RINGBUF: 1, CHAN_TRACE_PIPE: 2 } };
  const asIs = { 'fake.bpf.o': btfLayouts(fakeBtf(structs, enums)) };
  t.strictSame(compareWithBtf(asIs, structs, enums), [], 'the same layout on both sides');

  // C gains a field the twin lacks: struct rec { __u32 seq, len; __u8 data[4]; __u32 extra; }, in two objects.
  const withExtra = btfLayouts(fakeBtf({ key, rec: { size: 16, fields: { ...rec.fields, extra: { offset: 12, size: 4 } } } }, enums));
  t.strictSame(compareWithBtf({ 'a.bpf.o': withExtra, 'b.bpf.o': withExtra }, structs, enums), [
    'struct rec: size 16 in C, 12 in TS [BTF of a.bpf.o, b.bpf.o]',
    'struct rec: field "extra" is in C but not in TS (STRUCTS.rec.fields) [BTF of a.bpf.o, b.bpf.o]',
  ]);

  // The twin gains a field C lacks.
  const tsKey = { size: 4, fields: { ...key.fields, vlan: { offset: 2, size: 2 } } };
  t.strictSame(compareWithBtf(asIs, { rec, key: tsKey }, enums), ['struct key: field "vlan" is in TS (STRUCTS.key.fields) but not in C [BTF of fake.bpf.o]']);

  // In C: two fields swapped, one resized; an enum member added, another renumbered.
  const cRec = { size: 12, fields: { seq: { offset: 0, size: 4 }, len: { offset: 8, size: 4 }, data: { offset: 4, size: 2 } } };
  const cChan = { CHAN_RINGBUF: 1, CHAN_PERF: 3, CHAN_TRACE_PIPE: 4 };
  t.strictSame(compareWithBtf({ 'fake.bpf.o': btfLayouts(fakeBtf({ rec: cRec, key }, { chan: cChan })) }, structs, enums), [
    'struct rec.len: offset 8 in C, 4 in TS [BTF of fake.bpf.o]',
    'struct rec.data: offset 4 in C, 8 in TS [BTF of fake.bpf.o]',
    'struct rec.data: size 2 in C, 4 in TS [BTF of fake.bpf.o]',
    'enum chan: member CHAN_PERF is in C but not in TS (ENUMS.chan) [BTF of fake.bpf.o]',
    'enum chan: CHAN_TRACE_PIPE = 4 in C, 2 in TS [BTF of fake.bpf.o]',
  ]);

  // A member only in the twin; a type of the twin that no object has (record.h lost it, or its BTF anchor
  // does not list it).
  t.strictSame(compareWithBtf(asIs, { ...structs, tcp_key: key }, { chan: { ...enums.chan, CHAN_NONE: 0 } }), [
    'enum chan: member CHAN_NONE is in TS (ENUMS.chan) but not in C [BTF of fake.bpf.o]',
    "struct tcp_key is in TS but in no object's BTF (is it a member of dump_btf_anchor in bpf/record.h?)",
  ]);

  // A bitfield in C (BTF gives its width): the twin describes whole bytes only.
  const bits = btfLayouts([
    { id: 1, kind: 'INT', name: 'unsigned char', size: 1 },
    { id: 2, kind: 'STRUCT', name: 'key', size: 4, members: [
      { name: 'family', type_id: 1, bits_offset: 0, bitfield_size: 3 },
      { name: 'protocol', type_id: 1, bits_offset: 8 },
      { name: 'port', type_id: 1, bits_offset: 16 },
    ] },
  ]);
  t.strictSame(compareWithBtf({ 'fake.bpf.o': bits }, { key }, {}), [
    'struct key.family: a bitfield in C (3 bits at bit 0); TS describes bytes [BTF of fake.bpf.o]',
    'struct key.port: size 1 in C, 2 in TS [BTF of fake.bpf.o]',
  ]);
});

/** `name` on PATH, or in an sbin folder (bpftool lives in /usr/sbin, which a user's PATH may lack). */
function findTool(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  const found = dirs.filter(Boolean).map((dir) => join(dir, name)).find((path) => existsSync(path));
  return found && !spawnSync(found, ['--version']).error ? found : null;
}

const CLANG = findTool('clang');
const BPFTOOL = findTool('bpftool');
const TOOLS = !CLANG
  ? 'clang not installed (it builds bpf/*.bpf.c) — run as root: bash scripts/bootstrap.sh test'
  : !BPFTOOL
    ? 'bpftool not installed (it reads the objects\' BTF) — run as root: bash scripts/bootstrap.sh test'
    : false;

t.test('record-layout.ts matches the BTF of build/bpf/*.bpf.o', { skip: TOOLS }, async (t) => {
  // Builds what is stale, with the flags the harness uses; clang and reading a file's BTF need no root.
  await buildBpf();
  const names = readdirSync(BPF_DIR).filter((f) => f.endsWith('.bpf.c')).map((f) => f.slice(0, -'.bpf.c'.length));
  const objects: Record<string, BtfLayouts> = {};
  for (const name of names) {
    const json = execFileSync(BPFTOOL!, ['btf', 'dump', 'file', bpfObjectPath(name), '--json'], { encoding: 'utf8', maxBuffer: 256 << 20 });
    objects[`${name}.bpf.o`] = btfLayouts((JSON.parse(json) as { types: BtfType[] }).types);
  }
  // record.h's dump_btf_anchor puts each of its types into every object that includes it.
  t.strictSame(compareWithBtf(objects), [], `the twin's structs and enums are those of ${Object.keys(objects).join(', ')}`);
  // DUMP_CAPTURE_MAX is a #define, but it sizes dump_record.data, which BTF does show.
  const record = Object.values(objects).find((b) => b.structs.dump_record)?.structs.dump_record;
  t.equal(record?.fields.data?.size, DUMP_CAPTURE_MAX, 'dump_record.data holds DUMP_CAPTURE_MAX bytes');
});

const READELF = findTool('llvm-readelf');

/** Offset and size of each symbol defined in `section` of an object, from its ELF symbol table: clang writes
 *  a DATASEC's variables into BTF with offset 0, and libbpf takes their offsets from the symbols. */
function sectionSymbols(object: string, section: string): Record<string, { offset: number; size: number }> {
  const headers = execFileSync(READELF!, ['-SW', object], { encoding: 'utf8' });
  const index = [...headers.matchAll(/^\s*\[\s*(\d+)\]\s+(\S+)/gm)].find((m) => m[2] === section)?.[1];
  const symbols = execFileSync(READELF!, ['-sW', object], { encoding: 'utf8' });
  // Num: Value Size Type Bind Vis Ndx Name
  const rows = [...symbols.matchAll(/^\s*\d+:\s+([0-9a-f]+)\s+(\d+)\s+OBJECT\s+\S+\s+\S+\s+(\d+)\s+(\S+)$/gm)];
  return Object.fromEntries(rows.filter((r) => r[3] === index).map((r) => [r[4], { offset: parseInt(r[1], 16), size: Number(r[2]) }]));
}

t.test('the channel switches the loader pokes are where the twin says, in every object that has them', { skip: TOOLS || (!READELF && 'llvm-readelf not installed (package llvm)') }, async (t) => {
  await buildBpf();
  const { section, variables } = layout.CHANNEL_SWITCHES;
  const expected = Object.fromEntries(Object.values(variables).map(({ variable, offset, size }) => [variable, { offset, size }]));
  let seen = 0;
  for (const name of readdirSync(BPF_DIR).filter((f) => f.endsWith('.bpf.c')).map((f) => f.slice(0, -'.bpf.c'.length))) {
    const json = execFileSync(BPFTOOL!, ['btf', 'dump', 'file', bpfObjectPath(name), '--json'], { encoding: 'utf8', maxBuffer: 256 << 20 });
    const types = (JSON.parse(json) as { types: { id: number; kind: string; name: string; vars?: { type_id: number }[] }[] }).types;
    const sec = types.find((ty) => ty.kind === 'DATASEC' && ty.name === section);
    if (!sec) continue;
    seen++;
    const inBtf = (sec.vars ?? []).map((v) => types.find((ty) => ty.id === v.type_id)?.name);
    t.strictSame(inBtf.sort(), Object.keys(expected).sort(), `${name}.bpf.o: ${section} holds the switches and nothing else`);
    t.strictSame(sectionSymbols(bpfObjectPath(name), section), expected, `${name}.bpf.o: each switch at the twin's offset and size`);
  }
  t.ok(seen > 0, `some object has ${section}`);
});

t.test("record.h's text: its #defines, structs and enums are all in the twin", async (t) => {
  const text = readFileSync(RECORD_H, 'utf8');
  // BTF keeps no macros: DUMP_PKT_TYPE_UNKNOWN (and DUMP_CAPTURE_MAX, also checked above through the
  // size of dump_record.data) can only be compared with the #define text itself.
  const defines = [...text.matchAll(/^#define\s+(DUMP_\w+)\s+(.*?)\s*(?:\/\*.*)?$/gm)];
  t.ok(defines.some(([, name]) => name === 'DUMP_PKT_TYPE_UNKNOWN'), 'found the #defines');
  const exported = layout as unknown as Record<string, unknown>;
  for (const [, name, value] of defines) t.equal(exported[name], Number(value), `#define ${name} ${value}`);
  // A type only in C (added to record.h and its anchor) also shows in BTF, but would not be compared.
  const structs = [...text.matchAll(/^struct (\w+) \{/gm)].map((m) => m[1]).filter((n) => n !== 'dump_btf_anchor');
  const enums = [...text.matchAll(/^enum (\w+) \{/gm)].map((m) => m[1]);
  t.strictSame(structs.filter((n) => !(n in STRUCTS)), [], 'every struct of record.h is in STRUCTS');
  t.strictSame(enums.filter((n) => !(n in ENUMS)), [], 'every enum of record.h is in ENUMS');
  // Every enum member is also exported on its own, under its C name, with the same value.
  for (const members of Object.values(ENUMS)) {
    for (const [member, value] of Object.entries(members)) t.equal(exported[member], value, member);
  }
});

t.test('encoders and decoders on samples', async (t) => {
  const config = { tag: 0x1234, channel: DUMP_CHANNEL_RINGBUF, verdict: DUMP_RETURN_VALUE, value: 7, limit: 3, netns: 0xf0000001 };
  const encoded = encodeDumpConfig(config);
  // The bytes the hand-written encodeConfig of servers/load-attach/capture-program.ts wrote.
  t.equal(encoded.toString('hex'), '34120000' + '01000000' + '01000000' + '07000000' + '03000000' + '010000f0');
  const back = Object.fromEntries(Object.entries(STRUCTS.dump_config.fields).map(([name, f]) => [name, encoded.readUInt32LE(f.offset)]));
  t.strictSame(back, config, 'each field reads back at its offset');

  // A record is its head, then data[]: a perf sample is the head, then the bytes (same decoder).
  t.strictSame([STRUCTS.dump_record.fields.head, STRUCTS.dump_record.fields.data.offset], [{ offset: 0, size: STRUCTS.dump_head.size }, STRUCTS.dump_head.size]);
  // seq 0x1005, len 60, captured 5, pkt_type PACKET_OUTGOING, protocol ETH_P_IPV6 (0x86dd, as the
  // kernel stores it), ifindex 1, time 0 (ring buffer), then data[] of which the first 5 bytes were captured.
  const head = '05100000' + '3c000000' + '05000000' + '04000000' + '86dd0000' + '01000000';
  const raw = Buffer.alloc(STRUCTS.dump_record.size);
  Buffer.from(head + '0000000000000000' + '6000000000', 'hex').copy(raw);
  raw[STRUCTS.dump_record.fields.data.offset + 5] = 0xff; // past `captured`: not part of data
  const rec = decodeDumpRecord(raw);
  const expected = { seq: 0x1005, len: 60, captured: 5, pkt_type: 4, protocol: 0x86dd, ifindex: 1, time: 0n, data: '6000000000' };
  t.strictSame({ ...rec, data: rec.data.toString('hex') }, expected);
  // The same packet as a perf sample: its time, the 5 bytes, and the raw data's padding to 8 bytes.
  const sample = Buffer.from(head + '0100000002000000' + '6000000000' + '000000', 'hex');
  const fromPerf = decodeDumpRecord(sample);
  t.strictSame({ ...fromPerf, data: fromPerf.data.toString('hex') }, { ...expected, time: 0x200000001n });
  t.throws(() => decodeDumpRecord(sample.subarray(0, STRUCTS.dump_head.size + 4)), RangeError, 'a sample shorter than its captured bytes');

  // 10.0.0.1:40000 → 10.0.0.2:8080, TCP; then an IPv6 UDP key.
  const v4 = Buffer.from('04' + '06' + '9c40' + '1f90' + '0000' + '0a000001'.padEnd(32, '0') + '0a000002'.padEnd(32, '0'), 'hex');
  const flow = decodeFlowKey(v4);
  t.strictSame(
    { ...flow, saddr: flow.saddr.toString('hex'), daddr: flow.daddr.toString('hex') },
    { family: 4, protocol: 6, sport: 40000, dport: 8080, saddr: '0a000001'.padEnd(32, '0'), daddr: '0a000002'.padEnd(32, '0') },
  );
  t.equal(v4.length, STRUCTS.flow_key.size);
  const v6 = Buffer.from('06' + '11' + '0035' + 'd431' + '0000' + `${'00'.repeat(15)}01` + `fe80${'00'.repeat(13)}02`, 'hex');
  const flow6 = decodeFlowKey(v6);
  t.strictSame([flow6.family, flow6.protocol, flow6.sport, flow6.dport], [6, 17, 53, 54321]);
  t.strictSame([flow6.saddr.toString('hex'), flow6.daddr.toString('hex')], [`${'00'.repeat(15)}01`, `fe80${'00'.repeat(13)}02`]);
  t.equal(decodeFlowKey(Buffer.alloc(STRUCTS.flow_key.size)).family, 4, 'a family other than 6 reads as 4, as map-entries.ts did');

  t.strictSame(decodeCountKey(Buffer.from('02000000' + '11000000', 'hex')), { ifindex: 2, protocol: 17 });
});
