/**
 * Summarises a V8 .cpuprofile: where the samples fell, by category (idle = waiting on
 * I/O: PostgreSQL, Bitrix24, timers) and by function (self time), plus the inclusive
 * time of the sync engine's main steps.
 *
 *   node dist/bench/profile-summary.js bench/results/profiles/10000-initial-service.cpuprofile [--top 25]
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  byCategory: Array<{ category: string; ms: number; percent: number }>;
  topSelf: Array<{ fn: string; where: string; ms: number; percent: number }>;
  inclusive: Array<{ fn: string; ms: number; percent: number }>;
}

/** Functions whose inclusive (synchronous) time is worth seeing on its own. */
const INCLUSIVE_OF = [
  'planChunk',
  'loadChunkState',
  'applyPlan',
  'insertItems',
  'processChunk',
  'computeEmployeeChanges',
  'collectPhones',
  'checkRequiredFields',
  'parse', // JSON.parse
  'stringify', // JSON.stringify
  'userGet',
  'projectUser',
  'handleRest',
  'phpJsonEncode',
  'parseQuery',
  'parse_str',
  'phpParseStr',
  'buildPhpQuery',
  'randomUUID',
];

function category(frame: CallFrame): string {
  const { functionName: fn, url } = frame;
  if (!url) {
    if (fn === '(idle)') return 'idle (waiting on I/O: PostgreSQL, HTTP, timers)';
    if (fn === '(garbage collector)') return 'garbage collector';
    if (fn === '(program)') return 'V8/native (program)';
    if (fn === 'parse') return 'JSON.parse';
    if (fn === 'stringify') return 'JSON.stringify';
    return 'builtins';
  }
  if (url.includes('/node_modules/pg') || url.includes('/node_modules/pg-protocol') || url.includes('/node_modules/pg-types')) return 'pg driver';
  if (url.includes('/node_modules/typeorm')) return 'typeorm';
  if (url.includes('/node_modules/@nestjs') || url.includes('/node_modules/express') || url.includes('/node_modules/body-parser')) return 'nest/express';
  if (url.includes('/node_modules/libphonenumber-js')) return 'libphonenumber-js';
  if (url.includes('/node_modules/')) return 'other node_modules';
  if (url.includes('undici') || url.startsWith('node:internal/deps')) return 'fetch (undici)';
  if (url.startsWith('node:')) return 'node core';
  if (url.includes('/src/sync/')) return 'src/sync (engine, planning)';
  if (url.includes('/src/bitrix24/')) return 'src/bitrix24 (REST client)';
  if (url.includes('/test/simulator/')) return 'simulator';
  if (url.includes('/bench/')) return 'bench';
  if (url.includes('/src/')) return 'src/other';
  return 'other';
}

function shortUrl(url: string): string {
  const i = url.search(/\/(src|test|bench|node_modules)\//);
  return i >= 0 ? url.slice(i + 1) : url.replace(/^file:\/\//, '');
}

export function summarizeProfile(profile: CpuProfile, top = 20): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + Math.max(0, delta));
  }
  const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0) || 1;
  const cat = new Map<string, number>();
  const fns = new Map<string, { fn: string; where: string; us: number }>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const c = category(node.callFrame);
    cat.set(c, (cat.get(c) ?? 0) + us);
    const where = node.callFrame.url ? `${shortUrl(node.callFrame.url)}:${node.callFrame.lineNumber + 1}` : '(native)';
    const key = `${node.callFrame.functionName || '(anonymous)'} ${where}`;
    const entry = fns.get(key) ?? { fn: node.callFrame.functionName || '(anonymous)', where, us: 0 };
    entry.us += us;
    fns.set(key, entry);
  }
  // Inclusive time: a node's self time plus its subtree's, counted once per function name
  // on each path (recursion is not double-counted).
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const name = byId.get(cur)?.callFrame.functionName ?? '';
      if (INCLUSIVE_OF.includes(name) && !seen.has(name)) {
        seen.add(name);
        inclusive.set(name, (inclusive.get(name) ?? 0) + us);
      }
    }
  }
  const ms = (us: number) => Math.round(us / 100) / 10;
  const pct = (us: number) => Math.round((us / totalUs) * 1000) / 10;
  return {
    totalMs: ms(totalUs),
    byCategory: [...cat.entries()].sort((a, b) => b[1] - a[1]).map(([category, us]) => ({ category, ms: ms(us), percent: pct(us) })),
    topSelf: [...fns.values()].sort((a, b) => b.us - a.us).slice(0, top).map((f) => ({ fn: f.fn, where: f.where, ms: ms(f.us), percent: pct(f.us) })),
    inclusive: [...inclusive.entries()].sort((a, b) => b[1] - a[1]).map(([fn, us]) => ({ fn, ms: ms(us), percent: pct(us) })),
  };
}

export function summarizeProfileFile(file: string, top = 20): ProfileSummary {
  return summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, top);
}

export function formatSummary(title: string, s: ProfileSummary): string {
  const lines = [`${title} — ${s.totalMs} ms sampled`, '  by category:'];
  for (const c of s.byCategory) lines.push(`    ${String(c.ms).padStart(9)} ms ${String(c.percent).padStart(5)} %  ${c.category}`);
  lines.push('  top functions (self time):');
  for (const f of s.topSelf) lines.push(`    ${String(f.ms).padStart(9)} ms ${String(f.percent).padStart(5)} %  ${f.fn}  ${f.where}`);
  if (s.inclusive.length) {
    lines.push('  inclusive (synchronous part):');
    for (const f of s.inclusive) lines.push(`    ${String(f.ms).padStart(9)} ms ${String(f.percent).padStart(5)} %  ${f.fn}`);
  }
  return lines.join('\n');
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const topAt = args.indexOf('--top');
  const top = topAt >= 0 ? Number(args[topAt + 1]) || 20 : 20;
  const files = args.filter((a, i) => !a.startsWith('--') && (topAt < 0 || i !== topAt + 1));
  if (!files.length) {
    process.stderr.write('usage: node dist/bench/profile-summary.js <file.cpuprofile>… [--top N]\n');
    process.exit(2);
  }
  for (const file of files) process.stdout.write(formatSummary(file, summarizeProfileFile(file, top)) + '\n\n');
}
