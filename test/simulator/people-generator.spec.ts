import type { Bitrix24User } from '../../src/bitrix24/bitrix24-user';
import { DEFAULT_SHARES, generatePortal, mulberry32 } from './people-generator';

const PHONE_FORMATS: Array<[string, RegExp]> = [
  ['+7 (495) 123-45-67', /^\+7 \(\d{3}\) \d{3}-\d{2}-\d{2}$/],
  ['8 (495) 123-45-67', /^8 \(\d{3}\) \d{3}-\d{2}-\d{2}$/],
  ['8 916 123 45 67 доб. 12', /^8 \d{3} \d{3} \d{2} \d{2} доб\. \d+$/],
  ['+7 916 123 45 67 ext 5', /^\+7 \d{3} \d{3} \d{2} \d{2} ext \d+$/],
  ['84951234567', /^8\d{10}$/],
  ['+79161234567', /^\+7\d{10}$/],
  ['+1 212 555 0100', /^\+1 212 555 \d{4}$/],
  ['empty', /^$/],
  ['spaces', /^ +$/],
  ['garbage', /^(нет|-|н\/д|0|x)$/],
];

function phonesOf(users: Bitrix24User[]): string[] {
  return users.flatMap((u) => [u.WORK_PHONE, u.PERSONAL_MOBILE, u.PERSONAL_PHONE]).filter((p): p is string => typeof p === 'string');
}

describe('people-generator', () => {
  const portal = generatePortal({ seed: 42, people: 5000 });
  const { users, departments } = portal;

  it('is deterministic for a seed and differs between seeds', () => {
    expect(generatePortal({ seed: 42, people: 5000 })).toEqual(portal);
    const other = generatePortal({ seed: 43, people: 5000 });
    expect(other.users.map((u) => u.NAME)).not.toEqual(users.map((u) => u.NAME));
    const a = mulberry32(9);
    const b = mulberry32(9);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
  });

  // How fast it is belongs to the benchmark (bench/), not to a timed test.
  it('generates 100,000 people with strictly increasing IDs', () => {
    const big = generatePortal({ seed: 1, people: 100_000 });
    expect(big.users).toHaveLength(100_000);
    const ids = big.users.map((u) => Number(u.ID));
    expect(ids.every((id, i) => i === 0 || id > ids[i - 1])).toBe(true);
  });

  it('types fields as user-get.md shows: ID string, ACTIVE boolean, UF_DEPARTMENT numbers', () => {
    for (const user of users) {
      expect(typeof user.ID).toBe('string');
      expect(typeof user.ACTIVE).toBe('boolean');
      if (Array.isArray(user.UF_DEPARTMENT)) expect(user.UF_DEPARTMENT.every((d) => typeof d === 'number')).toBe(true);
    }
    expect(users[0]).toMatchObject({ ID: '1', ACTIVE: true, USER_TYPE: 'employee', UF_DEPARTMENT: [1] });
  });

  it('has gaps in the ID sequence, filled in part by hidden bots and partners', () => {
    const last = Number(users[users.length - 1].ID);
    expect(last).toBeGreaterThan(users.length);
    expect(portal.systemUsers.map((u) => u.kind).sort()).toEqual(['bot', 'bot', 'integrator']);
    const ids = new Set(users.map((u) => u.ID));
    expect(portal.systemUsers.every((u) => !ids.has(u.ID))).toBe(true);
  });

  it('mixes Cyrillic and Latin names with gendered surnames and patronymics', () => {
    const cyrillic = users.filter((u) => /^[А-ЯЁ]/.test(String(u.NAME)));
    const latin = users.filter((u) => /^[A-Z]/.test(String(u.NAME)));
    expect(cyrillic.length).toBeGreaterThan(users.length * 0.6);
    expect(latin.length).toBeGreaterThan(users.length * 0.15);
    expect(cyrillic.some((u) => /(вич|вна|ична)$/.test(String(u.SECOND_NAME)))).toBe(true);
    expect(cyrillic.some((u) => /ова$/.test(String(u.LAST_NAME)) && u.PERSONAL_GENDER !== 'M')).toBe(true);
    expect(users.some((u) => u.LAST_NAME === undefined)).toBe(true);
    expect(users.some((u) => u.LAST_NAME === '')).toBe(true);
  });

  it('covers every email case: valid, upper case, spaces, missing, invalid, shared', () => {
    const emails = users.map((u) => u.EMAIL);
    expect(emails.filter((e) => typeof e === 'string' && /^[a-z0-9.]+@[a-z.]+$/.test(e)).length).toBeGreaterThan(users.length * 0.7);
    expect(emails.some((e) => typeof e === 'string' && /[A-Z]/.test(e))).toBe(true);
    expect(emails.some((e) => typeof e === 'string' && e !== e.trim())).toBe(true);
    expect(emails.some((e) => e === undefined)).toBe(true);
    expect(emails.some((e) => e === '')).toBe(true);
    expect(emails.some((e) => typeof e === 'string' && e.trim() !== '' && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(e.trim()))).toBe(true);
    const normalised = emails.filter((e): e is string => typeof e === 'string' && e.trim() !== '').map((e) => e.trim().toLowerCase());
    const counts = new Map<string, number>();
    for (const e of normalised) counts.set(e, (counts.get(e) ?? 0) + 1);
    expect([...counts.values()].some((n) => n >= 2)).toBe(true);
  });

  it('covers every phone format seen in the wild, and extensions in UF_PHONE_INNER', () => {
    const phones = phonesOf(users);
    for (const [name, pattern] of PHONE_FORMATS) {
      expect({ name, found: phones.some((p) => pattern.test(p)) }).toEqual({ name, found: true });
    }
    expect(users.some((u) => typeof u.UF_PHONE_INNER === 'string' && /^\d{3,4}$/.test(u.UF_PHONE_INNER))).toBe(true);
    expect(users.some((u) => u.UF_PHONE_INNER === '' || u.UF_PHONE_INNER === undefined)).toBe(true);
  });

  it('has about 5% dismissed and 3% extranet users without departments', () => {
    const dismissed = users.filter((u) => u.ACTIVE === false).length / users.length;
    expect(dismissed).toBeGreaterThan(0.03);
    expect(dismissed).toBeLessThan(0.07);
    const extranet = users.filter((u) => u.USER_TYPE === 'extranet');
    expect(extranet.length / users.length).toBeGreaterThan(0.015);
    expect(extranet.length / users.length).toBeLessThan(0.045);
    for (const u of extranet) expect(Array.isArray(u.UF_DEPARTMENT) ? u.UF_DEPARTMENT.length : 0).toBe(0);
  });

  it('builds a department tree under the company with real heads', () => {
    const ids = new Set(departments.map((d) => String(d.ID)));
    expect(departments[0].PARENT).toBeUndefined();
    expect(departments[0].UF_HEAD).toBe('1');
    for (const d of departments.slice(1)) {
      expect(ids.has(String(d.PARENT))).toBe(true);
      expect(typeof d.SORT).toBe('number');
    }
    // No cycles: walking up always reaches the root.
    const byId = new Map(departments.map((d) => [String(d.ID), d]));
    for (const d of departments) {
      let node = d;
      let steps = 0;
      while (node.PARENT !== undefined && steps < 50) {
        node = byId.get(String(node.PARENT)) as typeof d;
        steps++;
      }
      expect(node.ID).toBe('1');
    }
    const userIds = new Set(users.map((u) => String(u.ID)));
    const heads = departments.filter((d) => d.UF_HEAD !== undefined);
    expect(heads.every((d) => userIds.has(String(d.UF_HEAD)))).toBe(true);
    expect(heads.length).toBeLessThan(departments.length);
    const deptIds = users.flatMap((u) => (Array.isArray(u.UF_DEPARTMENT) ? u.UF_DEPARTMENT.map(String) : []));
    expect(deptIds.every((id) => ids.has(id))).toBe(true);
  });

  it('makes org charts like real portals: up to 6 levels, thousands of departments, heads who left or are guests (issue 13)', () => {
    const big = generatePortal({ seed: 5, people: 20_000, departments: 3_000 });
    expect(big.departments).toHaveLength(3_000);
    const byId = new Map(big.departments.map((d) => [String(d.ID), d]));
    const depth = (d: (typeof big.departments)[number]): number => (d.PARENT === undefined ? 0 : 1 + depth(byId.get(String(d.PARENT))!));
    const depths = big.departments.map(depth);
    expect(Math.max(...depths)).toBe(5);
    const people = new Map(big.users.map((u) => [String(u.ID), u]));
    const heads = big.departments.slice(1).map((d) => (d.UF_HEAD === undefined ? null : people.get(String(d.UF_HEAD))!));
    const share = (f: (u: (typeof big.users)[number] | null) => boolean) => heads.filter(f).length / heads.length;
    expect(share((u) => u === null)).toBeGreaterThan(0.05);
    expect(share((u) => u?.ACTIVE === false)).toBeGreaterThan(0.02);
    expect(share((u) => u?.USER_TYPE === 'extranet')).toBeGreaterThan(0.003);
    expect(big.users.filter((u) => Array.isArray(u.UF_DEPARTMENT) && u.UF_DEPARTMENT.length > 1).length).toBeGreaterThan(500);
    // The other values of a seed stay as they were: the heads come from a stream of their own.
    const without = generatePortal({ seed: 5, people: 20_000, departments: 3_000, shares: { headDismissed: 0, headExtranet: 0 } });
    expect(without.users).toEqual(big.users);
  });

  it('lets tests turn the messy shares down', () => {
    expect(DEFAULT_SHARES.dismissed).toBe(0.05);
    const clean = generatePortal({ seed: 5, people: 2000, shares: { dismissed: 0, extranet: 0, emailInvalid: 0, emailMissing: 0 } });
    expect(clean.users.every((u) => u.ACTIVE === true)).toBe(true);
    expect(clean.users.every((u) => u.USER_TYPE === 'employee')).toBe(true);
    expect(clean.users.every((u) => typeof u.EMAIL === 'string' && u.EMAIL.includes('@'))).toBe(true);
  });
});
