/** Interchange's public surface (docs/interchange.md): audience lists, prohibition lists, the suppression export. */
export {
  createInterchangeService,
  type AudienceImportSummary,
  type InterchangeDeps,
  type InterchangeService,
  type ProhibitionImportSummary,
} from './interchange.service.ts';
export { AUDIENCE_FORMATS, parseListDate, type AudienceFormat, type Rejection } from './formats.ts';
export { interchangeEvents } from './events.ts';
export { interchangeRoutes } from './interchange.routes.ts';
export {
  ADDRESS_LISTS,
  addressLookupInput,
  addressRemovalInput,
  REASON_MAX,
  type AddressListEntry,
  type AddressListRemoval,
} from './address-lists.ts';
