/**
 * What `rekisteri check` and the console report about a definition: its errors (what it may not
 * say, or the law no longer allows) and its warnings (what it leaves unsaid), each once, with the
 * articles it cites; and its transfers with their mechanisms, a void one flagged.
 *
 * A value the definition leaves `unknown` is both a cross-check warning and a gap of the notice:
 * it is reported once, as the cross-check's warning, naming the notice item it leaves unanswered.
 */
import {
  countriesOutsideEea,
  DefinitionError,
  isWarning,
  parseDefinition,
  type DefinitionProblem,
  type Register,
  type RegisterDefinition,
} from '../definition/index.ts';
import { NOTICE_ITEMS, noticeGaps } from './items.ts';

export interface Finding {
  severity: 'error' | 'warning';
  /** Where in the definition: `purposes[2].legalBasis`. */
  path: string;
  message: string;
  /** The articles (or sections of a law) the finding rests on, as the message cites them. */
  articles: string[];
  /** The Art. 13/14 item of the privacy notice it leaves unanswered, if any. */
  noticeItem?: string;
  line?: number;
  column?: number;
}

/** Mechanisms a court has declared invalid: a transfer on one has no safeguard at all. */
export const VOID_MECHANISMS: Readonly<Record<string, string>> = {
  privacy_shield: 'EU-US Privacy Shield, invalid since 16 July 2020 (CJEU C-311/18)',
  safe_harbor: 'Safe Harbor, invalid since 6 October 2015 (CJEU C-362/14)',
};

export interface TransferView {
  recipient: string;
  recipientName: string;
  /** The recipient's country, `unknown` where not stated. */
  recipientCountry: string;
  /** Where the transfer takes the data. */
  country: string;
  /** The countries outside the EU/EEA the data reach; empty: not a transfer to a third country. */
  outsideEea: string[];
  mechanism: string | null;
  sccModule: number | null;
  /** Why the mechanism is void (Privacy Shield, Safe Harbor); null when it is not. */
  void: string | null;
}

export interface CheckReport {
  valid: boolean;
  /** The register's digest, first 12 hex digits; null for a definition that did not load. */
  version: string | null;
  errors: Finding[];
  warnings: Finding[];
  transfers: TransferView[];
}

/** `Art. 13(1)(c), 14(1)(c)` and `Art. 44–49` out of a message, in order, each once. */
export function articlesOf(message: string): string[] {
  const found = message.match(
    /\bArt(?:icle|\.)\s*\d+(?:\([0-9a-z]+\))*(?:(?:,\s*|\s+and\s+|–)\d+(?:\([0-9a-z]+\))*)*|\b\d+\/\d{4}(?:\s+s\.\s*\d+(?:\(\d+\))?)?|\bC-\d+\/\d+/g,
  );
  return [...new Set(found ?? [])];
}

const finding = (p: DefinitionProblem, noticeItem?: string): Finding => ({
  severity: isWarning(p) ? 'warning' : 'error',
  path: p.path,
  message: p.message,
  articles: articlesOf(p.message),
  ...(noticeItem !== undefined ? { noticeItem } : {}),
  ...(p.line !== undefined ? { line: p.line, column: p.column ?? 1 } : {}),
});

const located = (pos: { line?: number; column?: number }) =>
  pos.line !== undefined ? { line: pos.line, column: pos.column ?? 1 } : {};

/**
 * The warnings of a definition and the gaps of its notice, each once: a gap at a path a warning
 * already names (an `unknown` value) is folded into that warning. Each gap is placed by `locate`.
 */
function warningsWithGaps(
  def: RegisterDefinition,
  warnings: readonly DefinitionProblem[],
  locate: (path: string) => { line?: number; column?: number },
): Finding[] {
  const gaps = noticeGaps(def);
  const warned = new Set(warnings.map((w) => w.path));
  const gapAt = new Map(gaps.map((g) => [g.path, g.item]));
  const out: Finding[] = warnings.map((w) => finding(w, gapAt.get(w.path)));
  for (const g of gaps) {
    if (warned.has(g.path)) {
      continue;
    }
    const article = NOTICE_ITEMS.find((i) => i.id === g.item)?.article ?? '';
    out.push({
      severity: 'warning',
      path: g.path,
      message: `the privacy notice leaves "${g.item}" unanswered: ${g.message}`,
      // The message cites the articles; the item's own where it does not.
      articles: articlesOf(g.message).length > 0 ? articlesOf(g.message) : articlesOf(article),
      noticeItem: g.item,
      ...located(locate(g.path)),
    });
  }
  return out;
}

/** The warnings of a loaded register and the gaps of its notice, each once. */
export function registerWarnings(reg: Register): Finding[] {
  return warningsWithGaps(reg.definition, reg.warnings, reg.locate);
}

/**
 * The errors and warnings of a refused definition: where it was read far enough (the schema
 * accepted it, or only a text was missing), the gaps of its notice among the warnings as for a
 * valid one; else `noWarnings` says why there are none.
 */
export function refusedFindings(err: DefinitionError): {
  errors: Finding[];
  warnings: Finding[];
  noWarnings?: string;
} {
  const errors = err.problems.filter((p) => !isWarning(p)).map((p) => finding(p));
  const own = err.problems.filter(isWarning);
  const { definition, locate, noWarnings } = err.partly;
  return {
    errors,
    warnings: definition
      ? warningsWithGaps(definition, own, locate ?? (() => ({})))
      : own.map((p) => finding(p)),
    ...(noWarnings !== undefined ? { noWarnings } : {}),
  };
}

export function transfersOf(def: RegisterDefinition): TransferView[] {
  return def.transfers.map((t) => {
    const r = def.recipients.find((x) => x.id === t.recipient);
    return {
      recipient: t.recipient,
      // In the register's main language: `check` speaks English, but the name is the register's.
      recipientName: r ? r.name[def.languages[0] ?? 'fi'] : t.recipient,
      recipientCountry: r?.country ?? 'unknown',
      country: t.country,
      outsideEea: countriesOutsideEea(def, t),
      mechanism: t.mechanism ?? null,
      sccModule: t.sccModule ?? null,
      void: (t.mechanism && VOID_MECHANISMS[t.mechanism]) ?? null,
    };
  });
}

/** The report on the register running now: no errors (it would not have loaded with one). */
export function checkRegister(reg: Register): CheckReport {
  return {
    valid: true,
    version: reg.digest.slice(0, 12),
    errors: [],
    warnings: registerWarnings(reg),
    transfers: transfersOf(reg.definition),
  };
}

/**
 * The report on a definition's text (a draft): every error and warning, each once, and its
 * transfers where the text is a definition at all, so that a void mechanism is shown beside the
 * error that refuses it.
 */
export function checkText(text: string, today?: string): CheckReport {
  try {
    return checkRegister(parseDefinition(text, 'register.yaml', today));
  } catch (err) {
    if (!(err instanceof DefinitionError)) {
      throw err;
    }
    // Its transfers where it was read far enough, so that a void mechanism is shown beside the
    // error that refuses it.
    const read = err.partly.definition;
    const transfers = read ? transfersOf(read) : [];
    const { errors, warnings } = refusedFindings(err);
    return {
      valid: false,
      version: null,
      errors,
      warnings,
      transfers,
    };
  }
}
