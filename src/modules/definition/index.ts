/**
 * The register definition's public surface: its schema and types, loading and checking it, the
 * loaded `Register` with its lookups, the published summary's routes and the `definition.change`
 * event. Code outside the module uses only what is exported here.
 */
export { ADEQUACY_DECISIONS, ADEQUACY_LIST_CHECKED, adequacyFor } from './adequacy.ts';
export { EEA_COUNTRIES, ISO_COUNTRIES } from './countries.ts';
export { countriesOutsideEea } from './cross-checks.ts';
export { definitionRoutes } from './definition.routes.ts';
export { definitionEvents } from './events.ts';
export {
  DefinitionError,
  formatPath,
  formatProblems,
  isWarning,
  loadDefinition,
  splitProblems,
  parseDefinition,
  type DefinitionProblem,
} from './loader.ts';
export { createRegister, type Register } from './register.ts';
export {
  ALL_CHANNELS,
  resolveMarketing,
  type MarketingChannel,
  type MarketingModel,
  type PermissionKind,
  type PurposeMarketing,
} from './marketing.ts';
export {
  definitionSchema,
  IDENTITY_PROOFS,
  LEGAL_BASES,
  REQUEST_CHANNELS,
  REQUEST_TYPES,
  RIGHTS,
  type FieldDefinition,
  type IdentityProof,
  type RequestChannel,
  type RequestType,
  type Right,
  type RightsDefinition,
  type FieldType,
  type LegalBasis,
  type Localized,
  type RegisterDefinition,
  type RoleDefinition,
  type StaffAction,
} from './schema.ts';
export {
  AUDIENCES,
  BUILT_IN_CHANNELS,
  BUILT_IN_KINDS,
  CHANNEL_BASES,
  PERMISSION_NATURES,
  type Audience,
  type ChannelBasis,
  type PermissionNature,
  type PurposePermission,
} from './schema.ts';
export { RECIPIENT_ROLES, RETENTION_EVENTS, SOURCE_KINDS, TRANSFER_MECHANISMS } from './schema.ts';
export {
  DISCLOSURE_KINDS,
  DISCLOSURE_TEXTS,
  REQUIREMENT_KINDS,
  appointedDpo,
  type AutomatedDecisionDefinition,
  type DpoDefinition,
  type RequirementDefinition,
  type RequirementKind,
  LANGUAGES,
  UNKNOWN,
  fillLanguages,
  isUnknown,
  type DeclaredLegalBasis,
  type DisclosureDefinition,
  type DisclosureKind,
  type Language,
  type NoticeDefinition,
  type RecipientDefinition,
  type RetentionEvent,
  type RetentionRule,
  type TransferMechanism,
  type Unknown,
} from './schema.ts';
export { REPEALED_LAWS, type RepealedLaw } from './laws.ts';
