/**
 * Every visible string of the web apps, in Swedish, Finnish and English, with the terms the law
 * uses (registrerad / rekisteröity, personuppgiftsansvarig / rekisterinpitäjä, rättslig grund /
 * oikeusperuste, ändamål / käyttötarkoitus). Labels of categories, fields and purposes come
 * localized from the register definition instead.
 */
import { createContext, createElement, useCallback, useContext, useMemo, useState } from 'react';
import type { ReactNode } from 'react';
import type { Localized } from './api.ts';

export const LANGUAGES = ['sv', 'fi', 'en'] as const;
export type Lang = (typeof LANGUAGES)[number];

export const LANGUAGE_NAMES: Record<Lang, string> = {
  sv: 'Svenska',
  fi: 'Suomi',
  en: 'English',
};

type Entry = Record<Lang, string>;

const messages = {
  // Shell
  'app.name': { en: 'Rekisteri', sv: 'Rekisteri', fi: 'Rekisteri' },
  'app.console': { en: 'Staff console', sv: 'Personalkonsol', fi: 'Henkilökunnan konsoli' },
  'app.skip': { en: 'Skip to content', sv: 'Hoppa till innehållet', fi: 'Siirry sisältöön' },
  'app.language': { en: 'Language', sv: 'Språk', fi: 'Kieli' },
  'app.controller': {
    en: 'Controller',
    sv: 'Personuppgiftsansvarig',
    fi: 'Rekisterinpitäjä',
  },
  'app.signedInAs': {
    en: 'Signed in as {name}, {role}',
    sv: 'Inloggad som {name}, {role}',
    fi: 'Kirjautuneena {name}, {role}',
  },
  'app.loading': { en: 'Loading…', sv: 'Laddar…', fi: 'Ladataan…' },
  'nav.label': { en: 'Main menu', sv: 'Huvudmeny', fi: 'Päävalikko' },
  'nav.menu': { en: 'Menu', sv: 'Meny', fi: 'Valikko' },
  'nav.search': { en: 'Search people', sv: 'Sök registrerade', fi: 'Hae rekisteröityjä' },
  'nav.audit': { en: 'Access log', sv: 'Åtkomstlogg', fi: 'Käyttöloki' },
  'nav.staff': { en: 'Staff and roles', sv: 'Personal och roller', fi: 'Henkilökunta ja roolit' },
  'nav.account': { en: 'Account', sv: 'Mitt konto', fi: 'Oma tili' },
  'nav.signOut': { en: 'Sign out', sv: 'Logga ut', fi: 'Kirjaudu ulos' },
  'app.signedOut': {
    en: 'You have signed out.',
    sv: 'Du har loggat ut.',
    fi: 'Olet kirjautunut ulos.',
  },

  // Common
  'common.yes': { en: 'Yes', sv: 'Ja', fi: 'Kyllä' },
  'common.no': { en: 'No', sv: 'Nej', fi: 'Ei' },
  'common.on': { en: 'On', sv: 'På', fi: 'Käytössä' },
  'common.off': { en: 'Off', sv: 'Av', fi: 'Ei käytössä' },
  'common.all': { en: 'All', sv: 'Alla', fi: 'Kaikki' },
  'common.none': { en: 'None', sv: 'Inga', fi: 'Ei yhtään' },
  'common.close': { en: 'Close', sv: 'Stäng', fi: 'Sulje' },
  'common.cancel': { en: 'Cancel', sv: 'Avbryt', fi: 'Peruuta' },
  'common.continue': { en: 'Continue', sv: 'Fortsätt', fi: 'Jatka' },
  'common.retry': { en: 'Try again', sv: 'Försök igen', fi: 'Yritä uudelleen' },
  'common.you': { en: 'you', sv: 'du', fi: 'sinä' },
  'common.working': { en: 'Working…', sv: 'Arbetar…', fi: 'Käsitellään…' },

  // Errors
  'error.network': {
    en: 'The server could not be reached. Check the connection and try again.',
    sv: 'Servern kunde inte nås. Kontrollera anslutningen och försök igen.',
    fi: 'Palvelimeen ei saatu yhteyttä. Tarkista yhteys ja yritä uudelleen.',
  },
  'error.generic': {
    en: 'The request failed ({status}): {detail}',
    sv: 'Begäran misslyckades ({status}): {detail}',
    fi: 'Pyyntö epäonnistui ({status}): {detail}',
  },
  'error.forbidden': {
    en: 'Your role does not allow this.',
    sv: 'Din roll tillåter inte detta.',
    fi: 'Roolisi ei salli tätä.',
  },
  'error.sessionEnded': {
    en: 'Your session has ended. Sign in again.',
    sv: 'Din session har upphört. Logga in igen.',
    fi: 'Istuntosi on päättynyt. Kirjaudu uudelleen sisään.',
  },
  'notAllowed.title': { en: 'Not allowed', sv: 'Inte tillåtet', fi: 'Ei sallittu' },
  'notAllowed.body': {
    en: 'Your role ({role}) does not allow this page.',
    sv: 'Din roll ({role}) ger inte åtkomst till den här sidan.',
    fi: 'Roolisi ({role}) ei salli tätä sivua.',
  },
  'notFound.title': { en: 'Page not found', sv: 'Sidan hittades inte', fi: 'Sivua ei löydy' },
  'notFound.body': {
    en: 'There is no page at this address.',
    sv: 'Det finns ingen sida på den här adressen.',
    fi: 'Tässä osoitteessa ei ole sivua.',
  },
  'notFound.back': { en: 'Go to search', sv: 'Gå till sökningen', fi: 'Siirry hakuun' },

  // Sign-in
  'signIn.title': { en: 'Sign in', sv: 'Logga in', fi: 'Kirjaudu sisään' },
  'signIn.intro': {
    en: 'For the staff of the controller of this register.',
    sv: 'För personalen hos registrets personuppgiftsansvarige.',
    fi: 'Rekisterin rekisterinpitäjän henkilökunnalle.',
  },
  'signIn.username': { en: 'Username', sv: 'Användarnamn', fi: 'Käyttäjätunnus' },
  'signIn.password': { en: 'Password', sv: 'Lösenord', fi: 'Salasana' },
  'signIn.submit': { en: 'Sign in', sv: 'Logga in', fi: 'Kirjaudu' },
  'signIn.working': { en: 'Signing in…', sv: 'Loggar in…', fi: 'Kirjaudutaan…' },
  'signIn.wrong': {
    en: 'Wrong username or password.',
    sv: 'Fel användarnamn eller lösenord.',
    fi: 'Väärä käyttäjätunnus tai salasana.',
  },
  'signIn.tooMany': {
    en: 'Too many attempts.',
    sv: 'För många försök.',
    fi: 'Liian monta yritystä.',
  },
  'signIn.locked': {
    en: 'The account is locked.',
    sv: 'Kontot är låst.',
    fi: 'Käyttäjätunnus on lukittu.',
  },
  'mfa.title': {
    en: 'Two-factor authentication',
    sv: 'Tvåstegsverifiering',
    fi: 'Kaksivaiheinen tunnistautuminen',
  },
  'mfa.intro': {
    en: 'Enter the 6-digit code from your authenticator app, or one of your recovery codes.',
    sv: 'Ange den sexsiffriga koden från din autentiseringsapp eller en av dina reservkoder.',
    fi: 'Anna todennussovelluksesi kuusinumeroinen koodi tai yksi varakoodeistasi.',
  },
  'mfa.code': {
    en: 'Authentication code or recovery code',
    sv: 'Verifieringskod eller reservkod',
    fi: 'Tunnistuskoodi tai varakoodi',
  },
  'mfa.submit': { en: 'Verify', sv: 'Verifiera', fi: 'Vahvista' },
  'mfa.wrong': {
    en: 'The code is not valid. Try again.',
    sv: 'Koden är inte giltig. Försök igen.',
    fi: 'Koodi ei kelpaa. Yritä uudelleen.',
  },
  'mfa.startOver': { en: 'Start over', sv: 'Börja om', fi: 'Aloita alusta' },

  // Purposes
  'purpose.label': { en: 'Purpose', sv: 'Ändamål', fi: 'Käyttötarkoitus' },
  'purpose.hint': {
    en: 'Every read names a purpose and shows only the categories that purpose may use. Reads are logged.',
    sv: 'Varje läsning anger ett ändamål och visar bara de kategorier som ändamålet får använda. Läsningar loggas.',
    fi: 'Jokainen luku nimeää käyttötarkoituksen ja näyttää vain ne tietoryhmät, joita se saa käyttää. Luvut kirjataan lokiin.',
  },
  'purpose.none': {
    en: 'Your role may not read personal data for any purpose.',
    sv: 'Din roll får inte läsa personuppgifter för något ändamål.',
    fi: 'Roolisi ei saa lukea henkilötietoja mihinkään käyttötarkoitukseen.',
  },
  'purpose.legalBasis': { en: 'Legal basis', sv: 'Rättslig grund', fi: 'Oikeusperuste' },
  'purpose.retention': { en: 'Retention', sv: 'Lagringstid', fi: 'Säilytysaika' },
  'purpose.allowedDuringRestriction': {
    en: 'Allowed during restriction',
    sv: 'Tillåtet under begränsning',
    fi: 'Sallittu rajoituksen aikana',
  },
  'legalBasis.consent': {
    en: 'Consent (Art. 6(1)(a))',
    sv: 'Samtycke (art. 6.1 a)',
    fi: 'Suostumus (6 art. 1 a)',
  },
  'legalBasis.contract': {
    en: 'Contract (Art. 6(1)(b))',
    sv: 'Avtal (art. 6.1 b)',
    fi: 'Sopimus (6 art. 1 b)',
  },
  'legalBasis.legal_obligation': {
    en: 'Legal obligation (Art. 6(1)(c))',
    sv: 'Rättslig förpliktelse (art. 6.1 c)',
    fi: 'Lakisääteinen velvoite (6 art. 1 c)',
  },
  'legalBasis.vital_interest': {
    en: 'Vital interests (Art. 6(1)(d))',
    sv: 'Grundläggande intressen (art. 6.1 d)',
    fi: 'Elintärkeät edut (6 art. 1 d)',
  },
  'legalBasis.public_task': {
    en: 'Public task (Art. 6(1)(e))',
    sv: 'Uppgift av allmänt intresse (art. 6.1 e)',
    fi: 'Yleistä etua koskeva tehtävä (6 art. 1 e)',
  },
  'legalBasis.legitimate_interest': {
    en: 'Legitimate interest (Art. 6(1)(f))',
    sv: 'Berättigat intresse (art. 6.1 f)',
    fi: 'Oikeutettu etu (6 art. 1 f)',
  },

  // Search
  'search.title': { en: 'Search people', sv: 'Sök registrerade', fi: 'Hae rekisteröityjä' },
  'search.input': {
    en: 'E-mail address, phone number or name',
    sv: 'E-postadress, telefonnummer eller namn',
    fi: 'Sähköpostiosoite, puhelinnumero tai nimi',
  },
  'search.submit': { en: 'Search', sv: 'Sök', fi: 'Hae' },
  'search.by.email': {
    en: 'Searching by e-mail address.',
    sv: 'Söker på e-postadress.',
    fi: 'Haetaan sähköpostiosoitteella.',
  },
  'search.by.phone': {
    en: 'Searching by phone number.',
    sv: 'Söker på telefonnummer.',
    fi: 'Haetaan puhelinnumerolla.',
  },
  'search.by.q': {
    en: 'Searching by words of names and organisations.',
    sv: 'Söker på ord i namn och organisationer.',
    fi: 'Haetaan nimien ja organisaatioiden sanoilla.',
  },
  'search.by.all': {
    en: 'Everyone registered for the purpose.',
    sv: 'Alla registrerade för ändamålet.',
    fi: 'Kaikki käyttötarkoituksen rekisteröidyt.',
  },
  'search.results': { en: 'Results', sv: 'Resultat', fi: 'Tulokset' },
  'search.count': { en: '{count} shown', sv: '{count} visas', fi: '{count} näytetään' },
  'search.none': { en: 'Nobody found.', sv: 'Ingen hittades.', fi: 'Ketään ei löytynyt.' },
  'search.more': { en: 'Load more', sv: 'Visa fler', fi: 'Näytä lisää' },
  'search.unnamed': {
    en: 'Name not used by this purpose',
    sv: 'Namnet används inte för detta ändamål',
    fi: 'Nimeä ei käytetä tähän käyttötarkoitukseen',
  },

  // Columns
  'col.name': { en: 'Name', sv: 'Namn', fi: 'Nimi' },
  'col.email': { en: 'E-mail', sv: 'E-post', fi: 'Sähköposti' },
  'col.phone': { en: 'Phone', sv: 'Telefon', fi: 'Puhelin' },
  'col.organisation': { en: 'Organisation', sv: 'Organisation', fi: 'Organisaatio' },
  'col.id': { en: 'Id', sv: 'Id', fi: 'Tunniste' },
  'col.field': { en: 'Field', sv: 'Uppgift', fi: 'Tieto' },
  'col.value': { en: 'Value', sv: 'Värde', fi: 'Arvo' },
  'col.source': { en: 'Source', sv: 'Källa', fi: 'Tietolähde' },
  'col.purpose': { en: 'Purpose', sv: 'Ändamål', fi: 'Käyttötarkoitus' },
  'col.collected': { en: 'Collected', sv: 'Insamlad', fi: 'Kerätty' },
  'col.changed': { en: 'Changed', sv: 'Ändrad', fi: 'Muutettu' },
  'col.old': { en: 'Old value', sv: 'Tidigare värde', fi: 'Vanha arvo' },
  'col.new': { en: 'New value', sv: 'Nytt värde', fi: 'Uusi arvo' },
  'col.reason': { en: 'Reason', sv: 'Orsak', fi: 'Syy' },
  'col.actor': { en: 'By', sv: 'Av', fi: 'Tekijä' },
  'col.time': { en: 'Time', sv: 'Tid', fi: 'Aika' },
  'col.role': { en: 'Role', sv: 'Roll', fi: 'Rooli' },
  'col.subject': { en: 'Person', sv: 'Registrerad', fi: 'Rekisteröity' },
  'col.action': { en: 'Action', sv: 'Åtgärd', fi: 'Toiminto' },
  'col.data': {
    en: 'Categories and fields',
    sv: 'Kategorier och uppgifter',
    fi: 'Tietoryhmät ja tiedot',
  },
  'col.outcome': { en: 'Outcome', sv: 'Utfall', fi: 'Tulos' },
  'col.sealed': { en: 'Sealed', sv: 'Förseglad', fi: 'Sinetöity' },
  'col.username': { en: 'Username', sv: 'Användarnamn', fi: 'Käyttäjätunnus' },
  'col.displayName': { en: 'Name', sv: 'Namn', fi: 'Nimi' },
  'col.twoFactor': { en: 'Two-factor', sv: 'Tvåsteg', fi: 'Kaksivaiheinen' },
  'col.status': { en: 'Status', sv: 'Status', fi: 'Tila' },
  'col.actions': { en: 'Actions', sv: 'Åtgärder', fi: 'Toiminnot' },
  'col.readable': {
    en: 'Purposes it may read',
    sv: 'Ändamål den får läsa',
    fi: 'Luettavat käyttötarkoitukset',
  },
  'col.writable': {
    en: 'Purposes it may write',
    sv: 'Ändamål den får skriva',
    fi: 'Kirjoitettavat käyttötarkoitukset',
  },
  'col.roleActions': { en: 'Actions', sv: 'Åtgärder', fi: 'Toiminnot' },
  'col.label': { en: 'Name', sv: 'Namn', fi: 'Nimi' },

  // Person
  'person.title': { en: 'Registered person', sv: 'Registrerad', fi: 'Rekisteröity' },
  'person.created': { en: 'Added', sv: 'Tillagd', fi: 'Lisätty' },
  'person.updated': { en: 'Last changed', sv: 'Senast ändrad', fi: 'Viimeksi muutettu' },
  'person.restricted': { en: 'Restricted', sv: 'Begränsad', fi: 'Rajoitettu' },
  'person.restrictedNote': {
    en: 'Processing of this person is restricted (GDPR Art. 18): only purposes allowed during restriction may use the data.',
    sv: 'Behandlingen av den registrerades uppgifter är begränsad (art. 18 i dataskyddsförordningen): bara ändamål som är tillåtna under begränsning får använda uppgifterna.',
    fi: 'Rekisteröidyn tietojen käsittelyä on rajoitettu (tietosuoja-asetuksen 18 artikla): tietoja saavat käyttää vain rajoituksen aikana sallitut käyttötarkoitukset.',
  },
  'person.values': {
    en: 'Personal data for this purpose',
    sv: 'Personuppgifter för detta ändamål',
    fi: 'Henkilötiedot tähän käyttötarkoitukseen',
  },
  'person.usedBy': {
    en: 'Purposes that use this category',
    sv: 'Ändamål som använder kategorin',
    fi: 'Tietoryhmää käyttävät käyttötarkoitukset',
  },
  'person.categoryEmpty': {
    en: 'No values recorded.',
    sv: 'Inga uppgifter registrerade.',
    fi: 'Ei tallennettuja tietoja.',
  },
  'person.noCategories': {
    en: 'This purpose uses none of the categories held about the person.',
    sv: 'Ändamålet använder ingen av de kategorier som finns om den registrerade.',
    fi: 'Käyttötarkoitus ei käytä mitään rekisteröidystä tallennettua tietoryhmää.',
  },
  'person.history': { en: 'History of changes', sv: 'Ändringshistorik', fi: 'Muutoshistoria' },
  'person.historyNone': {
    en: 'No changes recorded for this purpose.',
    sv: 'Inga ändringar registrerade för detta ändamål.',
    fi: 'Tälle käyttötarkoitukselle ei ole kirjattu muutoksia.',
  },
  'person.readLogged': {
    en: 'Opening this page is recorded in the access log with the purpose you chose.',
    sv: 'Att öppna sidan registreras i åtkomstloggen med det ändamål du valde.',
    fi: 'Sivun avaaminen kirjataan käyttölokiin valitsemallasi käyttötarkoituksella.',
  },
  'person.restrictedForPurpose': {
    en: 'Processing of this person is restricted, and this purpose may not be used during restriction. Choose a purpose allowed during restriction.',
    sv: 'Behandlingen av den registrerades uppgifter är begränsad, och detta ändamål får inte användas under begränsningen. Välj ett ändamål som är tillåtet under begränsning.',
    fi: 'Rekisteröidyn tietojen käsittelyä on rajoitettu, eikä tätä käyttötarkoitusta saa käyttää rajoituksen aikana. Valitse rajoituksen aikana sallittu käyttötarkoitus.',
  },
  'person.purposeNotAllowed': {
    en: 'Your role may not read personal data for this purpose.',
    sv: 'Din roll får inte läsa personuppgifter för detta ändamål.',
    fi: 'Roolisi ei saa lukea henkilötietoja tähän käyttötarkoitukseen.',
  },
  'person.notFound': {
    en: 'There is no registered person with this id.',
    sv: 'Det finns ingen registrerad med detta id.',
    fi: 'Tällä tunnisteella ei ole rekisteröityä.',
  },
  'person.auditLink': {
    en: 'Access log for this person',
    sv: 'Åtkomstlogg för den registrerade',
    fi: 'Rekisteröidyn käyttöloki',
  },

  // Access log
  'audit.title': { en: 'Access log', sv: 'Åtkomstlogg', fi: 'Käyttöloki' },
  'audit.intro': {
    en: 'Every access to personal data, sealed in commit order into a tamper-evident chain.',
    sv: 'Varje åtkomst till personuppgifter, förseglad i en kedja där varje ändring syns.',
    fi: 'Jokainen henkilötietojen käyttökerta, sinetöitynä ketjuun, josta jälkikäteiset muutokset paljastuvat.',
  },
  'audit.verifying': {
    en: 'Verifying the chain…',
    sv: 'Kontrollerar kedjan…',
    fi: 'Tarkistetaan ketjua…',
  },
  'audit.intact': {
    en: 'Log intact ✓ {count} sealed entries checked.',
    sv: 'Loggen är intakt ✓ {count} förseglade poster kontrollerade.',
    fi: 'Loki on eheä ✓ {count} sinetöityä merkintää tarkistettu.',
  },
  'audit.unsealed': {
    en: '{count} entries not yet sealed.',
    sv: '{count} poster ännu inte förseglade.',
    fi: '{count} merkintää vielä sinetöimättä.',
  },
  'audit.broken': {
    en: 'Log broken ✗ at entry {seq} (event {eventId}): {reason}',
    sv: 'Loggen är bruten ✗ vid post {seq} (händelse {eventId}): {reason}',
    fi: 'Loki on rikki ✗ merkinnässä {seq} (tapahtuma {eventId}): {reason}',
  },
  'audit.alarmTitle': {
    en: 'Alarm: the access log has been tampered with in the database. Tell the data protection officer.',
    sv: 'Larm: åtkomstloggen har manipulerats i databasen. Meddela dataskyddsombudet.',
    fi: 'Hälytys: käyttölokia on muutettu tietokannassa. Ilmoita tietosuojavastaavalle.',
  },
  'audit.alarmChain': {
    en: 'Sealed entries have disappeared or been replaced from entry {seq} on. New entries are not sealed until the log is restored.',
    sv: 'Förseglade poster har försvunnit eller ersatts från post {seq} och framåt. Nya poster förseglas inte förrän loggen har återställts.',
    fi: 'Sinetöityjä merkintöjä on kadonnut tai korvattu merkinnästä {seq} alkaen. Uusia merkintöjä ei sinetöidä, ennen kuin loki on palautettu.',
  },
  'audit.alarmForged': {
    en: 'Event {eventId} was not written by Rekisteri (inserted or changed by SQL). It is not sealed.',
    sv: 'Händelse {eventId} skrevs inte av Rekisteri (infogad eller ändrad med SQL). Den förseglas inte.',
    fi: 'Tapahtumaa {eventId} ei kirjoittanut Rekisteri (lisätty tai muutettu SQL:llä). Sitä ei sinetöidä.',
  },
  'audit.alarmMore': {
    en: 'and {count} more.',
    sv: 'och {count} till.',
    fi: 'ja {count} muuta.',
  },
  'audit.filter': {
    en: 'Id of a registered person',
    sv: 'Den registrerades id',
    fi: 'Rekisteröidyn tunniste',
  },
  'audit.filterInvalid': {
    en: 'Enter the id of a registered person, such as 01a2009e-c9f5-7000-9ede-0f064c4fbc39.',
    sv: 'Ange en registrerads id, till exempel 01a2009e-c9f5-7000-9ede-0f064c4fbc39.',
    fi: 'Anna rekisteröidyn tunniste, esimerkiksi 01a2009e-c9f5-7000-9ede-0f064c4fbc39.',
  },
  'audit.filterSubmit': { en: 'Show entries', sv: 'Visa poster', fi: 'Näytä merkinnät' },
  'audit.clear': { en: 'Show everyone', sv: 'Visa alla', fi: 'Näytä kaikki' },
  'audit.filtered': {
    en: 'Entries about person {id}.',
    sv: 'Poster om den registrerade {id}.',
    fi: 'Rekisteröityä {id} koskevat merkinnät.',
  },
  'audit.more': { en: 'Load older', sv: 'Visa äldre', fi: 'Näytä vanhemmat' },
  'audit.none': { en: 'No entries.', sv: 'Inga poster.', fi: 'Ei merkintöjä.' },
  'audit.end': {
    en: 'The beginning of the log.',
    sv: 'Loggens början.',
    fi: 'Lokin alku.',
  },
  'outcome.ok': { en: 'Done', sv: 'Utförd', fi: 'Tehty' },
  'outcome.denied': { en: 'Denied', sv: 'Nekad', fi: 'Estetty' },
  'outcome.failed': { en: 'Failed', sv: 'Misslyckad', fi: 'Epäonnistui' },
  'audit.sealedYes': { en: 'Sealed', sv: 'Förseglad', fi: 'Sinetöity' },
  'audit.sealedNo': { en: 'Not yet sealed', sv: 'Ännu inte förseglad', fi: 'Ei vielä sinetöity' },

  // Staff
  'staff.title': { en: 'Staff and roles', sv: 'Personal och roller', fi: 'Henkilökunta ja roolit' },
  'staff.list': { en: 'Staff', sv: 'Personal', fi: 'Henkilökunta' },
  'staff.active': { en: 'Active', sv: 'Aktiv', fi: 'Aktiivinen' },
  'staff.lockedUntil': {
    en: 'Locked until {time}',
    sv: 'Låst till {time}',
    fi: 'Lukittu {time} asti',
  },
  'staff.disabled': { en: 'Disabled', sv: 'Inaktiverad', fi: 'Poistettu käytöstä' },
  'staff.roleFor': { en: 'Role of {name}', sv: 'Roll för {name}', fi: 'Käyttäjän {name} rooli' },
  'staff.changeRole': { en: 'Change role', sv: 'Byt roll', fi: 'Vaihda rooli' },
  'staff.disable': { en: 'Disable', sv: 'Inaktivera', fi: 'Poista käytöstä' },
  'staff.enable': { en: 'Enable', sv: 'Aktivera', fi: 'Ota käyttöön' },
  'staff.roleChanged': {
    en: 'The role of {name} is now {role}.',
    sv: '{name} har nu rollen {role}.',
    fi: 'Käyttäjän {name} rooli on nyt {role}.',
  },
  'staff.disabledDone': {
    en: '{name} can no longer sign in.',
    sv: '{name} kan inte längre logga in.',
    fi: '{name} ei voi enää kirjautua sisään.',
  },
  'staff.enabledDone': {
    en: '{name} can sign in again.',
    sv: '{name} kan logga in igen.',
    fi: '{name} voi taas kirjautua sisään.',
  },
  'staff.create': {
    en: 'Add a staff member',
    sv: 'Lägg till en anställd',
    fi: 'Lisää henkilökunnan jäsen',
  },
  'staff.username': { en: 'Username', sv: 'Användarnamn', fi: 'Käyttäjätunnus' },
  'staff.displayName': {
    en: 'Name shown in the console and the log',
    sv: 'Namn som visas i konsolen och loggen',
    fi: 'Konsolissa ja lokissa näkyvä nimi',
  },
  'staff.role': { en: 'Role', sv: 'Roll', fi: 'Rooli' },
  'staff.createSubmit': { en: 'Create account', sv: 'Skapa konto', fi: 'Luo käyttäjätunnus' },
  'staff.created': {
    en: 'Account created',
    sv: 'Kontot har skapats',
    fi: 'Käyttäjätunnus on luotu',
  },
  'staff.passwordOnce': {
    en: 'The one-time password of {name} is shown only now. Give it to them by a secure route; they should change it after signing in.',
    sv: 'Engångslösenordet för {name} visas bara nu. Lämna det till personen på ett säkert sätt; lösenordet bör bytas efter inloggningen.',
    fi: 'Käyttäjän {name} kertakäyttöinen salasana näytetään vain nyt. Toimita se turvallista reittiä; salasana tulee vaihtaa kirjautumisen jälkeen.',
  },
  'staff.oneTimePassword': {
    en: 'One-time password',
    sv: 'Engångslösenord',
    fi: 'Kertakäyttöinen salasana',
  },
  'staff.roles': { en: 'Roles', sv: 'Roller', fi: 'Roolit' },
  'action.read': { en: 'Read', sv: 'Läsa', fi: 'Luku' },
  'action.write': { en: 'Write', sv: 'Skriva', fi: 'Kirjoitus' },
  'action.erase': { en: 'Erase', sv: 'Radera', fi: 'Poisto' },
  'action.export': { en: 'Export', sv: 'Exportera', fi: 'Vienti' },
  'action.manage_staff': {
    en: 'Manage staff',
    sv: 'Hantera personal',
    fi: 'Henkilökunnan hallinta',
  },
  'action.manage_definition': {
    en: 'Manage the register definition',
    sv: 'Hantera registerbeskrivningen',
    fi: 'Rekisterikuvauksen hallinta',
  },
  'action.handle_requests': {
    en: 'Handle data-subject requests',
    sv: 'Hantera de registrerades begäranden',
    fi: 'Rekisteröityjen pyyntöjen käsittely',
  },
  'action.export_audiences': {
    en: 'Export audiences',
    sv: 'Exportera målgrupper',
    fi: 'Kohderyhmien vienti',
  },
  'action.read_audit': {
    en: 'Read the access log',
    sv: 'Läsa åtkomstloggen',
    fi: 'Käyttölokin luku',
  },

  // Account
  'account.title': { en: 'Account', sv: 'Mitt konto', fi: 'Oma tili' },
  'account.password': { en: 'Change password', sv: 'Byt lösenord', fi: 'Vaihda salasana' },
  'account.current': { en: 'Current password', sv: 'Nuvarande lösenord', fi: 'Nykyinen salasana' },
  'account.new': { en: 'New password', sv: 'Nytt lösenord', fi: 'Uusi salasana' },
  'account.newHint': {
    en: 'At least 12 characters. A long passphrase of several words is best.',
    sv: 'Minst 12 tecken. En lång lösenfras av flera ord är bäst.',
    fi: 'Vähintään 12 merkkiä. Useasta sanasta koostuva pitkä salalause on paras.',
  },
  'account.confirm': {
    en: 'New password again',
    sv: 'Nytt lösenord igen',
    fi: 'Uusi salasana uudelleen',
  },
  'account.tooShort': {
    en: 'The new password must have at least 12 characters.',
    sv: 'Det nya lösenordet måste ha minst 12 tecken.',
    fi: 'Uudessa salasanassa on oltava vähintään 12 merkkiä.',
  },
  'account.mismatch': {
    en: 'The two new passwords differ.',
    sv: 'De två nya lösenorden skiljer sig åt.',
    fi: 'Uudet salasanat eroavat toisistaan.',
  },
  'account.passwordChanged': {
    en: 'Password changed.',
    sv: 'Lösenordet har bytts.',
    fi: 'Salasana on vaihdettu.',
  },
  'account.profile': { en: 'You', sv: 'Du', fi: 'Sinä' },
  'firstPassword.title': {
    en: 'Choose your own password',
    sv: 'Välj ditt eget lösenord',
    fi: 'Valitse oma salasana',
  },
  'firstPassword.intro': {
    en: 'You signed in with a one-time password. Choose a password of your own before you go on; the one-time password stops working.',
    sv: 'Du loggade in med ett engångslösenord. Välj ett eget lösenord innan du fortsätter; engångslösenordet slutar fungera.',
    fi: 'Kirjauduit kertakäyttöisellä salasanalla. Valitse oma salasana ennen kuin jatkat; kertakäyttöinen salasana lakkaa toimimasta.',
  },
  'firstPassword.offerTotp': {
    en: 'Now turn on two-factor authentication, so that a password alone is not enough to sign in as you.',
    sv: 'Slå nu på tvåstegsverifiering, så att ett lösenord ensamt inte räcker för att logga in som du.',
    fi: 'Ota nyt käyttöön kaksivaiheinen tunnistautuminen, jottei pelkkä salasana riitä kirjautumiseen nimissäsi.',
  },
  'firstPassword.continue': {
    en: 'Continue to the console',
    sv: 'Fortsätt till konsolen',
    fi: 'Jatka konsoliin',
  },
  'totp.title': {
    en: 'Two-factor authentication',
    sv: 'Tvåstegsverifiering',
    fi: 'Kaksivaiheinen tunnistautuminen',
  },
  'totp.on': {
    en: 'Two-factor authentication is on.',
    sv: 'Tvåstegsverifiering är på.',
    fi: 'Kaksivaiheinen tunnistautuminen on käytössä.',
  },
  'totp.off': {
    en: 'Two-factor authentication is off. Turn it on to protect access to personal data.',
    sv: 'Tvåstegsverifiering är av. Slå på den för att skydda åtkomsten till personuppgifter.',
    fi: 'Kaksivaiheinen tunnistautuminen ei ole käytössä. Ota se käyttöön suojataksesi pääsyn henkilötietoihin.',
  },
  'totp.start': {
    en: 'Set up two-factor authentication',
    sv: 'Konfigurera tvåstegsverifiering',
    fi: 'Määritä kaksivaiheinen tunnistautuminen',
  },
  'totp.password': {
    en: 'Your password, to confirm',
    sv: 'Ditt lösenord, för att bekräfta',
    fi: 'Salasanasi vahvistukseksi',
  },
  'totp.secretIntro': {
    en: 'Add this key to your authenticator app, by typing it in or by pasting the address, then enter the code the app shows.',
    sv: 'Lägg till nyckeln i din autentiseringsapp genom att skriva in den eller klistra in adressen, och ange sedan koden som appen visar.',
    fi: 'Lisää avain todennussovellukseesi kirjoittamalla se tai liittämällä osoite, ja anna sitten sovelluksen näyttämä koodi.',
  },
  'totp.secret': { en: 'Key', sv: 'Nyckel', fi: 'Avain' },
  'totp.url': {
    en: 'Address for the app (otpauth)',
    sv: 'Adress för appen (otpauth)',
    fi: 'Osoite sovellukselle (otpauth)',
  },
  'totp.code': {
    en: '6-digit code from the app',
    sv: 'Sexsiffrig kod från appen',
    fi: 'Sovelluksen kuusinumeroinen koodi',
  },
  'totp.enable': { en: 'Turn on', sv: 'Slå på', fi: 'Ota käyttöön' },
  'totp.recoveryTitle': { en: 'Recovery codes', sv: 'Reservkoder', fi: 'Varakoodit' },
  'totp.recoveryIntro': {
    en: 'Each code signs you in once if you lose your authenticator. They are shown only now: store them somewhere safe.',
    sv: 'Varje kod loggar in dig en gång om du förlorar din autentiseringsapp. De visas bara nu: förvara dem säkert.',
    fi: 'Kukin koodi kirjaa sinut sisään kerran, jos todennussovellus katoaa. Koodit näytetään vain nyt: säilytä ne turvallisesti.',
  },
  'totp.done': {
    en: 'I have stored the codes',
    sv: 'Jag har sparat koderna',
    fi: 'Olen tallentanut koodit',
  },
  'totp.enabled': {
    en: 'Two-factor authentication is now on.',
    sv: 'Tvåstegsverifiering är nu på.',
    fi: 'Kaksivaiheinen tunnistautuminen on nyt käytössä.',
  },
} satisfies Record<string, Entry>;

export type MessageKey = keyof typeof messages;
export type Params = Record<string, string | number>;

export function translate(lang: Lang, key: MessageKey, params?: Params): string {
  const text: string = messages[key][lang];
  if (!params) {
    return text;
  }
  return text.replace(/\{(\w+)\}/g, (m, name: string) =>
    name in params ? String(params[name]) : m,
  );
}

export function isLang(v: unknown): v is Lang {
  return typeof v === 'string' && (LANGUAGES as readonly string[]).includes(v);
}

const STORAGE_KEY = 'rekisteri.lang';

function readStoredLang(): Lang | null {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    return isLang(v) ? v : null;
  } catch {
    return null;
  }
}

/** The stored choice, else the browser's first language we speak, else English. */
export function initialLang(): Lang {
  const stored = readStoredLang();
  if (stored) {
    return stored;
  }
  for (const l of navigator.languages) {
    const base = l.slice(0, 2).toLowerCase();
    if (isLang(base)) {
      return base;
    }
  }
  return 'en';
}

/**
 * The locale whose conventions dates, times, numbers and lists follow in each language: Finland's
 * for Finnish and Swedish, British English for English (day before month, a 24-hour clock; never
 * the United States' 11/22/26, 12:25 AM).
 */
export const LOCALES: Record<Lang, string> = { fi: 'fi-FI', sv: 'sv-FI', en: 'en-GB' };

const ISO_DURATION = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$/;

export interface I18n {
  lang: Lang;
  setLang: (lang: Lang) => void;
  t: (key: MessageKey, params?: Params) => string;
  /** A label from the definition in the current language. */
  loc: (label: Localized | undefined, fallback?: string) => string;
  dateTime: (iso: string | null | undefined) => string;
  /** A compact date and time for tables with many columns. */
  shortDateTime: (iso: string) => string;
  date: (iso: string) => string;
  number: (n: number) => string;
  /** P2Y6M → "2 years and 6 months" in the current language. */
  duration: (iso: string) => string;
  list: (items: string[]) => string;
}

const I18nContext = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(() => {
    const l = initialLang();
    document.documentElement.lang = l;
    return l;
  });
  const setLang = useCallback((l: Lang) => {
    try {
      localStorage.setItem(STORAGE_KEY, l);
    } catch {
      // Storage may be disabled; the choice then lasts for this page only.
    }
    document.documentElement.lang = l;
    setLangState(l);
  }, []);

  const value = useMemo<I18n>(() => {
    const locale = LOCALES[lang];
    const dt = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium' });
    const d = new Intl.DateTimeFormat(locale, { dateStyle: 'medium' });
    const sdt = new Intl.DateTimeFormat(locale, { dateStyle: 'short', timeStyle: 'medium' });
    const nf = new Intl.NumberFormat(locale);
    const lf = new Intl.ListFormat(locale, { style: 'long', type: 'conjunction' });
    const unit = (u: 'year' | 'month' | 'week' | 'day', n: number) =>
      new Intl.NumberFormat(locale, { style: 'unit', unit: u, unitDisplay: 'long' }).format(n);
    return {
      lang,
      setLang,
      t: (key, params) => translate(lang, key, params),
      loc: (label, fallback = '') => label?.[lang] || label?.en || fallback,
      dateTime: (iso) => {
        if (!iso) {
          return '—';
        }
        const when = new Date(iso);
        return Number.isNaN(when.getTime()) ? iso : dt.format(when);
      },
      shortDateTime: (iso) => {
        const when = new Date(iso);
        return Number.isNaN(when.getTime()) ? iso : sdt.format(when);
      },
      date: (iso) => {
        const when = new Date(iso);
        return Number.isNaN(when.getTime()) ? iso : d.format(when);
      },
      number: (n) => nf.format(n),
      duration: (iso) => {
        const m = ISO_DURATION.exec(iso);
        if (!m) {
          return iso;
        }
        const parts: string[] = [];
        const units = ['year', 'month', 'week', 'day'] as const;
        units.forEach((u, i) => {
          const n = m[i + 1];
          if (n !== undefined) {
            parts.push(unit(u, Number(n)));
          }
        });
        return parts.length > 0 ? lf.format(parts) : iso;
      },
      list: (items) => lf.format(items),
    };
  }, [lang, setLang]);

  return createElement(I18nContext.Provider, { value }, children);
}

export function useI18n(): I18n {
  const ctx = useContext(I18nContext);
  if (!ctx) {
    throw new Error('useI18n outside I18nProvider');
  }
  return ctx;
}
