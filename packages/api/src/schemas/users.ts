import { z } from 'zod';
import { email, isoDateTime, name, password, uuid } from './common.js';

export const roles = ['admin', 'manager', 'user'] as const;
export const role = z.enum(roles);
export type Role = (typeof roles)[number];

/** A user as every client sees it: never a hash, never a counter. */
export const user = z.object({
  id: uuid,
  email: z.string(),
  name: z.string(),
  role,
  emailVerified: z.boolean(),
  disabled: z.boolean(),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
  lastLoginAt: isoDateTime.nullable(),
});
export type User = z.infer<typeof user>;

export const updateMeInput = z.object({ name: name.optional(), email: email.optional() });
export type UpdateMeInput = z.infer<typeof updateMeInput>;

export const deleteMeInput = z.object({ password });
export type DeleteMeInput = z.infer<typeof deleteMeInput>;
