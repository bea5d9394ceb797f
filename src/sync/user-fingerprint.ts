import { hash } from 'node:crypto';
import type { Bitrix24User } from '../bitrix24/bitrix24-user';
import { IMPORT_FIELDS } from '../bitrix24/client/bitrix24-client';

/**
 * Work in proportion to change (issue 12): what a run planned a user from, as one short
 * value. Everything planChunk reads about a linked user is in it except the employee, whose
 * edits clear the stored value in the database (migration 1795308600000): the user's record
 * as the export reads it (IMPORT_FIELDS), the link as the run left it, and the run's
 * settings (settingsFingerprint). Equal fingerprints mean equal inputs, hence the same plan.
 */
export interface FingerprintedLink {
  employeeId: string;
  state: string;
  matchedBy?: string;
  departmentIds: number[];
  userType: string | null;
}

// One-shot hashing: a re-sync of 100,000 people computes 100,000 of these.
const digest = (value: unknown): string => hash('sha1', JSON.stringify(value), 'base64url');

/** The inputs of one run that decide every user's plan; anything else equal, a change here re-plans everyone. */
export function settingsFingerprint(parts: Record<string, unknown>): string {
  return digest(Object.keys(parts).sort().map((key) => [key, parts[key]]));
}

export function userFingerprint(settings: string, user: Bitrix24User, link: FingerprintedLink): string {
  // An absent field and a null one may plan differently: the record is kept as it came (absent keys drop out).
  const record: Record<string, unknown> = {};
  for (const field of IMPORT_FIELDS) record[field] = user[field];
  return digest([settings, record, link.employeeId, link.state, link.matchedBy ?? null, link.departmentIds, link.userType]);
}

/** Whether the link's stored fingerprint says nothing the plan reads has changed since the last run settled the user. */
export function isSettled(settings: string, user: Bitrix24User, link: FingerprintedLink & { fingerprint?: string | null }): boolean {
  return typeof link.fingerprint === 'string' && link.fingerprint === userFingerprint(settings, user, link);
}
