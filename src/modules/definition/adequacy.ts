/**
 * The European Commission's adequacy decisions under Art. 45 GDPR: where personal data may go
 * from the EU/EEA without further safeguards. The list changes: compare it with the Commission's
 * page on adequacy decisions before a release and update ADEQUACY_LIST_CHECKED.
 */

/**
 * The day this list was compiled from the Commission's announcements of adopted decisions (the
 * newest: Brazil, 26 January 2026; the United Kingdom's renewal, 19 December 2025).
 */
export const ADEQUACY_LIST_CHECKED = '2026-11-30';

export interface AdequacyDecision {
  /** ISO 3166-1 alpha-2 code; undefined for an international organisation. */
  readonly country: string | undefined;
  readonly name: string;
  /** The decision in force and when it was adopted. */
  readonly decision: string;
  /**
   * For a partial decision: what it covers, phrased to follow "covers". Transfers outside it need
   * another mechanism.
   */
  readonly covers?: string;
  /**
   * The decision does not cover public bodies (Canada's PIPEDA, Japan's APPI private sector): a
   * recipient of role `authority` there needs another mechanism.
   */
  readonly privateSectorOnly?: boolean;
  /**
   * The decision covers only recipients certified under a framework (the United States: the Data
   * Privacy Framework). Such a transfer is declared with that mechanism and a certified recipient.
   */
  readonly requiresCertification?: 'dpf';
}

export const ADEQUACY_DECISIONS: readonly AdequacyDecision[] = [
  { country: 'AD', name: 'Andorra', decision: 'Decision 2010/625/EU of 19 October 2010' },
  { country: 'AR', name: 'Argentina', decision: 'Decision 2003/490/EC of 30 June 2003' },
  {
    country: 'BR',
    name: 'Brazil',
    decision: 'Implementing Decision (EU) 2026/179 of 26 January 2026',
  },
  {
    country: 'CA',
    name: 'Canada',
    decision: 'Decision 2002/2/EC of 20 December 2001',
    covers:
      'only recipients subject to the Personal Information Protection and Electronic Documents Act (PIPEDA), that is private-sector organisations in their commercial activities; not public bodies',
    privateSectorOnly: true,
  },
  { country: 'FO', name: 'the Faroe Islands', decision: 'Decision 2010/146/EU of 5 March 2010' },
  { country: 'GG', name: 'Guernsey', decision: 'Decision 2003/821/EC of 21 November 2003' },
  {
    country: 'IL',
    name: 'Israel',
    decision: 'Decision 2011/61/EU of 31 January 2011',
    covers:
      'only automated international transfers, and non-automated ones whose data are then processed by automated means in Israel',
  },
  { country: 'IM', name: 'the Isle of Man', decision: 'Decision 2004/411/EC of 28 April 2004' },
  {
    country: 'JP',
    name: 'Japan',
    decision: 'Implementing Decision (EU) 2019/419 of 23 January 2019',
    covers:
      'only personal information handling business operators (the private sector) under the Act on the Protection of Personal Information (APPI) with its Supplementary Rules; not the public sector',
    privateSectorOnly: true,
  },
  { country: 'JE', name: 'Jersey', decision: 'Decision 2008/393/EC of 8 May 2008' },
  { country: 'NZ', name: 'New Zealand', decision: 'Decision 2013/65/EU of 19 December 2012' },
  {
    country: 'KR',
    name: 'the Republic of Korea',
    decision: 'Implementing Decision (EU) 2022/254 of 17 December 2021',
    covers:
      'only recipients subject to the Personal Information Protection Act (PIPA); not missionary work of religious organisations, the nomination of candidates by political parties, nor personal credit information processed under the Credit Information Act by entities the Financial Services Commission oversees',
  },
  { country: 'CH', name: 'Switzerland', decision: 'Decision 2000/518/EC of 26 July 2000' },
  {
    country: 'GB',
    name: 'the United Kingdom',
    decision:
      'Implementing Decision (EU) 2021/1772 of 28 June 2021, renewed on 19 December 2025 until 27 December 2031',
  },
  { country: 'UY', name: 'Uruguay', decision: 'Decision 2012/484/EU of 21 August 2012' },
  {
    country: 'US',
    name: 'the United States',
    decision: 'Implementing Decision (EU) 2023/1795 of 10 July 2023',
    covers:
      'only organisations certified under the EU-US Data Privacy Framework, for the data their certification covers',
    requiresCertification: 'dpf',
  },
  {
    country: undefined,
    name: 'the European Patent Organisation',
    decision: 'adequacy decision of 15 July 2025, the first for an international organisation',
  },
];

const byCountry = new Map(
  ADEQUACY_DECISIONS.flatMap((d) => (d.country ? [[d.country, d] as const] : [])),
);

/** The adequacy decision for a country, if the Commission has adopted one. */
export function adequacyFor(country: string): AdequacyDecision | undefined {
  return byCountry.get(country);
}
