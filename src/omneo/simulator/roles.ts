/**
 * The platform's roles (docs/architecture.md "The platform"), as the simulator
 * holds them: the demo and synthetic tenants give their users these, and
 * `PUT /users/{id}` with `roles` sets a user's from their handles.
 */
import type { OmneoRole, RoleHandle } from '../types.js';

export const PLATFORM_ROLES = {
  admin: { id: 1, handle: 'admin', name: 'Admin' },
  manager: { id: 2, handle: 'manager', name: 'Manager' },
  reporting: { id: 3, handle: 'reporting', name: 'Reporting' },
  machine: { id: 4, handle: 'machine', name: 'Machine' },
} as const satisfies Record<RoleHandle, OmneoRole>;

/** The role of a handle, or undefined when the platform has none by that handle. */
export function roleOfHandle(handle: string): OmneoRole | undefined {
  return Object.hasOwn(PLATFORM_ROLES, handle) ? { ...PLATFORM_ROLES[handle as RoleHandle] } : undefined;
}
