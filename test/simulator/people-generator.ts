/**
 * Deterministic fake Bitrix24 portals: users and a department tree shaped like what
 * `user.get` and `department.get` return (api-reference/user/user-get.md,
 * api-reference/departments/department-get.md), with the mess real portals carry:
 * Cyrillic and Latin names, missing last names, emails in upper case, with spaces,
 * missing, invalid or shared by two people, phones in every format people type,
 * dismissed staff, extranet guests without departments, departments without heads.
 *
 * Everything comes from one seeded PRNG (mulberry32) in a single pass, so
 * generatePortal({ seed: 1, people: 100_000 }) is the same on every machine and fast.
 */
import type { Bitrix24Department, Bitrix24User } from '../../src/bitrix24/bitrix24-user';

/** Shares of the messy cases, each a probability per person (or per department for the department ones). */
export interface PortalShares {
  /** ACTIVE false (dismissed). */
  dismissed: number;
  /** USER_TYPE 'extranet', no UF_DEPARTMENT. */
  extranet: number;
  /** Latin-alphabet names instead of Russian ones. */
  latinNames: number;
  /** No LAST_NAME (field absent or ''). */
  missingLastName: number;
  /** Russians without a patronymic in SECOND_NAME. */
  missingPatronymic: number;
  /** No EMAIL (field absent or ''). */
  emailMissing: number;
  /** EMAIL with upper-case letters ("Ivan.Petrov@Romashka.RU"). */
  emailUpperCase: number;
  /** EMAIL with surrounding spaces (" ivan@romashka.ru "). */
  emailSpaces: number;
  /** EMAIL that is not an address ("ivan.petrov@", "нет"). */
  emailInvalid: number;
  /** EMAIL copied from an earlier person (two users share one mailbox). */
  emailShared: number;
  /** None of WORK_PHONE, PERSONAL_MOBILE, PERSONAL_PHONE has digits. */
  noPhone: number;
  /** UF_PHONE_INNER absent or ''. */
  innerPhoneEmpty: number;
  /** Employees in two departments. */
  multiDepartment: number;
  /** Employees with UF_DEPARTMENT [] (invited, never placed). */
  noDepartment: number;
  /** Departments without UF_HEAD (per department). */
  departmentWithoutHead: number;
  /** Departments whose UF_HEAD is a dismissed user (portals keep a head who left; per department). */
  headDismissed: number;
  /** Departments whose UF_HEAD is an extranet user (per department). */
  headExtranet: number;
  /** Gaps in the ID sequence (deleted users, bots). */
  idGaps: number;
  /** XML_ID filled (1C / HR system imports). */
  xmlId: number;
}

export const DEFAULT_SHARES: Readonly<PortalShares> = Object.freeze({
  dismissed: 0.05,
  extranet: 0.03,
  latinNames: 0.25,
  missingLastName: 0.01,
  missingPatronymic: 0.2,
  emailMissing: 0.03,
  emailUpperCase: 0.08,
  emailSpaces: 0.03,
  emailInvalid: 0.02,
  emailShared: 0.005,
  noPhone: 0.1,
  innerPhoneEmpty: 0.35,
  multiDepartment: 0.05,
  noDepartment: 0.005,
  departmentWithoutHead: 0.1,
  headDismissed: 0.03,
  headExtranet: 0.01,
  idGaps: 0.03,
  xmlId: 0.2,
});

/** Users that exist on the portal but that user.get never returns (user-get.md: bots, partners). */
export interface SystemUser {
  ID: string;
  kind: 'bot' | 'integrator';
  NAME: string;
  LAST_NAME: string;
}

export interface GeneratePortalOptions {
  seed?: number;
  /** Number of people user.get can return (employees + extranet, active + dismissed). */
  people: number;
  /** Number of departments, or a default of about one per 20 people. */
  departments?: number;
  shares?: Partial<PortalShares>;
  /** Chat bots (hidden from user.get). Default 2 for portals of 20+ people. */
  bots?: number;
  /** Bitrix24 partners/integrators (hidden from user.get). Default 1 for portals of 20+ people. */
  integrators?: number;
  companyName?: string;
  /** The company mail domain. */
  emailDomain?: string;
}

export interface GeneratedPortal {
  /** Sorted by ID; ID '1' is the portal administrator. */
  users: Bitrix24User[];
  /** Sorted by ID; ID '1' is the company (root, no PARENT). */
  departments: Bitrix24Department[];
  systemUsers: SystemUser[];
}

export type Rng = () => number;

// Hot paths use local aliases of global functions: under Jest the code runs in a vm
// context, where every global lookup goes through an interceptor and is ~30x slower.
const { imul, floor, pow, min, max, round } = Math;
const toStr = String;
const toNum = Number;

/** mulberry32: a tiny, fast, well-distributed 32-bit PRNG. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MALE_RU = ['Александр', 'Алексей', 'Андрей', 'Антон', 'Артём', 'Борис', 'Вадим', 'Василий', 'Виктор', 'Владимир', 'Дмитрий', 'Евгений', 'Егор', 'Иван', 'Игорь', 'Илья', 'Кирилл', 'Константин', 'Максим', 'Михаил', 'Никита', 'Николай', 'Олег', 'Павел', 'Пётр', 'Роман', 'Сергей', 'Станислав', 'Тимур', 'Фёдор', 'Юрий', 'Ярослав'];
const FEMALE_RU = ['Александра', 'Алина', 'Анастасия', 'Анна', 'Валентина', 'Валерия', 'Вера', 'Виктория', 'Галина', 'Дарья', 'Екатерина', 'Елена', 'Ирина', 'Кристина', 'Ксения', 'Лариса', 'Любовь', 'Людмила', 'Марина', 'Мария', 'Надежда', 'Наталья', 'Оксана', 'Ольга', 'Полина', 'Светлана', 'Софья', 'Татьяна', 'Юлия', 'Яна'];
/** [masculine, feminine] — gendered surnames; invariant ones repeat the same form. */
const SURNAMES_RU: Array<[string, string]> = [
  ['Иванов', 'Иванова'], ['Смирнов', 'Смирнова'], ['Кузнецов', 'Кузнецова'], ['Попов', 'Попова'], ['Васильев', 'Васильева'],
  ['Петров', 'Петрова'], ['Соколов', 'Соколова'], ['Михайлов', 'Михайлова'], ['Новиков', 'Новикова'], ['Фёдоров', 'Фёдорова'],
  ['Морозов', 'Морозова'], ['Волков', 'Волкова'], ['Алексеев', 'Алексеева'], ['Лебедев', 'Лебедева'], ['Семёнов', 'Семёнова'],
  ['Егоров', 'Егорова'], ['Павлов', 'Павлова'], ['Козлов', 'Козлова'], ['Степанов', 'Степанова'], ['Николаев', 'Николаева'],
  ['Орлов', 'Орлова'], ['Андреев', 'Андреева'], ['Макаров', 'Макарова'], ['Никитин', 'Никитина'], ['Захаров', 'Захарова'],
  ['Зайцев', 'Зайцева'], ['Соловьёв', 'Соловьёва'], ['Борисов', 'Борисова'], ['Яковлев', 'Яковлева'], ['Григорьев', 'Григорьева'],
  ['Романов', 'Романова'], ['Воробьёв', 'Воробьёва'], ['Сергеев', 'Сергеева'], ['Кириллов', 'Кириллова'], ['Белов', 'Белова'],
  ['Тарасов', 'Тарасова'], ['Беляев', 'Беляева'], ['Ковалевский', 'Ковалевская'], ['Вишневский', 'Вишневская'], ['Полянский', 'Полянская'],
  ['Высоцкий', 'Высоцкая'], ['Толстой', 'Толстая'], ['Коваленко', 'Коваленко'], ['Шевченко', 'Шевченко'], ['Бондаренко', 'Бондаренко'],
  ['Шевчук', 'Шевчук'], ['Мельник', 'Мельник'], ['Гурьев', 'Гурьева'], ['Ёлкин', 'Ёлкина'], ['Щербаков', 'Щербакова'],
];
/** [patronymic for a son, for a daughter]. */
const PATRONYMICS: Array<[string, string]> = [
  ['Александрович', 'Александровна'], ['Алексеевич', 'Алексеевна'], ['Андреевич', 'Андреевна'], ['Борисович', 'Борисовна'],
  ['Васильевич', 'Васильевна'], ['Викторович', 'Викторовна'], ['Владимирович', 'Владимировна'], ['Дмитриевич', 'Дмитриевна'],
  ['Евгеньевич', 'Евгеньевна'], ['Иванович', 'Ивановна'], ['Игоревич', 'Игоревна'], ['Ильич', 'Ильинична'],
  ['Константинович', 'Константиновна'], ['Михайлович', 'Михайловна'], ['Николаевич', 'Николаевна'], ['Олегович', 'Олеговна'],
  ['Павлович', 'Павловна'], ['Петрович', 'Петровна'], ['Сергеевич', 'Сергеевна'], ['Юрьевич', 'Юрьевна'],
];
const MALE_EN = ['James', 'John', 'Robert', 'Michael', 'William', 'David', 'Richard', 'Thomas', 'Daniel', 'Mark', 'Paul', 'Steven', 'Andrew', 'Kevin', 'Brian', 'George', 'Peter', 'Lukas', 'Jonas', 'Marco'];
const FEMALE_EN = ['Mary', 'Patricia', 'Jennifer', 'Linda', 'Elizabeth', 'Susan', 'Jessica', 'Sarah', 'Karen', 'Emily', 'Laura', 'Anna', 'Emma', 'Olivia', 'Sophie', 'Julia', 'Maria', 'Hannah', 'Lea', 'Chloe'];
const SURNAMES_EN = ['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Miller', 'Davis', 'Wilson', 'Anderson', 'Taylor', 'Thomas', 'Moore', 'Martin', 'Jackson', 'White', 'Harris', 'Clark', 'Lewis', 'Walker', 'Young', "O'Brien", 'Müller', 'Schmidt', 'García', 'Rossi', 'Dubois', 'Nowak', 'Kim', 'Nguyen', 'Van der Berg'];
const POSITIONS = ['Менеджер по продажам', 'Старший менеджер', 'Бухгалтер', 'Главный бухгалтер', 'Юрист', 'Программист', 'Ведущий разработчик', 'Тестировщик', 'Аналитик', 'Маркетолог', 'HR-менеджер', 'Руководитель отдела', 'Оператор call-центра', 'Специалист поддержки', 'Логист', 'Кладовщик', 'Водитель', 'Офис-менеджер', 'Секретарь', 'Дизайнер', 'Account manager', 'Sales Director', ''];
const DEPARTMENT_NAMES = ['Отдел продаж', 'Отдел маркетинга и рекламы', 'Бухгалтерия', 'Юридический отдел', 'Отдел кадров', 'Call-центр', 'Служба поддержки', 'Отдел разработки', 'Отдел тестирования', 'Логистика', 'Склад', 'Закупки', 'Административно-хозяйственный отдел', 'Финансовый отдел', 'Отдел по работе с ключевыми клиентами', 'Сервисный отдел', 'R&D', 'IT', 'Sales', 'Customer Success'];
const BRANCHES = ['Московский филиал', 'Филиал в Санкт-Петербурге', 'Новосибирский филиал', 'Екатеринбургский филиал', 'Казанский филиал', 'Региональная сеть'];
const CITIES = ['Москва', 'Санкт-Петербург', 'Новосибирск', 'Екатеринбург', 'Казань', 'Нижний Новгород', 'Самара', ''];
const CITY_CODES = ['495', '499', '812', '383', '343', '843', '831', '846'];
const MAIL_PROVIDERS = ['gmail.com', 'mail.ru', 'yandex.ru', 'bk.ru', 'inbox.ru', 'outlook.com'];
const GARBAGE_PHONES = ['нет', '-', 'н/д', '0', 'x'];

const TRANSLIT: Record<string, string> = {
  а: 'a', б: 'b', в: 'v', г: 'g', д: 'd', е: 'e', ё: 'e', ж: 'zh', з: 'z', и: 'i', й: 'y', к: 'k', л: 'l', м: 'm', н: 'n',
  о: 'o', п: 'p', р: 'r', с: 's', т: 't', у: 'u', ф: 'f', х: 'kh', ц: 'ts', ч: 'ch', ш: 'sh', щ: 'shch', ъ: '', ы: 'y', ь: '',
  э: 'e', ю: 'yu', я: 'ya',
};

const translitCache = new Map<string, string>();

function translit(text: string): string {
  const cached = translitCache.get(text);
  if (cached !== undefined) return cached;
  let out = '';
  for (const ch of text.toLowerCase()) {
    if (ch in TRANSLIT) out += TRANSLIT[ch];
    else if (/[a-z0-9]/.test(ch)) out += ch;
    else if (ch === 'ü') out += 'u';
    else if (ch === 'í' || ch === 'á') out += ch === 'í' ? 'i' : 'a';
  }
  translitCache.set(text, out);
  return out;
}

function pad(n: number, width = 2): string {
  return toStr(n).padStart(width, '0');
}

const EMPTY_OBJECT: Record<string, never> = Object.freeze({}) as Record<string, never>;

export function generatePortal(options: GeneratePortalOptions): GeneratedPortal {
  const seed = options.seed ?? 1;
  const rng = mulberry32(seed);
  const shares: PortalShares = { ...DEFAULT_SHARES, ...(options.shares ?? {}) };
  const people = max(0, floor(options.people));
  const departmentCount = max(1, floor(options.departments ?? min(5000, max(3, round(people / 20)))));
  const botCount = options.bots ?? (people >= 20 ? 2 : 0);
  const integratorCount = options.integrators ?? (people >= 20 ? 1 : 0);
  const companyName = options.companyName ?? 'ООО «Ромашка»';
  const domain = options.emailDomain ?? 'romashka.ru';

  const chance = (p: number): boolean => rng() < p;
  const int = (min: number, max: number): number => min + floor(rng() * (max - min + 1));
  const pick = <T>(list: readonly T[]): T => list[floor(rng() * list.length)];
  const digits = (count: number): string => {
    let s = '';
    for (let i = 0; i < count; i++) s += toStr(floor(rng() * 10));
    return s;
  };
  const isoDate = (year: number, withTime: boolean): string => {
    const date = `${year}-${pad(int(1, 12))}-${pad(int(1, 28))}`;
    return withTime ? `${date}T${pad(int(8, 20))}:${pad(int(0, 59))}:${pad(int(0, 59))}+03:00` : date;
  };

  // ---- departments: a tree under the company root -----------------------------------
  const departments: Bitrix24Department[] = [];
  const depth: number[] = [];
  let nextDeptId = 1;
  departments.push({ ID: '1', NAME: companyName, SORT: 500 });
  depth.push(0);
  for (let i = 1; i < departmentCount; i++) {
    nextDeptId += chance(0.05) ? int(2, 4) : 1;
    // Earlier departments are shallower; skew the choice of parent towards them.
    let parentIndex = floor(pow(rng(), 1.6) * departments.length);
    while (depth[parentIndex] >= 5) parentIndex = floor(parentIndex / 2);
    const parentDepth = depth[parentIndex];
    const name = parentDepth === 0 && chance(0.3) ? pick(BRANCHES) : parentDepth >= 2 && chance(0.5) ? `Группа ${pick(DEPARTMENT_NAMES).toLowerCase()}` : pick(DEPARTMENT_NAMES);
    departments.push({
      ID: toStr(nextDeptId),
      NAME: name,
      SORT: chance(0.8) ? 500 : int(1, 9) * 100,
      PARENT: toStr(departments[parentIndex].ID),
    });
    depth.push(parentDepth + 1);
  }
  const membersByDept: number[][] = departments.map(() => []);

  // ---- people ----------------------------------------------------------------------
  const users: Bitrix24User[] = [];
  const freeIds: number[] = [];
  const usedEmails = new Set<string>();
  const emailCounters = new Map<string, number>();
  const validEmails: string[] = [];
  let nextId = 0;

  const phone = (kind: 'work' | 'mobile' | 'home'): string | undefined => {
    const mobile = `9${digits(2)}`;
    const city = pick(CITY_CODES);
    const a = digits(3);
    const b = digits(2);
    const c = digits(2);
    const code = kind === 'mobile' ? mobile : chance(0.7) ? city : mobile;
    const roll = rng();
    if (roll < 0.22) return `+7 (${code}) ${a}-${b}-${c}`;
    if (roll < 0.36) return `8 (${code}) ${a}-${b}-${c}`;
    if (roll < 0.46) return `8 ${code} ${a} ${b} ${c} доб. ${int(1, 999)}`;
    if (roll < 0.54) return `+7 ${code} ${a} ${b} ${c} ext ${int(1, 99)}`;
    if (roll < 0.66) return `8${code}${a}${b}${c}`;
    if (roll < 0.8) return `+7${code}${a}${b}${c}`;
    if (roll < 0.84) return `+1 212 555 ${digits(4)}`;
    if (roll < 0.87) return `+49 30 ${digits(7)}`;
    if (roll < 0.9) return `7${code}${a}${b}${c}`;
    if (roll < 0.93) return '   ';
    if (roll < 0.96) return pick(GARBAGE_PHONES);
    return roll < 0.98 ? '' : undefined;
  };

  const makeEmail = (first: string, last: string): string | undefined => {
    if (chance(shares.emailMissing)) return chance(0.5) ? undefined : '';
    if (validEmails.length > 0 && chance(shares.emailShared)) return pick(validEmails);
    const f = translit(first);
    const l = translit(last || 'user');
    if (chance(shares.emailInvalid)) {
      return pick([`${f}.${l}@`, `${f}.${l}.${domain}`, `${f} ${l}@${domain}`, 'нет', `${f}@@${domain}`, `@${domain}`, `${f}.${l}@${domain.split('.')[0]}`]);
    }
    const host = chance(0.8) ? domain : pick(MAIL_PROVIDERS);
    const style = rng();
    const local = style < 0.5 ? `${f}.${l}` : style < 0.75 ? `${f[0] ?? 'x'}.${l}` : style < 0.9 ? `${l}.${f}` : `${f}${l}`;
    let email = `${local}@${host}`;
    if (usedEmails.has(email)) {
      // Namesakes get a number: ivan.petrov2@…, counted per address so this stays O(1).
      let n = emailCounters.get(email) ?? 1;
      do {
        n += 1;
        email = `${local}${n}@${host}`;
      } while (usedEmails.has(email));
      emailCounters.set(`${local}@${host}`, n);
    }
    usedEmails.add(email);
    validEmails.push(email);
    if (chance(shares.emailUpperCase)) {
      email = email.replace(/(^|[.@])([a-z])/g, (_, sep: string, ch: string) => sep + ch.toUpperCase());
      if (chance(0.3)) email = email.toUpperCase();
    }
    if (chance(shares.emailSpaces)) email = pick([` ${email}`, `${email} `, `  ${email}  `, `\t${email}`]);
    return email;
  };

  const nonRootDepartments = departments.length - 1;
  const pickDepartmentIndex = (): number => (nonRootDepartments === 0 || chance(0.02) ? 0 : 1 + floor(rng() * nonRootDepartments));

  for (let i = 0; i < people; i++) {
    if (i > 0 && chance(shares.idGaps)) {
      const gap = int(1, 3);
      for (let g = 0; g < gap; g++) freeIds.push(++nextId);
    }
    const id = ++nextId;
    const isAdmin = i === 0;
    const male = chance(0.5);
    const latin = !isAdmin && chance(shares.latinNames);
    let first: string;
    let last: string;
    let second: string | undefined;
    if (latin) {
      first = pick(male ? MALE_EN : FEMALE_EN);
      last = pick(SURNAMES_EN);
      second = chance(0.1) ? `${pick(['A', 'B', 'J', 'M', 'R'])}.` : chance(0.5) ? '' : undefined;
    } else {
      first = pick(male ? MALE_RU : FEMALE_RU);
      const pair = pick(SURNAMES_RU);
      last = male ? pair[0] : pair[1];
      const patronymic = pick(PATRONYMICS);
      second = !isAdmin && chance(shares.missingPatronymic) ? (chance(0.5) ? '' : undefined) : male ? patronymic[0] : patronymic[1];
    }
    const lastMissing = !isAdmin && chance(shares.missingLastName);
    const extranet = !isAdmin && chance(shares.extranet);
    const dismissed = !isAdmin && chance(shares.dismissed);
    const email = isAdmin ? `admin@${domain}` : makeEmail(first, last);
    if (isAdmin) {
      usedEmails.add(email as string);
      validEmails.push(email as string);
    }

    const user: Bitrix24User = { ID: toStr(id) };
    if (!extranet && chance(shares.xmlId)) user.XML_ID = `${digits(8)}-${digits(4)}-${digits(4)}`;
    user.ACTIVE = !dismissed;
    user.NAME = first;
    if (!lastMissing) user.LAST_NAME = last;
    else if (chance(0.5)) user.LAST_NAME = '';
    if (second !== undefined) user.SECOND_NAME = second;
    if (email !== undefined) user.EMAIL = email;
    const registerYear = int(2015, 2024);
    if (chance(0.9)) user.LAST_LOGIN = isoDate(min(2025, registerYear + int(0, 2)), true);
    user.DATE_REGISTER = isoDate(registerYear, true);
    if (chance(0.7)) user.TIME_ZONE = chance(0.8) ? '' : pick(['Europe/Moscow', 'Asia/Novosibirsk', 'Asia/Yekaterinburg']);
    user.IS_ONLINE = chance(0.05) ? 'Y' : 'N';
    user.TIMESTAMP_X = EMPTY_OBJECT;
    user.LAST_ACTIVITY_DATE = EMPTY_OBJECT;
    user.PERSONAL_GENDER = chance(0.6) ? (male ? 'M' : 'F') : '';
    if (chance(0.7)) user.PERSONAL_BIRTHDAY = chance(0.6) ? `${isoDate(int(1960, 2003), false)}T00:00:00+03:00` : '';

    const noPhone = !isAdmin && chance(shares.noPhone);
    const emptyPhone = (): string | undefined => pick<string | undefined>(['', '', undefined, '   ', '-']);
    const mobile = isAdmin ? `+7 (9${digits(2)}) ${digits(3)}-${digits(2)}-${digits(2)}` : noPhone ? emptyPhone() : chance(0.65) ? phone('mobile') : chance(0.5) ? '' : undefined;
    const home = noPhone ? emptyPhone() : chance(0.15) ? phone('home') : chance(0.4) ? '' : undefined;
    const work = isAdmin ? `+7 (495) ${digits(3)}-${digits(2)}-${digits(2)}` : noPhone ? emptyPhone() : chance(0.6) ? phone('work') : chance(0.5) ? '' : undefined;
    if (mobile !== undefined) user.PERSONAL_MOBILE = mobile;
    if (home !== undefined) user.PERSONAL_PHONE = home;
    if (chance(0.8)) user.PERSONAL_CITY = pick(CITIES);
    if (work !== undefined) user.WORK_PHONE = work;
    user.WORK_POSITION = isAdmin ? 'Генеральный директор' : pick(POSITIONS);
    if (chance(0.3)) user.WORK_COMPANY = extranet ? pick(['ООО «Партнёр»', 'ИП Сидоров', 'Acme Corp']) : '';
    user.UF_EMPLOYMENT_DATE = chance(0.5) ? isoDate(registerYear, false) : '';

    if (extranet) {
      // ONUSERADD docs: UF_DEPARTMENT "may be absent for extranet users"; older portals send false or [].
      const roll = rng();
      if (roll < 0.3) user.UF_DEPARTMENT = [];
      else if (roll < 0.4) user.UF_DEPARTMENT = false;
    } else if (isAdmin) {
      user.UF_DEPARTMENT = [1];
      membersByDept[0].push(id);
    } else if (chance(shares.noDepartment)) {
      user.UF_DEPARTMENT = [];
    } else {
      const first = pickDepartmentIndex();
      const list = [toNum(departments[first].ID)];
      if (!dismissed) membersByDept[first].push(id);
      if (departments.length > 2 && chance(shares.multiDepartment)) {
        const second = pickDepartmentIndex();
        if (second !== first) list.push(toNum(departments[second].ID));
      }
      user.UF_DEPARTMENT = list;
    }
    if (isAdmin || !chance(shares.innerPhoneEmpty)) user.UF_PHONE_INNER = toStr(int(100, 9999));
    else if (chance(0.5)) user.UF_PHONE_INNER = '';
    user.USER_TYPE = extranet ? 'extranet' : 'employee';
    users.push(user);
  }

  // ---- heads: an active member of the department, or none ---------------------------
  const activeEmployees = users.filter((u) => u.ACTIVE === true && u.USER_TYPE === 'employee');
  departments.forEach((department, index) => {
    if (index === 0) {
      if (users.length > 0) department.UF_HEAD = '1';
      return;
    }
    if (chance(shares.departmentWithoutHead)) return;
    const members = membersByDept[index];
    if (members.length > 0) department.UF_HEAD = toStr(pick(members));
    else if (activeEmployees.length > 0 && chance(0.5)) department.UF_HEAD = toStr(pick(activeEmployees).ID);
  });

  // ---- system users user.get never returns: they take IDs from the gaps ------------------
  const systemUsers: SystemUser[] = [];
  const takeId = (): number => (freeIds.length > 0 ? freeIds.splice(floor(rng() * freeIds.length), 1)[0] : ++nextId);
  for (let i = 0; i < integratorCount; i++) systemUsers.push({ ID: toStr(takeId()), kind: 'integrator', NAME: 'Партнёр', LAST_NAME: `Интегратор ${i + 1}` });
  for (let i = 0; i < botCount; i++) systemUsers.push({ ID: toStr(takeId()), kind: 'bot', NAME: pick(['Марта', 'Помощник', 'Open Lines Bot']), LAST_NAME: '' });
  systemUsers.sort((a, b) => toNum(a.ID) - toNum(b.ID));

  // ---- heads who left or are guests (issue 13): UF_HEAD keeps pointing at them -----------
  // A stream of its own, so adding these leaves every other value of a seed as it was.
  const headRng = mulberry32(seed ^ 0x68656164);
  const dismissedUsers = users.filter((u) => u.ACTIVE === false);
  const extranetUsers = users.filter((u) => u.USER_TYPE === 'extranet');
  departments.forEach((department, index) => {
    if (index === 0 || department.UF_HEAD === undefined) return;
    const draw = headRng();
    const from = draw < shares.headDismissed ? dismissedUsers : draw < shares.headDismissed + shares.headExtranet ? extranetUsers : null;
    if (from && from.length) department.UF_HEAD = toStr(from[floor(headRng() * from.length)].ID);
  });

  return { users, departments, systemUsers };
}
