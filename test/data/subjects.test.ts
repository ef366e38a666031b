import { describe, expect, it } from 'vitest';
import { UsageError } from '../../host/cli/args.ts';
import { formatSubjects, parseSubjects } from '../../host/data/subjects.ts';

describe('parseSubjects', () => {
  it('expands ranges and single ids, keeping zero padding', () => {
    expect(parseSubjects('s01-s14,s16')).toEqual(['s01', 's02', 's03', 's04', 's05', 's06', 's07', 's08', 's09', 's10', 's11', 's12', 's13', 's14', 's16']);
    expect(parseSubjects('s15-s18')).toEqual(['s15', 's16', 's17', 's18']);
    expect(parseSubjects(' s03 , s01 ')).toEqual(['s03', 's01']);
    expect(parseSubjects('s9-s11')).toEqual(['s9', 's10', 's11']);
    expect(parseSubjects('s05-s05')).toEqual(['s05']);
  });

  it.each([
    ['', /empty subject list/],
    ['s01,,s02', /empty item in subject list "s01,,s02"/],
    ['s01-', /bad subject range "s01-"/],
    ['s01-s02-s03', /bad subject range "s01-s02-s03"/],
    ['s14-s01', /bad subject range "s14-s01": it runs backwards/],
    ['s01-p05', /both ends need the same prefix/],
    ['s0x', /bad subject "s0x"/],
    ['s01-s03,s02', /subject s02 is listed twice/],
  ])('rejects %j', (spec, message) => {
    expect(() => parseSubjects(spec)).toThrow(UsageError);
    expect(() => parseSubjects(spec)).toThrow(message);
  });

  it('formats lists back into ranges', () => {
    expect(formatSubjects(['s01', 's02', 's03', 's05', 's07', 's08'])).toBe('s01-s03,s05,s07-s08');
    expect(formatSubjects(parseSubjects('s01-s14,s16'))).toBe('s01-s14,s16');
    expect(formatSubjects([])).toBe('');
  });
});
