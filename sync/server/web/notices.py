"""What a page says after a form did its work (or did not): the key travels in the address of
the page the browser is sent to (``?notice=resolved``), never the sentence itself, so nobody
can make the site show words of their own."""

from __future__ import annotations

from sync.server.web.i18n import N_

NOTICES = {
    "already_done": N_("This form was already sent; nothing was done again."),
    "resolved": N_("Done: the item is resolved and logged with your name."),
    "bad_choice": N_("Choose one of the buttons."),
    "no_copy": N_("This item names no copy to send for repair."),
    "not_on_shelf": N_(
        "The copy is not on the shelf (lost, withdrawn or in repair already), so it cannot be "
        "sent for repair; nothing was changed."
    ),
    "marked": N_("Done: the copy's new state goes to every kiosk at its next sync."),
    "mark_refused": N_("That cannot be done to a copy in this state; nothing was changed."),
    "no_such_copy": N_("There is no copy with this barcode."),
    "no_such_reader": N_("There is no reader with this card."),
    "arrival_added": N_("Added to the new arrivals."),
    "arrival_there": N_("This copy is already on the list."),
    "arrival_full": N_("The list holds at most 20 copies; remove one first."),
    "arrival_removed": N_("Removed from the new arrivals."),
    "arrival_moved": N_("Moved."),
    "reader_deactivated": N_("Deactivated: kiosks refuse this card after their next sync."),
    "reader_activated": N_("Active again: kiosks accept this card after their next sync."),
    "reader_unchanged": N_("Nothing to change."),
    "kiosk_revoked": N_("The kiosk's token is revoked: it can no longer sync."),
    "signed_out": N_("You are signed out."),
    # Reservations (sync.server.reservations' refusals, as `kiosk-server reserve` says them).
    "reservation_placed": N_("Reserved: the kiosks hear of it at their next sync."),
    "reservation_cancelled": N_("The reservation is cancelled."),
    "reservation_unknown_reader": N_("There is no reader with this card; nothing was reserved."),
    "reservation_inactive_reader": N_("This card is no longer active; nothing was reserved."),
    "reservation_unknown_copy": N_("No copy has this barcode; nothing was reserved."),
    "reservation_unknown_isbn": N_("No copy in the catalogue has this ISBN; nothing was reserved."),
    "reservation_reference_book": N_(
        "A reference book is never lent, so it cannot be reserved; nothing was reserved."
    ),
    "reservation_duplicate": N_("This reader already has a reservation of this book."),
    "reservation_isbn_or_barcode": N_("Give a card and a book's barcode or ISBN."),
    "reservation_no_such_reservation": N_("There is no such reservation."),
    "reservation_not_open": N_("This reservation is already over: nothing to cancel."),
    "reservation_not_yours": N_("You may cancel only your own reservations."),
}
