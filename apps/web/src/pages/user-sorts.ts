/** The orders the Users page offers (`field.order`), each worded in the catalogue as `users.sort.<key>`. */
export const userSorts = [
  'createdAt.desc',
  'createdAt.asc',
  'name.asc',
  'name.desc',
  'email.asc',
  'email.desc',
] as const;
