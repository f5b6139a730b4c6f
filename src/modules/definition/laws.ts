/**
 * Laws and instruments a notice may still cite but that no longer apply, with what replaced them
 * and when. `check` looks for them in every text of the definition (notice.laws, purposes[].law,
 * retention.legalHolds[].law and the localized texts), not only where a law is expected.
 */
export interface RepealedLaw {
  /** A short id (`personal_data_act`). */
  readonly id: string;
  /** The act as it is cited. */
  readonly act: string;
  /**
   * How it is recognised in a text: its number or its name in Finnish, Swedish or English. A
   * text cites it when any of the patterns matches.
   */
  readonly patterns: readonly RegExp[];
  /** What repealed or replaced it. */
  readonly repealedBy: string;
  /** The day it stopped applying, YYYY-MM-DD. */
  readonly since: string;
}

export const REPEALED_LAWS: readonly RepealedLaw[] = [
  {
    id: 'personal_data_act',
    act: 'the Finnish Personal Data Act 523/1999',
    patterns: [
      // The number, also abbreviated (523/99), not inside a longer one (1523/1999, 523/990).
      /(?<!\d)523\/(?:1999|99)(?!\d)/,
      // Finnish: henkilötietolaki and its inflected forms, not henkilötietolainsäädäntö (personal
      // data legislation in general).
      /(?<!\p{L})henkilötietola(?:ki|kia|kiin|kiä|in|issa|ista|illa|ille|ilta|iksi)(?!\p{L})/iu,
      // Swedish: personuppgiftslag(en/ens), not personuppgiftslagstiftning (legislation in
      // general), and not Sweden's own personuppgiftslagen (1998:204), which is its own entry.
      /(?<!\p{L})personuppgiftslag(?:en|ens)?(?!\p{L})(?![^.;\n]{0,24}1998:204)/iu,
      // Its Swedish abbreviation, in capitals and on its own (not "pul" inside a word).
      /(?<!\p{L})PUL(?!\p{L})(?![^.;\n]{0,24}1998:204)/u,
      // English: with its number, or named as Finland's. Not "Personal Data Act" alone: Norway's
      // act in force (personopplysningsloven, 2018) is also called that in English.
      /Personal Data Act \(523/i,
      /(?<!\p{L})(?:Finnish|Finland['’]s)\s+Personal\s+Data\s+Act(?!\p{L})/iu,
      /(?<!\p{L})Personal\s+Data\s+Act\s*(?:of\s+Finland|\(\s*Finland\s*\)|,\s*Finland)(?!\p{L})/iu,
    ],
    repealedBy: 'the Data Protection Act 1050/2018',
    since: '2019-01-01',
  },
  {
    id: 'swedish_personal_data_act',
    act: 'the Swedish Personal Data Act (personuppgiftslagen, SFS 1998:204)',
    patterns: [/(?<![\d:])1998:204(?!\d)/],
    repealedBy:
      'the GDPR (EU) 2016/679 and the Swedish Data Protection Act (lag 2018:218, dataskyddslagen)',
    since: '2018-05-25',
  },
  {
    id: 'directive_95_46',
    act: 'Directive 95/46/EC',
    patterns: [/95\/46\/EC|95\/46\/EY|95\/46\/EG/i],
    repealedBy: 'the GDPR (EU) 2016/679',
    since: '2018-05-25',
  },
  {
    id: 'electronic_communications_privacy_act',
    act: 'the Act on the Protection of Privacy in Electronic Communications 516/2004',
    patterns: [
      /516\/2004|sähköisen viestinnän tietosuojalai?[kn]|lag(en)? om dataskydd vid elektronisk kommunikation|Act on (the )?Protection of Privacy in Electronic Communications/i,
    ],
    repealedBy: 'the Information Society Code 917/2014',
    since: '2015-01-01',
  },
  {
    id: 'old_scc',
    act: 'the old standard contractual clauses (2001/497/EC, 2004/915/EC, 2010/87/EU)',
    patterns: [/2001\/497|2004\/915|2010\/87/i],
    repealedBy: 'the standard contractual clauses of Implementing Decision (EU) 2021/914',
    since: '2022-12-27',
  },
  {
    id: 'privacy_shield',
    act: 'the EU-US Privacy Shield (Decision (EU) 2016/1250)',
    patterns: [/privacy shield|2016\/1250/i],
    repealedBy: 'the judgment of the CJEU in C-311/18 (Schrems II)',
    since: '2020-07-16',
  },
  {
    id: 'safe_harbor',
    act: 'the Safe Harbor principles (Decision 2000/520/EC)',
    patterns: [/safe harbou?r|2000\/520/i],
    repealedBy: 'the judgment of the CJEU in C-362/14 (Schrems I)',
    since: '2015-10-06',
  },
];

/** The repealed laws a text cites. */
export function repealedIn(text: string): RepealedLaw[] {
  return REPEALED_LAWS.filter((law) => law.patterns.some((p) => p.test(text)));
}
