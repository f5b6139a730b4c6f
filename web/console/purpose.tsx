/**
 * The purpose selector: every read in the console names one of the role's readable purposes.
 */
import type { Definition, PurposeDefinition } from '../shared/api.ts';
import { legalBasisLabel, readablePurposes } from '../shared/format.ts';
import { useI18n } from './i18n.ts';
import { SelectField } from '../shared/ui.tsx';
import { useSession } from './session.tsx';

export function useReadablePurposes(def: Definition | undefined): PurposeDefinition[] {
  const me = useSession();
  return def ? readablePurposes(def, me.role) : [];
}

/** The purpose asked for, if the role may read under it; else the role's first. */
export function pickPurpose(
  purposes: PurposeDefinition[],
  wanted: string | null,
): PurposeDefinition | undefined {
  return purposes.find((p) => p.id === wanted) ?? purposes[0];
}

export function PurposeSelect({
  id,
  purposes,
  value,
  onChange,
}: {
  id: string;
  purposes: PurposeDefinition[];
  value: string;
  onChange: (purpose: string) => void;
}) {
  const i18n = useI18n();
  const { t, loc } = i18n;
  return (
    <SelectField
      id={id}
      label={t('purpose.label')}
      hint={t('purpose.hint')}
      value={value}
      onChange={(e) => onChange(e.target.value)}
    >
      {purposes.map((p) => (
        <option key={p.id} value={p.id}>
          {loc(p.label, p.id)} · {legalBasisLabel(i18n, p.legalBasis)}
        </option>
      ))}
    </SelectField>
  );
}
