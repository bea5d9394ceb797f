import { SetMetadata } from '@nestjs/common';
import type { Permission } from './permissions';

export const REQUIRED_PERMISSION = 'requiredPermission';

/** The permission a route needs; the ApiKeyGuard answers 403 naming it when the role lacks it. */
export const RequirePermission = (permission: Permission) => SetMetadata(REQUIRED_PERMISSION, permission);
