import type { Locale } from './locales.js';

/**
 * Why the role policy refuses, in every language: one entry per rule of `decide()`. Shared
 * with clients (through @tessera/api/shared), so a page can say why a control is off.
 */
const policyRefusals = {
  list_users_staff_only: {
    en: 'Only managers and admins can list users',
    fr: 'Seuls les responsables et les administrateurs peuvent lister les utilisateurs',
  },
  audit_admins_only: {
    en: 'Only admins can read the audit log',
    fr: 'Seuls les administrateurs peuvent consulter le journal d’audit',
  },
  read_own_only: {
    en: 'You can only read your own account',
    fr: 'Vous ne pouvez consulter que votre propre compte',
  },
  create_staff_only: {
    en: 'Only managers and admins can create users',
    fr: 'Seuls les responsables et les administrateurs peuvent créer des utilisateurs',
  },
  managers_create_users_only: {
    en: 'Managers can only create users with the role "user"',
    fr: 'Un responsable ne peut créer que des comptes de rôle « user »',
  },
  change_own_only: {
    en: 'You can only change your own account',
    fr: 'Vous ne pouvez modifier que votre propre compte',
  },
  managers_change_users_only: {
    en: 'Managers can only change accounts with the role "user"',
    fr: 'Un responsable ne peut modifier que des comptes de rôle « user »',
  },
  disable_self: {
    en: "You can't disable your own account",
    fr: 'Vous ne pouvez pas désactiver votre propre compte',
  },
  disable_staff_only: {
    en: 'Only managers and admins can disable accounts',
    fr: 'Seuls les responsables et les administrateurs peuvent désactiver des comptes',
  },
  managers_disable_users_only: {
    en: 'Managers can only disable accounts with the role "user"',
    fr: 'Un responsable ne peut désactiver que des comptes de rôle « user »',
  },
  delete_self: {
    en: 'Delete your own account with users.deleteMe; it asks for your password',
    fr: 'Supprimez votre propre compte avec users.deleteMe ; votre mot de passe vous sera demandé',
  },
  delete_staff_only: {
    en: 'Only managers and admins can delete other accounts',
    fr: 'Seuls les responsables et les administrateurs peuvent supprimer d’autres comptes',
  },
  managers_delete_users_only: {
    en: 'Managers can only delete accounts with the role "user"',
    fr: 'Un responsable ne peut supprimer que des comptes de rôle « user »',
  },
  set_email_self: {
    en: 'Change your own email with users.updateMe; it asks for your current password',
    fr: 'Changez votre propre adresse e-mail avec users.updateMe ; votre mot de passe actuel vous sera demandé',
  },
  set_email_own_only: {
    en: 'You can only change your own email, with users.updateMe',
    fr: 'Vous ne pouvez changer que votre propre adresse e-mail, avec users.updateMe',
  },
  set_role_self: {
    en: "You can't change your own role",
    fr: 'Vous ne pouvez pas changer votre propre rôle',
  },
  set_role_admins_only: {
    en: 'Only admins can change roles',
    fr: 'Seuls les administrateurs peuvent changer les rôles',
  },
  api_keys_admins_only: {
    en: 'Only admins can manage API keys',
    fr: 'Seuls les administrateurs peuvent gérer les clés d’API',
  },
  webhooks_admins_only: {
    en: 'Only admins can manage webhooks',
    fr: 'Seuls les administrateurs peuvent gérer les webhooks',
  },
  import_admins_only: {
    en: 'Only admins can import users',
    fr: 'Seuls les administrateurs peuvent importer des utilisateurs',
  },
  export_admins_only: {
    en: 'Only admins can export users',
    fr: 'Seuls les administrateurs peuvent exporter les utilisateurs',
  },
  reset_mfa_self: {
    en: 'Turn your own second factors off from your profile',
    fr: 'Désactivez vos propres seconds facteurs depuis votre profil',
  },
  reset_mfa_admins_only: {
    en: "Only admins can reset someone's second factors",
    fr: 'Seuls les administrateurs peuvent réinitialiser les seconds facteurs d’un autre compte',
  },
} as const satisfies Record<string, Record<Locale, string>>;

/** One rule of the role policy that refused an action. */
export type PolicyRule = keyof typeof policyRefusals;

/** Why `rule` refuses, in `locale` (unfinished: the caller applies the language's typography). */
export function policyRefusal(rule: PolicyRule, locale: Locale): string {
  return policyRefusals[rule][locale];
}

/** Every rule, for the catalogue test. */
export const policyRules = Object.keys(policyRefusals) as PolicyRule[];
