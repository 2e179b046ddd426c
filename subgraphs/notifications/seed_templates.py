"""The seed templates: every event type the worker turns into notifications, in English and
German (Jinja2, rendered with the event's payload and `recipient`)."""

from __future__ import annotations

# (event type, locale) -> (title, body)
SEED_TEMPLATES: dict[tuple[str, str], tuple[str, str]] = {
    ("user.registered", "en"): ("Welcome to Mosaic, {{ name }}!", "Your account is ready."),
    ("user.registered", "de"): ("Willkommen bei Mosaic, {{ name }}!", "Ihr Konto ist bereit."),
    ("task.assigned", "en"): (
        "Task assigned: {{ title }}",
        "You were assigned “{{ title }}”{% if due_date %}, due {{ due_date }}{% endif %}.",
    ),
    ("task.assigned", "de"): (
        "Aufgabe zugewiesen: {{ title }}",
        "Ihnen wurde „{{ title }}“ zugewiesen{% if due_date %}, fällig am {{ due_date }}"
        "{% endif %}.",
    ),
    ("task.completed", "en"): ("Task completed: {{ title }}", "“{{ title }}” is done."),
    ("task.completed", "de"): ("Aufgabe erledigt: {{ title }}", "„{{ title }}“ ist erledigt."),
    ("order.status_changed", "en"): (
        "Order {{ number }} is {{ status | lower }}",
        "Your order {{ number }} changed from {{ from | lower }} to {{ status | lower }}.",
    ),
    ("order.status_changed", "de"): (
        "Bestellung {{ number }}: {{ status | lower }}",
        "Ihre Bestellung {{ number }} ist jetzt {{ status | lower }} (vorher {{ from | lower }}).",
    ),
    ("booking.requested", "en"): (
        "New booking request",
        "A client asked for a session starting {{ startsAt }}.",
    ),
    ("booking.requested", "de"): (
        "Neue Buchungsanfrage",
        "Eine Sitzung ab {{ startsAt }} wurde angefragt.",
    ),
    ("booking.confirmed", "en"): (
        "Booking confirmed",
        "The session starting {{ startsAt }} is confirmed.",
    ),
    ("booking.confirmed", "de"): (
        "Buchung bestätigt",
        "Die Sitzung ab {{ startsAt }} ist bestätigt.",
    ),
    ("booking.cancelled", "en"): (
        "Booking cancelled",
        "The session starting {{ startsAt }} was cancelled.",
    ),
    ("booking.cancelled", "de"): (
        "Buchung storniert",
        "Die Sitzung ab {{ startsAt }} wurde storniert.",
    ),
    ("media.processed", "en"): (
        "Your upload is ready",
        "{{ filename | default('Your file') }} has been processed.",
    ),
    ("media.processed", "de"): (
        "Ihr Upload ist bereit",
        "{{ filename | default('Ihre Datei') }} wurde verarbeitet.",
    ),
    ("media.failed", "en"): (
        "Your upload could not be processed",
        "{{ filename | default('Your file') }} could not be processed: {{ reason }}.",
    ),
    ("media.failed", "de"): (
        "Ihr Upload konnte nicht verarbeitet werden",
        "{{ filename | default('Ihre Datei') }} konnte nicht verarbeitet werden: {{ reason }}.",
    ),
}
