//! Every word the widget shows, in each language it speaks, side by side: an entry without
//! one of them is a compile error (`crate::texts` turns them into a type), and each is read by
//! its name (`t.close()`). `{}` marks where a value goes, in order (the widget's `i18n::fill`).
//! Plain data on purpose: `cargo xtask widget` writes the German and French lists from it
//! (`i18n-de-<FINGERPRINT>.json`, …), and the browser tests read it to know the English words
//! that must not show in another language.
//!
//! French typography: a no-break space (U+00A0) before `:`.

crate::texts::catalog! {
    call_recordings {
        en: "Call recordings",
        de: "Anrufaufnahmen",
        fr: "Enregistrements d’appels",
    }
    no_call {
        en: "No call selected. Open this page with {}.",
        de: "Kein Anruf ausgewählt. Öffnen Sie diese Seite mit {}.",
        fr: "Aucun appel sélectionné. Ouvrez cette page avec {}.",
    }
    recordings_for_call {
        en: "Recordings for call {}",
        de: "Aufnahmen für Anruf {}",
        fr: "Enregistrements de l’appel {}",
    }
    recordings {
        en: "Recordings",
        de: "Aufnahmen",
        fr: "Enregistrements",
    }
    sandbox {
        en: "Sandbox",
        de: "Sandbox",
        fr: "Bac à sable",
    }
    sandbox_title {
        en: "Simulated MiniVoice: no real call is recorded",
        de: "Simuliertes MiniVoice: Es wird kein echter Anruf aufgezeichnet",
        fr: "MiniVoice simulé\u{a0}: aucun appel réel n’est enregistré",
    }
    recording_controls {
        en: "Recording controls",
        de: "Aufnahmesteuerung",
        fr: "Commandes d’enregistrement",
    }
    /// A button's accessible name: its label, then the call.
    button_for_call {
        en: "{} call {}",
        de: "{}, Anruf {}",
        fr: "{}, appel {}",
    }
    start_recording {
        en: "Start recording",
        de: "Aufnahme starten",
        fr: "Démarrer l’enregistrement",
    }
    pause_recording {
        en: "Pause recording",
        de: "Aufnahme pausieren",
        fr: "Suspendre l’enregistrement",
    }
    resume_recording {
        en: "Resume recording",
        de: "Aufnahme fortsetzen",
        fr: "Reprendre l’enregistrement",
    }
    stop_recording {
        en: "Stop recording",
        de: "Aufnahme beenden",
        fr: "Arrêter l’enregistrement",
    }
    working {
        en: "Working…",
        de: "Wird ausgeführt…",
        fr: "En cours…",
    }
    call_completed_ready {
        en: "Call completed · recordings ready for processing",
        de: "Anruf abgeschlossen · Aufnahmen bereit zur Verarbeitung",
        fr: "Appel clôturé · enregistrements prêts pour le traitement",
    }
    call_completed_nothing {
        en: "Call completed · nothing was recorded",
        de: "Anruf abgeschlossen · nichts wurde aufgezeichnet",
        fr: "Appel clôturé · rien n’a été enregistré",
    }
    call_ended {
        en: "Call ended",
        de: "Anruf beendet",
        fr: "Appel terminé",
    }
    call_in_progress {
        en: "Call in progress",
        de: "Anruf läuft",
        fr: "Appel en cours",
    }
    connecting {
        en: "Connecting…",
        de: "Verbindung wird hergestellt…",
        fr: "Connexion…",
    }
    live {
        en: "Live",
        de: "Live",
        fr: "En direct",
    }
    polling {
        en: "Updating every few seconds",
        de: "Aktualisierung alle paar Sekunden",
        fr: "Actualisation régulière",
    }
    paused_by {
        en: "Recording paused by {}",
        de: "Aufnahme pausiert von {}",
        fr: "Enregistrement suspendu par {}",
    }
    resumes_in {
        en: "resumes automatically in {}",
        de: "wird in {} automatisch fortgesetzt",
        fr: "reprise automatique dans {}",
    }
    until_resumed {
        en: "until resumed",
        de: "bis zur Fortsetzung",
        fr: "jusqu’à la reprise",
    }
    pause_ended {
        en: "The pause has ended.",
        de: "Die Pause ist beendet.",
        fr: "La suspension est terminée.",
    }
    someone {
        en: "someone",
        de: "jemandem",
        fr: "quelqu’un",
    }
    /// The proxy's name for the automatic resume, and for an agent without a token.
    system {
        en: "system",
        de: "dem System",
        fr: "le système",
    }
    anonymous {
        en: "anonymous",
        de: "Anonym",
        fr: "Anonyme",
    }
    announce_started {
        en: "Recording {} started.",
        de: "Aufnahme {} gestartet.",
        fr: "Enregistrement {} démarré.",
    }
    announce_stopped {
        en: "Recording {} stopped.",
        de: "Aufnahme {} beendet.",
        fr: "Enregistrement {} arrêté.",
    }
    announce_paused {
        en: "Recording paused ({} stopped).",
        de: "Aufnahme pausiert ({} beendet).",
        fr: "Enregistrement suspendu ({} arrêté).",
    }
    announce_resumed {
        en: "Recording resumed ({} started).",
        de: "Aufnahme fortgesetzt ({} gestartet).",
        fr: "Enregistrement repris ({} démarré).",
    }
    loading_recordings {
        en: "Loading recordings…",
        de: "Aufnahmen werden geladen…",
        fr: "Chargement des enregistrements…",
    }
    /// Around the Start button's name, in bold.
    empty {
        en: "No recordings for this call yet. Press {} to begin.",
        de: "Noch keine Aufnahmen für diesen Anruf. Klicken Sie auf {}, um zu beginnen.",
        fr: "Aucun enregistrement pour cet appel. Appuyez sur {} pour commencer.",
    }
    list_unavailable {
        en: "Recordings could not be loaded.",
        de: "Die Aufnahmen konnten nicht geladen werden.",
        fr: "Impossible de charger les enregistrements.",
    }
    try_again {
        en: "Try again",
        de: "Erneut versuchen",
        fr: "Réessayer",
    }
    newest_first {
        en: "Recordings, newest first",
        de: "Aufnahmen, neueste zuerst",
        fr: "Enregistrements, du plus récent au plus ancien",
    }
    show_details {
        en: ", show details",
        de: ", Details anzeigen",
        fr: ", afficher les détails",
    }
    events {
        en: "Events: {}",
        de: "Ereignisse: {}",
        fr: "Événements\u{a0}: {}",
    }
    status_started {
        en: "started",
        de: "läuft",
        fr: "en cours",
    }
    status_stopped {
        en: "stopped",
        de: "beendet",
        fr: "arrêté",
    }
    details_of {
        en: "Details of recording {}",
        de: "Details der Aufnahme {}",
        fr: "Détails de l’enregistrement {}",
    }
    recording_n {
        en: "Recording {}",
        de: "Aufnahme {}",
        fr: "Enregistrement {}",
    }
    close {
        en: "Close",
        de: "Schließen",
        fr: "Fermer",
    }
    loading_details {
        en: "Loading details…",
        de: "Details werden geladen…",
        fr: "Chargement des détails…",
    }
    field_id {
        en: "id",
        de: "ID",
        fr: "identifiant",
    }
    field_status {
        en: "status",
        de: "Status",
        fr: "statut",
    }
    field_duration {
        en: "duration",
        de: "Dauer",
        fr: "durée",
    }
    field_size {
        en: "size",
        de: "Größe",
        fr: "taille",
    }
    recent_activity {
        en: "Recent activity",
        de: "Letzte Aktivitäten",
        fr: "Activité récente",
    }
    activity {
        en: "Activity",
        de: "Aktivität",
        fr: "Activité",
    }
    call_completed {
        en: "Call completed",
        de: "Anruf abgeschlossen",
        fr: "Appel clôturé",
    }
    started_by {
        en: "Started by {}",
        de: "Gestartet von {}",
        fr: "Démarré par {}",
    }
    stopped_by {
        en: "Stopped by {}",
        de: "Beendet von {}",
        fr: "Arrêté par {}",
    }
    paused_by_short {
        en: "Paused by {}",
        de: "Pausiert von {}",
        fr: "Suspendu par {}",
    }
    resumed_by {
        en: "Resumed by {}",
        de: "Fortgesetzt von {}",
        fr: "Repris par {}",
    }
    action_start {
        en: "Start",
        de: "Start",
        fr: "Démarrage",
    }
    action_stop {
        en: "Stop",
        de: "Stopp",
        fr: "Arrêt",
    }
    action_pause {
        en: "Pause",
        de: "Pause",
        fr: "Suspension",
    }
    action_resume {
        en: "Resume",
        de: "Fortsetzen",
        fr: "Reprise",
    }
    /// An action a newer proxy names, its agent.
    action_by {
        en: "{} by {}",
        de: "{} von {}",
        fr: "{} par {}",
    }
    /// An action, its agent.
    action_pending {
        en: "{} by {} awaiting an answer",
        de: "{} von {} wartet auf Antwort",
        fr: "{} par {}\u{a0}: en attente de réponse",
    }
    /// An action, its agent, the error code.
    action_failed {
        en: "{} by {} failed ({})",
        de: "{} von {} fehlgeschlagen ({})",
        fr: "{} par {}\u{a0}: échec ({})",
    }
    err_not_recording {
        en: "No recording is running on this call.",
        de: "Bei diesem Anruf läuft keine Aufnahme.",
        fr: "Aucun enregistrement n’est en cours sur cet appel.",
    }
    err_already_recording {
        en: "A recording is already running on this call.",
        de: "Bei diesem Anruf läuft bereits eine Aufnahme.",
        fr: "Un enregistrement est déjà en cours sur cet appel.",
    }
    err_unknown_call {
        en: "MiniVoice does not know this call.",
        de: "MiniVoice kennt diesen Anruf nicht.",
        fr: "MiniVoice ne connaît pas cet appel.",
    }
    err_recording_gone {
        en: "This recording no longer exists.",
        de: "Diese Aufnahme existiert nicht mehr.",
        fr: "Cet enregistrement n’existe plus.",
    }
    err_call_not_active {
        en: "This call has ended, so it can no longer be recorded.",
        de: "Dieser Anruf ist beendet und kann nicht mehr aufgezeichnet werden.",
        fr: "Cet appel est terminé\u{a0}: il ne peut plus être enregistré.",
    }
    err_timeout {
        en: "MiniVoice did not answer in time. Try again.",
        de: "MiniVoice hat nicht rechtzeitig geantwortet. Bitte erneut versuchen.",
        fr: "MiniVoice n’a pas répondu à temps. Réessayez.",
    }
    err_unreachable {
        en: "MiniVoice cannot be reached right now.",
        de: "MiniVoice ist gerade nicht erreichbar.",
        fr: "MiniVoice est injoignable pour le moment.",
    }
    err_upstream {
        en: "MiniVoice answered with an error. Try again shortly.",
        de: "MiniVoice hat mit einem Fehler geantwortet. Bitte gleich erneut versuchen.",
        fr: "MiniVoice a répondu par une erreur. Réessayez dans un instant.",
    }
    err_invalid_call {
        en: "This call ID is not valid.",
        de: "Diese Anruf-ID ist ungültig.",
        fr: "Cet identifiant d’appel n’est pas valide.",
    }
    err_unauthorized {
        en: "Your sign-in for this widget is missing or has expired. Reopen it from your CRM.",
        de: "Ihre Anmeldung für dieses Widget fehlt oder ist abgelaufen. \
            Öffnen Sie es erneut aus Ihrem CRM.",
        fr: "Votre connexion à ce widget est manquante ou a expiré. \
            Rouvrez-le depuis votre CRM.",
    }
    err_forbidden {
        en: "You are not assigned to this call, so you cannot control its recording.",
        de: "Sie sind diesem Anruf nicht zugewiesen und können seine Aufnahme \
            daher nicht steuern.",
        fr: "Cet appel ne vous est pas attribué\u{a0}: vous ne pouvez pas en contrôler \
            l’enregistrement.",
    }
    err_busy {
        en: "Another action on this call is in progress. Try again.",
        de: "Bei diesem Anruf läuft bereits eine andere Aktion. Bitte erneut versuchen.",
        fr: "Une autre action est en cours sur cet appel. Réessayez.",
    }
    err_not_paused {
        en: "Recording is not paused on this call.",
        de: "Die Aufnahme dieses Anrufs ist nicht pausiert.",
        fr: "L’enregistrement de cet appel n’est pas suspendu.",
    }
    err_already_paused {
        en: "Recording is already paused on this call.",
        de: "Die Aufnahme dieses Anrufs ist bereits pausiert.",
        fr: "L’enregistrement de cet appel est déjà suspendu.",
    }
    err_network {
        en: "The recording service cannot be reached. Check your connection.",
        de: "Der Aufnahmedienst ist nicht erreichbar. Bitte prüfen Sie Ihre Verbindung.",
        fr: "Le service d’enregistrement est injoignable. Vérifiez votre connexion.",
    }
    err_bad_response {
        en: "The recording service sent an answer the widget cannot read.",
        de: "Der Aufnahmedienst hat eine Antwort gesendet, die das Widget nicht \
            lesen kann.",
        fr: "Le service d’enregistrement a envoyé une réponse que le widget ne \
            peut pas lire.",
    }
    /// The supervisor's view (`/supervisor`, `<minivoice-supervisor>`).
    sup_title {
        en: "Calls recording and paused",
        de: "Aufgezeichnete und pausierte Anrufe",
        fr: "Appels enregistrés et suspendus",
    }
    sup_filter_agent {
        en: "Filter by agent",
        de: "Nach Agent filtern",
        fr: "Filtrer par agent",
    }
    sup_state_recording {
        en: "Recording",
        de: "Aufnahme läuft",
        fr: "Enregistrement en cours",
    }
    sup_state_paused {
        en: "Paused",
        de: "Pausiert",
        fr: "Suspendu",
    }
    sup_loading {
        en: "Loading calls…",
        de: "Anrufe werden geladen…",
        fr: "Chargement des appels…",
    }
    sup_no_calls {
        en: "No call is being recorded or paused.",
        de: "Kein Anruf wird gerade aufgezeichnet oder ist pausiert.",
        fr: "Aucun appel n’est enregistré ni suspendu.",
    }
    sup_no_match {
        en: "No call of an agent by that name.",
        de: "Kein Anruf eines Agenten dieses Namens.",
        fr: "Aucun appel d’un agent de ce nom.",
    }
    sup_unavailable {
        en: "The calls cannot be shown: {}",
        de: "Die Anrufe können nicht angezeigt werden: {}",
        fr: "Impossible d’afficher les appels\u{a0}: {}",
    }
    sup_resume_failed {
        en: "Resume failed: {}",
        de: "Fortsetzen fehlgeschlagen: {}",
        fr: "Échec de la reprise\u{a0}: {}",
    }
    sup_story {
        en: "Call story",
        de: "Anrufverlauf",
        fr: "Historique de l’appel",
    }
    /// The story link's accessible name, with the call.
    sup_story_for {
        en: "Call story {}",
        de: "Anrufverlauf {}",
        fr: "Historique de l’appel {}",
    }
    sup_report {
        en: "Pause report",
        de: "Pausenbericht",
        fr: "Rapport des suspensions",
    }
    sup_from {
        en: "From",
        de: "Von",
        fr: "Du",
    }
    sup_to {
        en: "To",
        de: "Bis",
        fr: "Au",
    }
    sup_download {
        en: "Download CSV",
        de: "CSV herunterladen",
        fr: "Télécharger le CSV",
    }
    sup_report_ready {
        en: "Report downloaded.",
        de: "Bericht heruntergeladen.",
        fr: "Rapport téléchargé.",
    }
    sup_report_failed {
        en: "The report cannot be downloaded: {}",
        de: "Der Bericht kann nicht heruntergeladen werden: {}",
        fr: "Impossible de télécharger le rapport\u{a0}: {}",
    }
    sup_err_supervisor_required {
        en: "This view needs a supervisor’s token (one for every call).",
        de: "Diese Ansicht erfordert ein Supervisor-Token (für alle Anrufe).",
        fr: "Cette vue nécessite un jeton de superviseur (pour tous les appels).",
    }
    sup_err_invalid_range {
        en: "Enter a valid start and end.",
        de: "Bitte einen gültigen Beginn und ein gültiges Ende eingeben.",
        fr: "Saisissez un début et une fin valides.",
    }
    sup_err_inverted_range {
        en: "The end must be after the start.",
        de: "Das Ende muss nach dem Beginn liegen.",
        fr: "La fin doit être postérieure au début.",
    }
    sup_err_range_too_long {
        en: "A report covers at most 31 days.",
        de: "Ein Bericht umfasst höchstens 31 Tage.",
        fr: "Un rapport couvre au plus 31 jours.",
    }
}
