# Die Oberfläche von tend auf Deutsch (du-Form, wie der Katalog):
# Seiten, Knöpfe, Mail-Rahmen, Datumsangaben.
# Die Impulse und Mailtexte selbst stehen in config/nudges.de.toml.

## Datum und Uhrzeit (CLDR-Muster)

weekday-1 = Montag
weekday-2 = Dienstag
weekday-3 = Mittwoch
weekday-4 = Donnerstag
weekday-5 = Freitag
weekday-6 = Samstag
weekday-7 = Sonntag
month-1 = Januar
month-2 = Februar
month-3 = März
month-4 = April
month-5 = Mai
month-6 = Juni
month-7 = Juli
month-8 = August
month-9 = September
month-10 = Oktober
month-11 = November
month-12 = Dezember
# „Dienstag, 3. März um 08:30“
when = { $weekday }, { $day }. { $month } um { $time }
days-ahead = { $days ->
    [0] heute
    [1] morgen
    [2] übermorgen
   *[other] in { $days } Tagen
}

## Jede Seite

site-tagline = sanfte Anstöße, um Vertrauen neu aufzubauen. Kein Tracking, keine Dritten.
# This language's own name, in the language picker.
language-name = Deutsch
language-label = Sprache
field-email = Deine E-Mail-Adresse
field-zone = Zeitzone
field-time = Uhrzeit
discreet-label = Unauffällige Mails
discreet-help = Ein neutraler Absendername und Betreff: Wer kurz auf dein Postfach oder den Sperrbildschirm schaut, erfährt nicht, worum es geht.
due-label = Fällig am
due-time-label = Uhrzeit der Fälligkeit
note-promise-button = Versprechen notieren
mail-me-fresh-link = Schick mir einen neuen Link
fresh-link-on-its-way = Ein neuer Link zu deinen Einstellungen ist unterwegs in dein Postfach. Er gilt einen Tag lang.
front-page = Startseite

## Anmeldeseite und „Schau in dein Postfach“

subscribe-title = Anmelden
subscribe-heading = Kleine Schritte, jeden Tag
subscribe-intro = Verlorenes Vertrauen in einer Beziehung zurückzugewinnen braucht immer wieder dieselben paar Dinge, monatelang: offen reden, Versprechen halten, den eigenen Tag offen zeigen, Geduld, zu Fehlern stehen und manchmal Hilfe von Fachleuten. tend schickt dir einen kurzen, freundlichen Anstoß nach dem anderen, zu der Uhrzeit, die du wählst. Sag ihm, wie es jeweils lief, und es passt die Abstände an dich an.
honeypot-label = Bitte leer lassen
subscribe-zone = Deine Zeitzone
subscribe-time = Wann möchtest du deinen Anstoß bekommen?
subscribe-discreet-help = Ein neutraler Absendername und Betreff, auch bei der Bestätigungsmail: Wer kurz auf dein Postfach oder den Sperrbildschirm schaut, erfährt nicht, worum es geht.
subscribe-button = Anmelden
subscribe-note = Wir schicken dir eine Mail zur Bestätigung. Höchstens ein Anstoß am Tag, nie nachts, und jede Mail lässt sich mit einem Klick abbestellen.
check-inbox-title = Schau in dein Postfach
check-inbox-subscribe = Wenn diese Adresse Anstöße bekommen kann, ist eine Bestätigungsmail unterwegs. Öffne sie und drück auf „Bestätigen“. Vorher schicken wir nichts.
check-inbox-fresh-link = Wenn zu dieser Adresse ein Abo gehört, ist ein neuer Link dorthin unterwegs. Er gilt einen Tag lang. Sonst hat sich nichts geändert.
fresh-link-title = Schick mir einen neuen Link
fresh-link-intro = Gib die Adresse ein, an die deine Mails gehen. Wir schicken einen Link zu deinen Einstellungen dorthin.
fresh-link-note = Der Link gilt einen Tag lang. Egal welche Adresse du eingibst, diese Seite antwortet immer gleich.

## Fehlerseiten

error-title-bad-input = Bitte prüf das Formular
error-title-not-found = Nicht gefunden
error-title-gone = Dieser Link funktioniert nicht mehr
error-title-forbidden = Dafür brauchst du einen neuen Link
error-title-too-large = Zu viele Daten
error-title-too-many = Bitte etwas langsamer
error-title-server = Entschuldigung
error-title-other = Das hat nicht geklappt
error-invalid-link = Dieser Link ist ungültig oder abgelaufen.
error-revoked-link = Zum Schutz deiner Privatsphäre wurden die Links in früheren Mails abgeschaltet. Wenn das dein Abo ist, gib deine Adresse ein. Ist es die hinterlegte Adresse, schicken wir einen neuen Link dorthin.
error-needs-fresh-link = Dafür brauchst du einen Link aus den letzten 24 Stunden. Fordere auf der Seite einen neuen an, er kommt per Mail.
error-not-found = Hier gibt es keine Seite.
error-media-type = Schick ein Formular (application/x-www-form-urlencoded) oder JSON (application/json).
error-too-many = Zu viele Anfragen. Bitte warte eine Minute und versuch es dann noch einmal.
error-server = Bei uns ist etwas schiefgegangen. Bitte versuch es in einer Weile noch einmal.
error-method = Diese Adresse nimmt diese Art von Anfrage nicht an.
error-too-large = Die Anfrage war zu groß.
error-other = Die Anfrage war nicht zu verstehen.
error-bad-field = Bitte prüf dieses Feld: { $field }.
error-title-cross-site = Nicht von hier
error-title-timeout = Zu langsam
error-cross-site = Dieses Formular lässt sich nur von der eigenen Seite dieser Website absenden.
error-timeout = Die Anfrage kam zu langsam an. Bitte versuch es noch einmal.

## Bestätigen, weitermachen, abbestellen

confirm-title = Bestätige dein Abo
confirm-text = Drück auf den Knopf, dann beginnen deine Anstöße. Du kannst jederzeit aus jeder Mail heraus pausieren oder abbestellen.
confirm-button = Bestätigen
confirmed-title = Du bist dabei
confirmed-now = Danke. Dein Abo ist aktiv.
confirmed-already = Dein Abo war schon bestätigt. Du musst nichts weiter tun.
next-nudge-on = Dein nächster Anstoß kommt am { $when }.
welcome-on-its-way = Eine Willkommensmail ist unterwegs, mit einem Link zu deinen Einstellungen.
cancelled-title = Dieses Abo wurde beendet
cancelled-text = Diese Adresse wurde abgemeldet, nachdem der Link verschickt war. Wenn du neu anfangen willst, melde dich auf der Startseite an.
subscribe-again = Neu anmelden
resume-title = Weitermachen?
resume-text = Drück auf den Knopf, dann kommen deine Anstöße wieder ab dem nächsten Termin, etwas sanfter als vorher.
resume-button = Weitermachen
resumed-title = Schön, dass du wieder da bist
resumed-text = Willkommen zurück. Nachholen musst du nichts: Wir fangen heute an.
nothing-to-resume-title = Hier gibt es nichts fortzusetzen
nothing-to-resume-text = Dieses Abo ruht nicht. Wenn du es abbestellt hast, kannst du dich auf der Startseite neu anmelden.
unsubscribe-title = Abbestellen?
unsubscribe-text = Ein Klick, und an diese Adresse kommt keine Mail mehr.
unsubscribe-button = Abbestellen
unsubscribed-title = Du hast abbestellt
unsubscribed-text = An diese Adresse kommt keine Mail mehr.
unsubscribed-wish = Was auch immer jetzt kommt: Wir wünschen dir alles Gute.

## Antwortseite

answered-already = Du hast am { $when } schon „{ $label }“ geantwortet. Die erste Antwort zählt.
how-did-it-go = Wie ist es gelaufen?
answer-promise-label = Hast du heute etwas versprochen? Schreib es auf, und tend fragt nach, bevor es fällig ist.
answer-promise-placeholder = Mittags anrufen
answer-page-note = Einstellungen, Pause oder dein Verlauf: Dieser Link beantwortet nur den Anstoß.
mail-me-preferences-link = Schick mir einen Link zu meinen Einstellungen
next-track-nudge = Dein nächster Anstoß zu „{ $track }“ kommt am { $when }.
track-paused = Dieses Thema ist pausiert. In deinen Einstellungen kannst du es wieder einschalten.

## Antworten, Themen und Antworten zu Versprechen

action-done = Erledigt
action-partly = Teilweise
action-not_yet = Noch nicht
action-snooze = Morgen noch mal
action-pause_track = Thema pausieren
ack-done = Gut gemacht. Aus kleinen Schritten wie diesem wächst Vertrauen wieder.
ack-partly = Teilweise zählt. Danke, dass du ehrlich damit bist.
ack-not_yet = Das ist in Ordnung. Danke, dass du es sagst; der Anstoß kommt behutsam wieder.
ack-snooze = Gern. Dieser Anstoß kommt morgen wieder.
ack-pause_track = Dieses Thema ist pausiert. In deinen Einstellungen kannst du es wieder einschalten.
no-answer = keine Antwort
track-check-in = Offen und ehrlich reden
track-check-in-blurb = Ein ruhiges Gespräch: zuhören und wiedergeben, ohne dich zu verteidigen.
track-follow-through = Wort halten
track-follow-through-blurb = Ein kleines Versprechen halten; früh sagen, wenn eines nicht zu halten ist.
track-transparency = Offenheit
track-transparency-blurb = Pläne teilen, bevor jemand fragt, als Stütze, die mit der Zeit weniger wird.
track-patience = Geduld
track-patience-blurb = Das Tempo deines Gegenübers annehmen; beruhigen, ohne Vertrauen einzufordern.
track-responsibility = Verantwortung übernehmen
track-responsibility-blurb = Einen Fehler klar benennen und sagen, was sich ändert.
track-support = Fachliche Hilfe
track-support-blurb = Behutsam über eine Beratung oder Paartherapie nachdenken.
check-on_track = Klappt wie geplant
check-say_early = Ich muss es früh sagen
outcome-kept = Gehalten
outcome-kept_late = Gehalten, aber spät
outcome-renegotiated = Früh neu vereinbart
outcome-not_kept = Nicht gehalten

## Versprechensseite

promise-title = Dein Versprechen
promise-due = Dein Versprechen, fällig am { $when }
say-early-title = Es früh sagen
say-early-1 = Danke, dass du ehrlich zu dir bist. Es deinem Gegenüber jetzt zu sagen, bevor es so weit ist, ist das Verlässliche.
say-early-2 = Du könntest sagen: „Ich habe dir das versprochen und merke, dass ich es so nicht schaffe. Ich sage es dir lieber jetzt, statt es einfach liegen zu lassen. Das hier kann ich stattdessen tun.“
say-early-3 = Biete dann eine Sache an, die du halten kannst, und halte sie. Eine lange Erklärung braucht es nicht.
your-answer = Deine Antwort: { $label }.
question-check = Ist es noch realistisch?
question-review = Hat es geklappt?
promise-page-note = Deine Einstellungen und dein Verlauf:
notice-noted = Danke. Notiert.
notice-already-answered = Das war schon beantwortet; die erste Antwort zählt.
words-hidden = Der Wortlaut ist verborgen, weil dieser Link älter als einen Tag ist. Ein neuer Link zu deinen Einstellungen zeigt den Wortlaut der Versprechen, die noch anstehen.
words-unreadable = Der Wortlaut dieses Versprechens lässt sich nicht anzeigen: Er öffnet sich nicht mit den Schlüsseln von tend, wurde also verändert oder aus einem anderen Versprechen kopiert. Sonst ist nichts betroffen.
words-hidden-short = (Wortlaut verborgen)
promise-noted = Versprechen notiert, fällig am { $due }.
promise-will-ask = tend fragt am { $when }, ob es noch realistisch ist.

## Einstellungsseite

prefs-title = Deine Einstellungen
prefs-for = Für { $email } · Abo { $status }
status-pending = wartet auf Bestätigung
status-active = aktiv
status-paused = pausiert
status-resting = ruht
status-unsubscribed = beendet
progress-heading = Dein Verlauf
progress-next = nächster am { $when }
progress-off = aus
progress-not-scheduled = nicht geplant
progress-colours = Farben: grün erledigt, gold teilweise, blau noch nicht, lila morgen noch mal, grau keine Antwort.
promises-heading = Versprechen
promise-counts = Gehalten { $kept } · spät gehalten { $late } · früh neu vereinbart { $renegotiated } · nicht gehalten { $not_kept }
promise-due-short = (fällig am { $when })
words-need-fresh = Den Wortlaut deiner Versprechen siehst du nur über einen Link aus den letzten 24 Stunden.
write-promise-label = Schreib ein Versprechen auf, das du gegeben hast
write-promise-placeholder = Am Donnerstag die Kinder abholen
promise-explainer = tend fragt am Tag davor zu deiner üblichen Zeit „Noch realistisch?“ und danach „Hat es geklappt?“. Nur du siehst den Wortlaut; er wird verschlüsselt gespeichert.
weekly-heading = Wochenrückblick
weekly-on-text = Du bekommst jeden Sonntag einen kurzen Rückblick.
weekly-off-button = Wochenrückblick abbestellen
weekly-off-text = Ein kurzer, freundlicher Rückblick auf deine Woche, jeden Sonntag zu deiner üblichen Zeit.
weekly-on-button = Schick mir einen Wochenrückblick
when-and-what = Wann und was
max-per-day = Höchstens so viele Anstöße am Tag
save-button = Speichern
break-heading = Eine Pause
resume-nudges-button = Anstöße wieder aufnehmen
pause-button = Alle Anstöße pausieren
seen-heading = Jemand anderes hat vielleicht meine Mails gesehen
seen-text = Schalte jeden Link in deinen bisherigen Mails ab, auch den dieser Seite. Deine nächste Mail bringt neue Links, oder du forderst einen neuen Link per Mail an. Abbestell-Links funktionieren weiter und zeigen nichts über dich.
sign-out-button = Meine Links abschalten
data-heading = Deine Daten
data-text = tend speichert deine Adresse, Zeitzone, Einstellungen, die Anstöße, die es dir geschickt hat, und deine Antworten. Sonst nichts, und nichts wird weitergegeben.
delete-confirm = Ja, lösche jetzt alle meine Daten. Das lässt sich nicht rückgängig machen.
delete-button = Meine Daten löschen
delete-needs-fresh = Um deine Daten zu löschen, brauchst du einen Link aus den letzten 24 Stunden.
notice-saved = Gespeichert. Deine nächsten Anstöße folgen den neuen Einstellungen.
notice-paused = Pausiert. Bis du weitermachst, kommen keine Anstöße.
notice-resumed = Willkommen zurück. Deine Anstöße kommen wieder ab dem nächsten Termin.
notice-weekly-on = Der Wochenrückblick ist eingeschaltet: Der erste kommt am Sonntag.
notice-weekly-off = Der Wochenrückblick ist ausgeschaltet.
signed-out-title = Deine Links sind abgeschaltet
signed-out-text = Jeder Link in deinen bisherigen Mails führt jetzt ins Leere, auch der dieser Seite. Abbestell-Links funktionieren weiter und zeigen nichts über dich.
signed-out-next = Deine nächste Mail bringt neue Links. Wenn du früher zu deinen Einstellungen willst, fordere einen neuen Link an: Er kommt per Mail und gilt einen Tag lang.
deleted-title = Deine Daten sind gelöscht
deleted-text = Deine Adresse, deine Einstellungen, deine Anstöße und deine Antworten sind weg. Es kommt keine Mail mehr.
deleted-thanks = Danke für die Zeit, die du dir dafür genommen hast. Wir wünschen dir alles Gute.

## Verlauf: neben den Kalendern und im Wochenrückblick

progress-none = { $track }: in den letzten { $weeks } Wochen noch keine Antworten.
progress-summary = { $track }: in den letzten { $weeks } Wochen { $done } erledigt, { $partly } teilweise, { $not_yet } noch nicht.
week-track-done = { $track }: { $done ->
    [0] nichts
    [1] einmal
   *[other] { $done }-mal
} erledigt.
week-track-done-partly = { $track }: { $done ->
    [0] nichts
    [1] einmal
   *[other] { $done }-mal
} erledigt, { $partly ->
    [1] einmal
   *[other] { $partly }-mal
} teilweise.
week-promises = Versprechen: { $kept ->
    [0] keines
    [1] eines
   *[other] { $kept }
} gehalten.
week-promises-renegotiated = Versprechen: { $kept ->
    [0] keines
    [1] eines
   *[other] { $kept }
} gehalten, { $renegotiated ->
    [1] eines
   *[other] { $renegotiated }
} früh neu vereinbart, und das ist ehrlich und rücksichtsvoll.
quiet-week = Eine ruhige Woche. Das ist in Ordnung: Der nächste Anstoß kommt zur gewohnten Zeit, wann immer du bereit bist.

## Partner (Einstellungen, Anmeldeseite)

tracks-own-legend = Themen, um das Vertrauen deines Gegenübers zurückzugewinnen
tracks-partner-legend = Themen, um wieder vertrauen zu lernen
subscribe-tracks-own = Wenn du das Vertrauen deines Gegenübers zurückgewinnen willst
subscribe-tracks-partner = Wenn du lernst, wieder zu vertrauen
subscribe-invited = Jemand, den du kennst, hat dich eingeladen. Wähl unten deine eigene Uhrzeit und deine Schritte; die Schritte für die Person, die wieder vertrauen lernt, sind angekreuzt. Es passiert nichts, bis du per Mail bestätigst, und niemand sieht deine Antworten.
partner-heading = Dein Gegenüber
partner-linked-text = Du hast dein Gegenüber eingeladen oder bist über seine Einladung dazugekommen. Das Einzige, was je hinübergehen kann, ist das gemeinsame Zeichen: einmal pro Woche „ihr wart beide dabei“, wenn ihr beide verbunden seid, es beide eingeschaltet habt und beide in dieser Woche auf einen Anstoß geantwortet habt. Nie deine Themen, Antworten, Versprechen oder Uhrzeiten, und tend sagt keinem von euch, ob der andere beigetreten ist, es ausgeschaltet hat oder gegangen ist.
partner-signal-on = Dein gemeinsames Zeichen ist eingeschaltet.
partner-signal-off-button = Mein gemeinsames Zeichen ausschalten
partner-signal-off = Dein gemeinsames Zeichen ist ausgeschaltet.
partner-signal-on-button = Mein gemeinsames Zeichen einschalten
partner-unlink-note = Die Verbindung zu beenden kostet einen Klick und sagt deinem Gegenüber nichts; das Zeichen hört einfach auf. Danach kannst du wieder jemanden einladen.
partner-unlink-button = Verbindung beenden
partner-invite-text = Vertrauen neu aufzubauen verlangt etwas von euch beiden. Du kannst dein Gegenüber zu tend einladen: Es bekommt eine Mail, die sagt, wer eingeladen hat und was tend ist, und es passiert nichts, solange es nicht bestätigt. Es wählt eigene Uhrzeiten und Schritte, und keiner von euch sieht je die des anderen.
partner-email-label = Die E-Mail-Adresse deines Gegenübers
partner-from-name-label = Dein Name, wie die Einladung ihn zeigt (freiwillig)
partner-from-name-placeholder = Sonst: jemand, den du kennst
partner-show-address = Meine Adresse zeigen
partner-show-address-help = Die Einladung zeigt dann auch deine E-Mail-Adresse.
partner-invite-button = Eine Einladung schicken
notice-partner-invited = Danke. Wenn diese Adresse eine Einladung bekommen kann, ist eine unterwegs. tend schickt höchstens eine in 30 Tagen an eine Adresse und sagt dir dazu nichts weiter.
notice-signal-on = Dein gemeinsames Zeichen ist eingeschaltet. Es kommt nur in Wochen, in denen ihr es beide eingeschaltet und beide geantwortet habt.
notice-signal-off = Dein gemeinsames Zeichen ist ausgeschaltet. Dein Gegenüber erfährt davon nichts.
notice-unlinked = Die Verbindung ist auf deiner Seite beendet. Nichts geht mehr hinüber, und dein Gegenüber erfährt davon nichts.
track-say-what-helps = Sagen, was helfen würde
track-say-what-helps-blurb = Eine konkrete Sache nennen, die Vertrauen ein wenig leichter machen würde.
track-notice-effort = Mühe bemerken
track-notice-effort-blurb = Dir erlauben, eine Sache zu sehen, die dein Gegenüber getan hat.
track-own-pace = Dein eigenes Tempo
track-own-pace-blurb = Es ist in Ordnung, noch nicht so weit zu sein; geh in deinem eigenen Tempo.
track-own-support = Hilfe für dich
track-own-support-blurb = Sorg für dich: eine Beratung, eine Freundin oder ein Freund, deine eigene Geschichte.

## Mail-Rahmen

mail-preferences-link = Einstellungen, Pause oder dein Verlauf
mail-unsubscribe = Abbestellen
mail-unsubscribe-text = Mit einem Klick abbestellen
