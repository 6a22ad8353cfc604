/**
 * The per-address limits' settings and defaults, apart from the code that enforces them
 * (rate-limit.ts) so that reading the configuration (config.ts, the CLI) does not load the router.
 */
/** At most `max` per client address in each window of `windowSeconds`. */
export interface Limit {
  max: number;
  windowSeconds: number;
}

/**
 * Per-address limits on the unauthenticated (and password-checking) procedures. They sit on
 * top of the per-account sign-in throttle (LOGIN_MAX_ATTEMPTS), which stops guessing one
 * account's password; these stop one address from spraying many accounts, mass sign-ups,
 * mail floods and token guessing.
 */
export interface RateLimitSettings {
  /** Failed sign-ins (auth.login, auth.verifyMfa, auth.passkeyLogin answered 401) per address, counted atomically. */
  signIn: Limit;
  /** auth.register calls per address. */
  register: Limit;
  /** Calls that send mail: auth.requestPasswordReset, auth.requestEmailVerification. */
  mail: Limit;
  /** Redemptions of emailed tokens: auth.resetPassword, auth.verifyEmail. */
  tokens: Limit;
  /** auth.refresh, auth.logout and auth.passkeyOptions calls per address: cheap calls anyone may make, each writing a row. */
  refresh: Limit;
  /**
   * Calls that check the current password of a signed-in user: auth.changePassword,
   * users.deleteMe, and the second-factor changes that ask for it.
   */
  passwordChecks: Limit;
  /** Password checks (argon2 work) one address may have running at once, per node (in-flight.ts). */
  passwordChecksInFlight: number;
}

/** Production defaults; see the README's security section for the reasoning. */
export const DEFAULT_RATE_LIMITS: RateLimitSettings = {
  signIn: { max: 50, windowSeconds: 15 * 60 },
  register: { max: 10, windowSeconds: 60 * 60 },
  mail: { max: 10, windowSeconds: 60 * 60 },
  tokens: { max: 30, windowSeconds: 15 * 60 },
  refresh: { max: 300, windowSeconds: 5 * 60 },
  passwordChecks: { max: 20, windowSeconds: 15 * 60 },
  passwordChecksInFlight: 4,
};
