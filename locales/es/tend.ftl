# La interfaz de tend en español de España (tuteo, como el catálogo):
# páginas, botones, marcos de los correos, fechas.
# Los recordatorios y los textos de los correos están en config/nudges.es.toml.

## Fechas y horas (patrones CLDR)

weekday-1 = lunes
weekday-2 = martes
weekday-3 = miércoles
weekday-4 = jueves
weekday-5 = viernes
weekday-6 = sábado
weekday-7 = domingo
month-1 = enero
month-2 = febrero
month-3 = marzo
month-4 = abril
month-5 = mayo
month-6 = junio
month-7 = julio
month-8 = agosto
month-9 = septiembre
month-10 = octubre
month-11 = noviembre
month-12 = diciembre
# «martes, 3 de marzo a las 08:30»
when = { $weekday }, { $day } de { $month } a las { $time }
days-ahead = { $days ->
    [0] hoy
    [1] mañana
    [2] pasado mañana
   *[other] dentro de { $days } días
}

## Todas las páginas

site-tagline = pequeños empujones para reconstruir la confianza. Sin rastreo ni terceros.
# This language's own name, in the language picker.
language-name = Español
language-label = Idioma
field-email = Tu dirección de correo
field-zone = Zona horaria
field-time = Hora del día
discreet-label = Correo discreto
discreet-help = Un remitente y un asunto neutros: quien eche un vistazo a tu bandeja de entrada o a la pantalla de bloqueo no sabrá de qué trata el correo.
due-label = Para el
due-time-label = Hora límite
note-promise-button = Apuntar esta promesa
mail-me-fresh-link = Envíame un enlace nuevo
fresh-link-on-its-way = Te hemos enviado un enlace nuevo a tus preferencias. Sirve durante un día.
front-page = Página de inicio

## Página de suscripción y «revisa tu correo»

subscribe-title = Suscribirse
subscribe-heading = Pasos pequeños, cada día
subscribe-intro = Recuperar la confianza de tu pareja pide siempre las mismas pocas cosas, repetidas durante meses: hablar con franqueza, cumplir lo prometido, contar cómo va tu día sin que te lo pidan, paciencia, reconocer los errores y, a veces, la ayuda de un profesional. tend te envía un recordatorio breve y amable cada vez, a la hora que elijas. Cuéntale cómo te fue con cada uno y él ajustará el ritmo a ti.
honeypot-label = Deja esto vacío
subscribe-zone = Tu zona horaria
subscribe-time = ¿A qué hora quieres tu recordatorio?
subscribe-discreet-help = Un remitente y un asunto neutros, también en el correo de confirmación: quien eche un vistazo a tu bandeja de entrada o a la pantalla de bloqueo no sabrá de qué trata el correo.
subscribe-button = Suscribirme
subscribe-note = Te enviaremos un correo para confirmar. Como mucho un recordatorio al día, nunca de noche, y cada correo se puede dar de baja con un clic.
check-inbox-title = Revisa tu correo
check-inbox-subscribe = Si esta dirección puede recibir recordatorios, te hemos enviado un correo de confirmación. Ábrelo y pulsa «Confirmar» para empezar. Hasta entonces no enviamos nada.
check-inbox-fresh-link = Si esta dirección tiene una suscripción, le hemos enviado un enlace nuevo. Sirve durante un día. No ha cambiado nada más.
fresh-link-title = Envíame un enlace nuevo
fresh-link-intro = Escribe la dirección a la que te llegan los correos y te enviaremos allí un enlace a tus preferencias.
fresh-link-note = El enlace sirve durante un día. Escribas la dirección que escribas, esta página responde lo mismo.

## Páginas de error

error-title-bad-input = Revisa el formulario
error-title-not-found = No encontrado
error-title-gone = Este enlace ya no funciona
error-title-forbidden = Hace falta un enlace nuevo
error-title-too-large = Demasiados datos
error-title-too-many = Ve un poco más despacio
error-title-server = Lo sentimos
error-title-other = No ha funcionado
error-invalid-link = Este enlace no es válido o ha caducado.
error-revoked-link = Para proteger tu privacidad, hemos desactivado los enlaces de los correos anteriores. Si esta es tu suscripción, escribe tu dirección y, si es la que tenemos, te enviaremos allí un enlace nuevo.
error-needs-fresh-link = Para esto hace falta un enlace de las últimas 24 horas. Pide uno nuevo en la página y te llegará por correo.
error-not-found = Aquí no hay ninguna página.
error-media-type = Envía un formulario (application/x-www-form-urlencoded) o JSON (application/json).
error-too-many = Demasiadas peticiones. Espera un minuto y vuelve a intentarlo.
error-server = Algo ha fallado por nuestra parte. Vuelve a intentarlo dentro de un rato.
error-method = Esta dirección no acepta ese tipo de petición.
error-too-large = La petición era demasiado grande.
error-other = No hemos podido entender la petición.
error-bad-field = Revisa este campo: { $field }.
error-title-cross-site = No viene de aquí
error-title-timeout = Demasiado lento
error-cross-site = Este formulario solo se puede enviar desde la propia página de este sitio.
error-timeout = La solicitud tardó demasiado en llegar. Inténtalo de nuevo.

## Confirmar, continuar, darse de baja

confirm-title = Confirma tu suscripción
confirm-text = Pulsa el botón para empezar a recibir tus recordatorios. Puedes pausarlos o darte de baja cuando quieras desde cualquier correo.
confirm-button = Confirmar
confirmed-title = Ya estás dentro
confirmed-now = Gracias. Tu suscripción está activa.
confirmed-already = Tu suscripción ya estaba confirmada. No tienes que hacer nada más.
next-nudge-on = Tu próximo recordatorio llegará el { $when }.
welcome-on-its-way = Te hemos enviado un correo de bienvenida con un enlace a tus preferencias.
cancelled-title = Esta suscripción se canceló
cancelled-text = Esta dirección se dio de baja después de enviar el enlace. Si quieres empezar de nuevo, suscríbete en la página de inicio.
subscribe-again = Volver a suscribirme
resume-title = ¿Seguimos?
resume-text = Pulsa el botón y tus recordatorios volverán en tu próxima hora, un poco más suaves que antes.
resume-button = Seguir
resumed-title = Qué bien que vuelvas
resumed-text = Te damos la bienvenida de nuevo. No hace falta ponerse al día: empezamos desde hoy.
nothing-to-resume-title = No hay nada que reanudar
nothing-to-resume-text = Esta suscripción no está en reposo. Si te diste de baja, puedes volver a suscribirte en la página de inicio.
unsubscribe-title = ¿Darte de baja?
unsubscribe-text = Un clic y no llegará ningún correo más a esta dirección.
unsubscribe-button = Darme de baja
unsubscribed-title = Te has dado de baja
unsubscribed-text = No llegará ningún correo más a esta dirección.
unsubscribed-wish = Venga lo que venga, te deseamos lo mejor.

## Página de respuesta

answered-already = Ya respondiste «{ $label }» el { $when }. Cuenta la primera respuesta.
how-did-it-go = ¿Qué tal te ha ido?
answer-promise-label = ¿Has prometido algo hoy? Apúntalo y tend te preguntará antes de que llegue el momento.
answer-promise-placeholder = Llamar a mediodía
answer-page-note = Preferencias, pausa o tu progreso: este enlace solo responde al recordatorio.
mail-me-preferences-link = Envíame un enlace a mis preferencias
next-track-nudge = Tu próximo recordatorio de «{ $track }» llegará el { $when }.
track-paused = Este tema está en pausa. Puedes volver a activarlo en tus preferencias.

## Respuestas, temas y respuestas a promesas

action-done = Hecho
action-partly = En parte
action-not_yet = Todavía no
action-snooze = Recuérdamelo mañana
action-pause_track = Pausar este tema
ack-done = Muy bien. Con pasos pequeños como este vuelve a crecer la confianza.
ack-partly = En parte también cuenta. Gracias por tu sinceridad.
ack-not_yet = No pasa nada. Gracias por decirlo; volverá con calma.
ack-snooze = Claro. Este volverá mañana.
ack-pause_track = Este tema está en pausa. Puedes volver a activarlo en tus preferencias.
no-answer = sin respuesta
track-check-in = Hablar con franqueza
    .in-sentence = hablar con franqueza
track-check-in-blurb = Una conversación tranquila: escuchar y devolver lo oído sin ponerte a la defensiva.
track-follow-through = Cumplir lo dicho
    .in-sentence = cumplir lo dicho
track-follow-through-blurb = Cumplir una promesa pequeña; avisar pronto cuando una no se pueda cumplir.
track-transparency = Transparencia
    .in-sentence = transparencia
track-transparency-blurb = Contar tus planes antes de que te pregunten, como un apoyo que se va retirando.
track-patience = Paciencia
    .in-sentence = paciencia
track-patience-blurb = Aceptar el ritmo de tu pareja; tranquilizar sin pedir confianza a cambio.
track-responsibility = Asumir la responsabilidad
    .in-sentence = asumir la responsabilidad
track-responsibility-blurb = Nombrar un error sin rodeos y decir qué cambia.
track-support = Ayuda profesional
    .in-sentence = ayuda profesional
track-support-blurb = Plantearte con calma una terapia individual o de pareja.
check-on_track = Va bien
check-say_early = Tengo que avisar ya
outcome-kept = Cumplida
outcome-kept_late = Cumplida, pero tarde
outcome-renegotiated = Renegociada a tiempo
outcome-not_kept = No cumplida

## Página de la promesa

promise-title = Tu promesa
promise-due = Tu promesa, para el { $when }
say-early-title = Avisar a tiempo
say-early-1 = Gracias por mirarlo con honestidad. Decírselo ahora a tu pareja, antes de que llegue el momento, es lo que genera confianza.
say-early-2 = Podrías decir: «Te prometí esto y me he dado cuenta de que no puedo hacerlo como dije. Prefiero decírtelo ahora a dejarlo pasar. Esto es lo que sí puedo hacer».
say-early-3 = Después ofrece una cosa que sí puedas cumplir, y cúmplela. No hace falta una larga explicación.
your-answer = Tu respuesta: { $label }.
question-check = ¿Sigue siendo realista?
question-review = ¿Lo cumpliste?
promise-page-note = Tus preferencias y tu progreso:
notice-noted = Gracias. Apuntado.
notice-already-answered = Ya estaba respondida; cuenta la primera respuesta.
words-hidden = El texto está oculto porque este enlace tiene más de un día. Un enlace nuevo a tus preferencias muestra el texto de las promesas pendientes.
words-unreadable = El texto de esta promesa no se puede mostrar: no se abre con las claves de tend, así que se modificó o se copió de otra promesa. Nada más se ve afectado.
words-hidden-short = (texto oculto)
promise-noted = Promesa apuntada, para el { $due }.
promise-will-ask = tend te preguntará el { $when } si sigue siendo realista.

## Página de preferencias

prefs-title = Tus preferencias
prefs-for = Para { $email } · suscripción { $status }
status-pending = pendiente de confirmar
status-active = activa
status-paused = en pausa
status-resting = en reposo
status-unsubscribed = terminada
progress-heading = Tu progreso
progress-next = el próximo, el { $when }
progress-off = desactivado
progress-not-scheduled = sin programar
progress-colours = Colores: verde hecho, dorado en parte, azul todavía no, lila recuérdamelo mañana, gris sin respuesta.
promises-heading = Promesas
promise-counts = Cumplidas { $kept } · cumplidas tarde { $late } · renegociadas a tiempo { $renegotiated } · no cumplidas { $not_kept }
promise-due-short = (para el { $when })
words-need-fresh = El texto de tus promesas solo se ve a través de un enlace de las últimas 24 horas.
write-promise-label = Apunta una promesa que hayas hecho
write-promise-placeholder = Recoger a los niños el jueves
promise-explainer = tend te pregunta «¿sigue siendo realista?» el día antes, a tu hora de siempre, y «¿lo cumpliste?» después. Solo tú ves el texto; se guarda cifrado.
weekly-heading = Resumen semanal
weekly-on-text = Recibes un resumen breve cada domingo.
weekly-off-button = Dejar de recibir el resumen semanal
weekly-off-text = Un resumen breve y amable de tu semana, cada domingo a tu hora de siempre.
weekly-on-button = Envíame un resumen semanal
when-and-what = Cuándo y qué
max-per-day = Recordatorios al día como máximo
save-button = Guardar
break-heading = Un descanso
resume-nudges-button = Reanudar mis recordatorios
pause-button = Pausar todos los recordatorios
seen-heading = Puede que alguien haya visto mis correos
seen-text = Desactiva todos los enlaces de los correos que has recibido hasta ahora, también el de esta página. Tu próximo correo traerá enlaces nuevos, o pide un enlace nuevo por correo. Los enlaces para darte de baja siguen funcionando y no muestran nada sobre ti.
sign-out-button = Desactivar mis enlaces
data-heading = Tus datos
data-text = tend guarda tu dirección, tu zona horaria, tus preferencias, los recordatorios que te ha enviado y tus respuestas. Nada más, y no se comparte nada.
delete-confirm = Sí, borrar ahora todos mis datos. No se puede deshacer.
delete-button = Borrar mis datos
delete-needs-fresh = Para borrar tus datos hace falta un enlace de las últimas 24 horas.
notice-saved = Guardado. Tus próximos recordatorios seguirán la nueva configuración.
notice-paused = En pausa. No llegará ningún recordatorio hasta que los reanudes.
notice-resumed = Te damos la bienvenida de nuevo. Tus recordatorios vuelven en tu próxima hora.
notice-weekly-on = El resumen semanal está activado: el primero llegará el domingo.
notice-weekly-off = El resumen semanal está desactivado.
signed-out-title = Tus enlaces están desactivados
signed-out-text = Todos los enlaces de los correos que has recibido hasta ahora ya no llevan a ninguna parte, también el de esta página. Los enlaces para darte de baja siguen funcionando y no muestran nada sobre ti.
signed-out-next = Tu próximo correo traerá enlaces nuevos. Si quieres entrar antes en tus preferencias, pide un enlace nuevo: te llegará por correo y sirve durante un día.
deleted-title = Tus datos se han borrado
deleted-text = Tu dirección, tus preferencias, tus recordatorios y tus respuestas ya no están. No llegará ningún correo más.
deleted-thanks = Gracias por el tiempo que le has dedicado. Te deseamos lo mejor.

## Progreso: junto a los calendarios y en el resumen semanal

progress-none = { $track }: todavía sin respuestas en las últimas { $weeks } semanas.
progress-summary = { $track }: en las últimas { $weeks } semanas, { $done } hecho, { $partly } en parte, { $not_yet } todavía no.
week-track-done = { $track }: { $done ->
    [0] ninguna vez
    [1] una vez
   *[other] { $done } veces
} hecho.
week-track-done-partly = { $track }: { $done ->
    [0] ninguna vez
    [1] una vez
   *[other] { $done } veces
} hecho, { $partly ->
    [1] una vez
   *[other] { $partly } veces
} en parte.
week-promises = Promesas: { $kept ->
    [0] ninguna cumplida
    [1] una cumplida
   *[other] { $kept } cumplidas
}.
week-promises-renegotiated = Promesas: { $kept ->
    [0] ninguna cumplida
    [1] una cumplida
   *[other] { $kept } cumplidas
}, { $renegotiated ->
    [1] una renegociada a tiempo
   *[other] { $renegotiated } renegociadas a tiempo
}, y eso es sincero y considerado.
quiet-week = Una semana tranquila. No pasa nada: el próximo recordatorio llegará a su hora de siempre, cuando quieras.

## Pareja (preferencias, página de suscripción)

tracks-own-legend = Temas para recuperar la confianza de tu pareja
tracks-partner-legend = Temas para aprender a confiar de nuevo
subscribe-tracks-own = Si estás recuperando la confianza de tu pareja
subscribe-tracks-partner = Si estás aprendiendo a confiar de nuevo
subscribe-invited = Alguien que conoces te ha invitado. Elige abajo tu propia hora y tus pasos; los pasos para quien aprende a confiar de nuevo están marcados. No pasa nada hasta que confirmes por correo, y nadie ve tus respuestas.
partner-heading = Tu pareja
partner-linked-text = Invitaste a tu pareja o te uniste con su invitación. Lo único que puede llegar a la otra parte es la señal compartida: una vez por semana, «los dos habéis estado ahí», si los dos seguís enlazados, la habéis activado y habéis respondido a un recordatorio esa semana. Nunca tus temas, respuestas, promesas u horas, y tend nunca os dice si la otra persona se unió, la desactivó o se fue.
partner-signal-on = Tu señal compartida está activada.
partner-signal-off-button = Desactivar mi señal compartida
partner-signal-off = Tu señal compartida está desactivada.
partner-signal-on-button = Activar mi señal compartida
partner-unlink-note = Terminar el enlace cuesta un clic y no le dice nada a tu pareja; la señal simplemente deja de llegar. Después puedes volver a invitar a alguien.
partner-unlink-button = Terminar el enlace
partner-invite-text = Reconstruir la confianza os pide algo a los dos. Puedes invitar a tu pareja a tend: recibirá un correo que dice quién le invita y qué es tend, y no pasa nada hasta que confirme. Elige su propia hora y sus pasos, y ninguno de los dos ve nunca los del otro.
partner-email-label = La dirección de correo de tu pareja
partner-from-name-label = Tu nombre, tal como lo mostrará la invitación (opcional)
partner-from-name-placeholder = Si no: alguien que conoces
partner-show-address = Mostrar mi dirección
partner-show-address-help = La invitación mostrará también tu dirección de correo.
partner-invite-button = Enviar una invitación
notice-partner-invited = Gracias. Si esta dirección puede recibir una invitación, ya va de camino. tend envía como mucho una cada 30 días a una dirección y no te dice nada más al respecto.
notice-signal-on = Tu señal compartida está activada. Solo llega las semanas en que los dos la habéis activado y habéis respondido.
notice-signal-off = Tu señal compartida está desactivada. Tu pareja no recibe ningún aviso.
notice-unlinked = El enlace ha terminado por tu parte. Ya no pasa nada al otro lado, y tu pareja no recibe ningún aviso.
track-say-what-helps = Decir qué ayudaría
    .in-sentence = decir qué ayudaría
track-say-what-helps-blurb = Nombrar una cosa concreta que haría la confianza un poco más fácil.
track-notice-effort = Ver el esfuerzo
    .in-sentence = ver el esfuerzo
track-notice-effort-blurb = Permitirte ver una cosa que hizo tu pareja.
track-own-pace = Tu propio ritmo
    .in-sentence = tu propio ritmo
track-own-pace-blurb = No pasa nada si aún no es el momento; ve a tu propio ritmo.
track-own-support = Apoyo para ti
    .in-sentence = apoyo para ti
track-own-support-blurb = Cuídate: una terapia, una amistad, tu propia historia.

## Marcos de los correos

mail-preferences-link = Preferencias, pausa o tu progreso
mail-unsubscribe = Darme de baja
mail-unsubscribe-text = Darte de baja con un clic
