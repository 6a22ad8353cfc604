export * from './common.js';
export * from './users.js';
export * from './auth.js';
export * from './audit.js';
export * from './import.js';
export * from './meta.js';
export * from './mfa.js';
export * from './passkeys.js';
