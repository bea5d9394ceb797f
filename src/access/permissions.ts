/**
 * Who may do what. Roles follow the telephony account's needs plus Bitrix24's own
 * rules for hired integrators (seeds/004): an integrator has admin rights for set-up
 * but cannot create or promote admins/owners and cannot dismiss (deactivate) people.
 */
export const ROLES = ['owner', 'admin', 'integrator', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  'account:read',
  'keys:read',
  'keys:manage:owner',
  'keys:manage:admin',
  'keys:manage:integrator',
  'keys:manage:viewer',
  'connections:read',
  'connections:manage',
  'sync:read',
  'sync:run',
  'sync:confirm_removals',
  'employees:read',
  'employees:write',
  'employees:deactivate',
  'responsible:read',
  'responsible:write',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const READ: Permission[] = ['account:read', 'keys:read', 'connections:read', 'sync:read', 'employees:read', 'responsible:read'];

const ROLE_PERMISSIONS: Record<Role, ReadonlySet<Permission>> = {
  owner: new Set(PERMISSIONS),
  admin: new Set(PERMISSIONS.filter((p) => p !== 'keys:manage:owner' && p !== 'keys:manage:admin')),
  integrator: new Set<Permission>([
    ...READ,
    'keys:manage:viewer',
    'connections:manage',
    'sync:run',
    'employees:write',
    'responsible:write',
    // Not granted: keys:manage:owner|admin|integrator (no creating or promoting admins),
    // employees:deactivate and sync:confirm_removals (no dismissing people).
  ]),
  viewer: new Set(READ),
};

export function roleHas(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].has(permission);
}

export function permissionsOf(role: Role): Permission[] {
  return PERMISSIONS.filter((p) => ROLE_PERMISSIONS[role].has(p));
}

export const manageKeyPermission = (role: Role): Permission => `keys:manage:${role}`;
