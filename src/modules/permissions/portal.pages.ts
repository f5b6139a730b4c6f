/**
 * The server-rendered pages of the one-click unsubscribe (`/u/<token>`) and of the embeddable
 * sign-up form's answer (`/signup`): small HTML in sv, fi or en, no script, no inline style, one
 * form that posts to the same origin (the content security policy stays as it is).
 */
import { escapeHtml, type Locale } from '../../mail/index.ts';

const WORDS: Record<
  Locale,
  {
    title: string;
    ask: string;
    askKnown: string;
    button: string;
    done: string;
    doneNote: string;
    invalid: string;
    signupSent: string;
    signupTitle: string;
    refused: string;
    preferences: string;
  }
> = {
  sv: {
    title: 'Avsluta prenumerationen',
    ask: 'Vill du inte längre få sådan här post från oss? Tryck på knappen.',
    askKnown: 'Vill du inte längre få {kind} via {channel}? Tryck på knappen.',
    button: 'Avsluta',
    done: 'Klart: du får inte längre sådan här post från oss.',
    doneNote: 'Du kan ändra dina val när som helst på sidan för dina val.',
    invalid:
      'Den här länken fungerar inte. Om du vill avsluta all marknadsföring, använd sidan för dina val.',
    signupSent:
      'Tack! Om adressen kan ta emot våra meddelanden skickade vi en länk dit. Öppna den för att bekräfta.',
    signupTitle: 'Bekräfta via e-post',
    refused: 'Uppgifterna kunde inte tas emot: {detail}',
    preferences: 'Mina val',
  },
  fi: {
    title: 'Peru tilaus',
    ask: 'Etkö halua enää tällaista postia meiltä? Paina painiketta.',
    askKnown: 'Etkö halua enää {kind} kanavalla {channel}? Paina painiketta.',
    button: 'Peru',
    done: 'Valmis: et saa enää tällaista postia meiltä.',
    doneNote: 'Voit muuttaa valintojasi milloin tahansa valintasivulla.',
    invalid: 'Tämä linkki ei toimi. Jos haluat perua kaiken markkinoinnin, käytä valintasivua.',
    signupSent:
      'Kiitos! Jos osoitteeseen voi lähettää viestejämme, lähetimme sinne linkin. Avaa se vahvistaaksesi.',
    signupTitle: 'Vahvista sähköpostilla',
    refused: 'Tietoja ei voitu ottaa vastaan: {detail}',
    preferences: 'Omat valinnat',
  },
  en: {
    title: 'Unsubscribe',
    ask: 'Would you rather not get mail like this from us? Press the button.',
    askKnown: 'Would you rather not get {kind} by {channel}? Press the button.',
    button: 'Unsubscribe',
    done: 'Done: you will no longer get mail like this from us.',
    doneNote: 'You can change your choices at any time on your preference page.',
    invalid: 'This link does not work. To stop all marketing, use your preference page.',
    signupSent:
      'Thank you! If the address can receive our messages, we sent a link there. Open it to confirm.',
    signupTitle: 'Confirm by e-mail',
    refused: 'This could not be taken: {detail}',
    preferences: 'My choices',
  },
};

/** The language asked for (`?lang=`), else the browser's first of sv, fi, en, else Finnish. */
export function pageLocale(query: unknown, acceptLanguage: string | undefined): Locale {
  const asked = (query as { lang?: unknown } | undefined)?.lang;
  if (asked === 'sv' || asked === 'fi' || asked === 'en') {
    return asked;
  }
  for (const part of (acceptLanguage ?? '').split(',')) {
    const tag = part.trim().slice(0, 2).toLowerCase();
    if (tag === 'sv' || tag === 'fi' || tag === 'en') {
      return tag;
    }
  }
  return 'fi';
}

function layout(lang: Locale, title: string, body: string): string {
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;line-height:1.5;max-width:36rem;margin:2rem auto;padding:0 1rem}button{font:inherit;padding:.5rem 1.2rem;min-height:2.6rem;cursor:pointer}</style></head>
<body><main>
<h1>${escapeHtml(title)}</h1>
${body}
</main></body></html>
`;
}

/** The GET page: what the button does, and the button (it posts the RFC 8058 body). */
export function unsubscribeAskPage(
  lang: Locale,
  token: string,
  about: { kind: string; channel: string } | undefined,
): string {
  const w = WORDS[lang];
  const ask = about
    ? w.askKnown.replace('{kind}', () => about.kind).replace('{channel}', () => about.channel)
    : w.ask;
  return layout(
    lang,
    w.title,
    `<p>${escapeHtml(ask)}</p>
<form method="post" action="/u/${encodeURIComponent(token)}">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">${escapeHtml(w.button)}</button>
</form>`,
  );
}

export function unsubscribeDonePage(lang: Locale): string {
  const w = WORDS[lang];
  return layout(
    lang,
    w.title,
    `<p role="status">${escapeHtml(w.done)}</p>
<p>${escapeHtml(w.doneNote)} <a href="/preferences">${escapeHtml(w.preferences)}</a></p>`,
  );
}

export function unsubscribeInvalidPage(lang: Locale): string {
  const w = WORDS[lang];
  return layout(
    lang,
    w.title,
    `<p role="alert">${escapeHtml(w.invalid)}</p>
<p><a href="/preferences">${escapeHtml(w.preferences)}</a></p>`,
  );
}

export function signupSentPage(lang: Locale): string {
  const w = WORDS[lang];
  return layout(lang, w.signupTitle, `<p role="status">${escapeHtml(w.signupSent)}</p>`);
}

export function signupRefusedPage(lang: Locale, detail: string): string {
  const w = WORDS[lang];
  return layout(
    lang,
    w.signupTitle,
    `<p role="alert">${escapeHtml(w.refused.replace('{detail}', () => detail))}</p>`,
  );
}
