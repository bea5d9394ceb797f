/**
 * A user as `user.get` returns it (api-reference/user/user-get.md; field list in
 * api-reference/user/index.md). Bitrix24 sends most scalars as strings; ACTIVE is a
 * JSON boolean on modern portals but older ones send "Y"/"N", so readers use
 * isBitrix24Active(). Only the fields this product reads are typed.
 */
export interface Bitrix24User {
  ID: string | number;
  ACTIVE?: boolean | 'Y' | 'N' | string;
  NAME?: string | null;
  LAST_NAME?: string | null;
  SECOND_NAME?: string | null;
  EMAIL?: string | null;
  WORK_PHONE?: string | null;
  PERSONAL_MOBILE?: string | null;
  PERSONAL_PHONE?: string | null;
  UF_PHONE_INNER?: string | number | null;
  UF_DEPARTMENT?: Array<string | number> | string | number | null | false;
  USER_TYPE?: string | null;
  XML_ID?: string | null;
  WORK_POSITION?: string | null;
  [field: string]: unknown;
}

/** A department as `department.get` returns it (api-reference/departments/department-get.md). */
export interface Bitrix24Department {
  ID: string | number;
  NAME?: string | null;
  SORT?: string | number | null;
  PARENT?: string | number | null;
  UF_HEAD?: string | number | null;
}

export function isBitrix24Active(user: Pick<Bitrix24User, 'ACTIVE'>): boolean {
  const value = user.ACTIVE;
  if (value === undefined || value === null) return true;
  if (typeof value === 'boolean') return value;
  return !['n', 'false', '0', ''].includes(String(value).trim().toLowerCase());
}

export function bitrix24UserId(user: Pick<Bitrix24User, 'ID'>): number {
  const id = Number(user.ID);
  if (!Number.isSafeInteger(id) || id <= 0) throw new Error(`Bitrix24 user ID is not a positive integer: ${String(user.ID)}`);
  return id;
}

export function departmentIds(user: Pick<Bitrix24User, 'UF_DEPARTMENT'>): number[] {
  const raw = user.UF_DEPARTMENT;
  const list = Array.isArray(raw) ? raw : raw === null || raw === undefined || raw === false || raw === '' ? [] : [raw];
  return [...new Set(list.map(Number).filter((n) => Number.isSafeInteger(n) && n > 0))];
}
