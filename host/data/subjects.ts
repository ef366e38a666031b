/** Subject lists on the command line: "s01-s14,s16" -> s01..s14, s16. */
import { UsageError } from '../errors.ts';

const ID = /^([A-Za-z_]*)(\d+)$/;

function parseId(token: string, spec: string): { prefix: string; n: number; width: number } {
  const m = ID.exec(token);
  if (!m) throw new UsageError(`bad subject "${token}" in "${spec}": expected an id like s01 (letters then digits) or a range like s01-s14`);
  return { prefix: m[1] as string, n: Number(m[2]), width: (m[2] as string).length };
}

export function parseSubjects(spec: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (id: string): void => {
    if (seen.has(id)) throw new UsageError(`subject ${id} is listed twice in "${spec}"`);
    seen.add(id);
    out.push(id);
  };
  if (spec.trim() === '') throw new UsageError('empty subject list: expected e.g. s01-s14,s16');
  for (const raw of spec.split(',')) {
    const part = raw.trim();
    if (part === '') throw new UsageError(`empty item in subject list "${spec}"`);
    const dash = part.split('-');
    if (dash.length === 1) {
      parseId(part, spec);
      add(part);
      continue;
    }
    if (dash.length !== 2 || dash[0] === '' || dash[1] === '') {
      throw new UsageError(`bad subject range "${part}" in "${spec}": expected FIRST-LAST, e.g. s01-s14`);
    }
    const a = parseId(dash[0] as string, spec);
    const b = parseId(dash[1] as string, spec);
    if (a.prefix !== b.prefix) throw new UsageError(`bad subject range "${part}": both ends need the same prefix ("${a.prefix}" vs "${b.prefix}")`);
    if (b.n < a.n) throw new UsageError(`bad subject range "${part}": it runs backwards (${b.n} < ${a.n})`);
    for (let n = a.n; n <= b.n; n++) add(`${a.prefix}${String(n).padStart(a.width, '0')}`);
  }
  return out;
}

/** The inverse of parseSubjects for messages: ['s01','s02','s03','s05'] -> "s01-s03,s05". */
export function formatSubjects(ids: string[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < ids.length) {
    const first = ID.exec(ids[i] as string);
    let j = i;
    if (first) {
      while (j + 1 < ids.length) {
        const next = ID.exec(ids[j + 1] as string);
        const cur = ID.exec(ids[j] as string) as RegExpExecArray;
        if (!next || next[1] !== first[1] || next[2]!.length !== first[2]!.length || Number(next[2]) !== Number(cur[2]) + 1) break;
        j++;
      }
    }
    parts.push(j > i ? `${ids[i]}-${ids[j]}` : (ids[i] as string));
    i = j + 1;
  }
  return parts.join(',');
}
