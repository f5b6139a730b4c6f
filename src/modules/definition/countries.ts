/**
 * Countries: the officially assigned ISO 3166-1 alpha-2 codes and the states of the European
 * Economic Area. The 249 codes are those the ISO 3166 Maintenance Agency lists as officially
 * assigned; withdrawn, user-assigned and exceptionally reserved codes (UK, EL, EU, XK…) are not
 * country codes here.
 */

/** Officially assigned ISO 3166-1 alpha-2 codes, one row per initial letter. */
export const ISO_COUNTRIES: ReadonlySet<string> = new Set(
  `
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ
BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ
DE DJ DK DM DO DZ
EC EE EG EH ER ES ET
FI FJ FK FM FO FR
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY
HK HM HN HR HT HU
ID IE IL IM IN IO IQ IR IS IT
JE JM JO JP
KE KG KH KI KM KN KP KR KW KY KZ
LA LB LC LI LK LR LS LT LU LV LY
MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ
NA NC NE NF NG NI NL NO NP NR NU NZ
OM
PA PE PF PG PH PK PL PM PN PR PS PT PW PY
QA
RE RO RS RU RW
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ
TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ
UA UG UM US UY UZ
VA VC VE VG VI VN VU
WF WS
YE YT
ZA ZM ZW
`
    .trim()
    .split(/\s+/),
);

/** The 27 EU member states and the three other EEA states (Iceland, Liechtenstein, Norway). */
export const EEA_COUNTRIES: ReadonlySet<string> = new Set(
  `
AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK
IS LI NO
`
    .trim()
    .split(/\s+/),
);

/** Codes people write for a country that ISO 3166-1 gives another code (the EU's own UK, EL). */
const INSTEAD: Readonly<Record<string, { code: string; name: string }>> = {
  UK: { code: 'GB', name: 'the United Kingdom' },
  EL: { code: 'GR', name: 'Greece' },
};

let names: Intl.DisplayNames | undefined;

/** The English name of a country (`United States`), or the code where none is known. */
export function countryName(code: string): string {
  try {
    names ??= new Intl.DisplayNames(['en'], { type: 'region' });
    return names.of(code) ?? code;
  } catch {
    return code;
  }
}

/** `US (United States)` */
export function describeCountry(code: string): string {
  const name = countryName(code);
  return name === code ? code : `${code} (${name})`;
}

/** Why `value` is not an ISO 3166-1 alpha-2 code, in a sentence that quotes it; or undefined. */
export function countryProblem(value: string): string | undefined {
  if (ISO_COUNTRIES.has(value)) {
    return undefined;
  }
  const quoted = JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  const upper = value.toUpperCase();
  if (ISO_COUNTRIES.has(upper)) {
    return `country codes are written in capitals: "${upper}", not ${quoted}`;
  }
  const instead = INSTEAD[upper];
  if (instead !== undefined) {
    return `${quoted} is not an ISO 3166-1 alpha-2 country code: the code of ${instead.name} is "${instead.code}"`;
  }
  return `${quoted} is not an ISO 3166-1 alpha-2 country code (expected one such as FI, SE or US)`;
}
