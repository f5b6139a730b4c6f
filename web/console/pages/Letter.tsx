/**
 * A letter to send, printable: the controller as sender, the person's name and postal address,
 * the date, and the letter's text in the request's language (the words the mail would have
 * used). The console's frame and this page's buttons are not printed (print CSS in
 * web/shared/styles.css).
 */
import { useQuery } from '@tanstack/react-query';
import { ApiError } from '../../shared/api.ts';
import type { RequestLetter } from '../../shared/api.ts';
import { useApi } from '../../shared/api-context.tsx';
import { Link } from '../../shared/router.tsx';
import { Alert, Button, PageHeading, QueryState } from '../../shared/ui.tsx';
import { useI18n } from '../i18n.ts';

const LOCALE_OF = { sv: 'sv-FI', fi: 'fi-FI', en: 'en-GB' } as const;

/** Today, in Helsinki, written out in the letter's language. */
function letterDate(lang: RequestLetter['lang'], now = new Date()): string {
  return new Intl.DateTimeFormat(LOCALE_OF[lang], {
    timeZone: 'Europe/Helsinki',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
  }).format(now);
}

export function LetterPage({ id, letterId }: { id: string; letterId: string }) {
  const api = useApi();
  const i18n = useI18n();
  const { t } = i18n;
  const request = useQuery({
    queryKey: ['request', id],
    queryFn: () => api.getRequest(id),
    staleTime: 0,
  });
  return (
    <section className="page">
      <p className="breadcrumb no-print">
        <Link to={`/requests/${encodeURIComponent(id)}`}>{t('letters.back')}</Link>
      </p>
      <div className="no-print">
        <PageHeading title={t('letters.printTitle')}>{t('letters.printTitle')}</PageHeading>
      </div>
      <QueryState
        query={request}
        knownError={(e) =>
          e instanceof ApiError && e.status === 404 ? t('request.notFound') : null
        }
      >
        {(r) => {
          const letter = r.letters.find((l) => l.id === letterId);
          if (!letter || letter.erased) {
            return <Alert>{t('letters.notFound')}</Alert>;
          }
          return (
            <>
              <div className="row no-print">
                <Button onClick={() => window.print()}>{t('letters.print')}</Button>
                {letter.sent ? <p>{t('letters.alreadySent')}</p> : null}
              </div>
              {!letter.to.address ? (
                <div className="no-print">
                  <Alert kind="warning">{t('letters.noAddress')}</Alert>
                </div>
              ) : null}
              <LetterSheet letter={letter} />
            </>
          );
        }}
      </QueryState>
    </section>
  );
}

function LetterSheet({ letter }: { letter: RequestLetter }) {
  const { from, to } = letter;
  return (
    <article className="letter-sheet" lang={letter.lang} aria-label={letter.subject}>
      <header className="letter-head">
        <address className="letter-from">
          <strong>{from.name}</strong>
          <br />
          {from.street}
          <br />
          {from.postalCode} {from.city}
          {from.country ? (
            <>
              <br />
              {countryName(from.country, letter.lang)}
            </>
          ) : null}
        </address>
        <p className="letter-date">{letterDate(letter.lang)}</p>
      </header>
      <address className="letter-to">
        {to.name ? (
          <>
            {to.name}
            <br />
          </>
        ) : null}
        {to.address ? (
          <>
            {to.address.street}
            <br />
            {to.address.postalCode} {to.address.city}
            {to.address.country ? (
              <>
                <br />
                {to.address.country}
              </>
            ) : null}
          </>
        ) : null}
      </address>
      <h2 className="letter-subject">{letter.subject}</h2>
      <div className="letter-text pre-line">{letter.text.trim()}</div>
      <p className="letter-signature">{from.name}</p>
    </article>
  );
}

/** A country as the letter's reader writes it: a two-letter code by its name, anything else as given. */
function countryName(country: string, lang: string): string {
  if (/^[A-Za-z]{2}$/.test(country)) {
    try {
      return new Intl.DisplayNames([lang], { type: 'region' }).of(country.toUpperCase()) ?? country;
    } catch {
      return country;
    }
  }
  return country;
}
