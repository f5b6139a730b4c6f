/** Imports' public surface: what code outside the module may use. */
export {
  createImportService,
  type ImportProgress,
  type ImportService,
  type ImportSummary,
} from './imports.service.ts';
export { checkMapping, loadMapping, mappingSchema, type Mapping } from './mapping.ts';
export { ImportFileError, readCsv, type RawRecord } from './readers.ts';
